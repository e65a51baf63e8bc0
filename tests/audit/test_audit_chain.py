import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from registry.audit.models import AppendOnlyError, AuditChainHead, AuditEntry
from registry.audit.services import GENESIS_HASH, audit_record
from registry.audit.verification import verify_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_entries(chaoyang_reviewer, applicant):
    entries = [
        audit_record(
            action="application.submit",
            actor=applicant,
            target_type="application",
            target_id="1",
            district="110105",
        ),
        audit_record(
            action="review.open",
            actor=chaoyang_reviewer,
            target_type="application",
            target_id="1",
            district="110105",
            ip="10.0.0.8",
        ),
        audit_record(
            action="review.claim",
            actor=chaoyang_reviewer,
            target_type="application",
            target_id="1",
            district="110105",
        ),
        audit_record(
            action="review.decide",
            actor=chaoyang_reviewer,
            target_type="application",
            target_id="1",
            district="110105",
            details={"decision": "reject", "reasons": ["photo_noncompliant"], "comment": "背景为红色"},
        ),
        audit_record(action="export.download", actor=None, details={"rows": 3, "at": "2026-11-26"}),
    ]
    return entries


def as_attacker(sql: str, params=()):
    """Change the table the way someone with database access could: around the append-only trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)


def test_entries_chain_and_verify(five_entries):
    assert [e.seq for e in five_entries] == [1, 2, 3, 4, 5]
    assert five_entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(five_entries, five_entries[1:], strict=False))
    report = verify_chain()
    assert report.ok and report.checked == 5
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.last_hash) == (5, five_entries[-1].hash)


def test_entry_records_actor_district_ip_and_details(five_entries, chaoyang_reviewer):
    entry = AuditEntry.objects.get(seq=2)
    assert entry.actor_id == chaoyang_reviewer.pk
    assert "区财政局审核员" in entry.actor_label
    assert (entry.district, entry.ip, entry.target_id) == ("110105", "10.0.0.8", "1")
    assert AuditEntry.objects.get(seq=4).details["comment"] == "背景为红色"


def test_edited_row_is_detected(five_entries):
    as_attacker("UPDATE audit_auditentry SET details = %s WHERE seq = 4", ['{"decision": "approve"}'])
    report = verify_chain()
    assert not report.ok
    assert any("第 4 条记录的内容与其哈希不符" in p for p in report.problems)


def test_edited_actor_is_detected(five_entries, municipal_admin):
    as_attacker("UPDATE audit_auditentry SET actor_id = %s WHERE seq = 2", [municipal_admin.pk])
    assert any("第 2 条" in p for p in verify_chain().problems)


def test_rehashed_row_breaks_the_next_link(five_entries):
    # A careful attacker (even one holding the key) recomputes the edited row's hash; the next row
    # still points at the old one.
    from registry.audit import keys
    from registry.audit.services import hash_of_entry

    entry = AuditEntry.objects.get(seq=3)
    entry.action = "review.nothing"
    as_attacker(
        "UPDATE audit_auditentry SET action = %s, hash = %s WHERE seq = 3",
        ["review.nothing", hash_of_entry(entry, keys.load().secret(entry.key_id))],
    )
    problems = verify_chain().problems
    assert any("第 4 条记录与上一条记录的链接不符" in p for p in problems)


def test_deleted_middle_row_is_detected(five_entries):
    as_attacker("DELETE FROM audit_auditentry WHERE seq = 3")
    problems = verify_chain().problems
    assert any("缺失" in p for p in problems)


def test_deleted_last_row_is_detected_through_the_head(five_entries):
    as_attacker("DELETE FROM audit_auditentry WHERE seq = 5")
    assert any("末尾记录被删除" in p for p in verify_chain().problems)


def test_verify_audit_command(five_entries, capsys):
    call_command("verify_audit")
    assert "审计日志完整：已校验 5 条记录" in capsys.readouterr().out
    as_attacker("UPDATE audit_auditentry SET ip = '10.9.9.9' WHERE seq = 1")
    with pytest.raises(CommandError, match="审计日志校验失败"):
        call_command("verify_audit")


def test_orm_refuses_update_and_delete(five_entries):
    entry = AuditEntry.objects.get(seq=1)
    entry.action = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(seq=1).update(action="changed")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()


def test_database_trigger_refuses_raw_update(five_entries):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditentry SET action = 'x' WHERE seq = 1")
    assert AuditEntry.objects.get(seq=1).action == "application.submit"


def test_database_trigger_refuses_raw_delete_on_postgres(five_entries, postgres):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = 1")
    assert AuditEntry.objects.count() == 5


def test_entry_rolls_back_with_the_action_it_records(applicant):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="application.submit", actor=applicant)
        raise RuntimeError("the action failed")
    assert AuditEntry.objects.count() == 0
    assert verify_chain().ok


def test_addresses_and_numbers_the_database_would_rewrite_keep_the_chain_valid(applicant):
    """PostgreSQL rewrites ::ffff:a.b.c.d and jsonb floats; the hash must cover what is stored."""
    audit_record(action="t", actor=applicant, ip="::ffff:1.2.3.4", details={"big": 1e20, "neg": -0.0, "nul": "a\x00b"})
    audit_record(action="t", actor=applicant, ip="::1.2.3.4", details={"x": 1.5})
    audit_record(action="t", actor=applicant, ip="not an address")
    entries = list(AuditEntry.objects.order_by("seq"))
    assert entries[0].ip == "1.2.3.4" and entries[2].ip == ""
    assert entries[0].details == {"big": "1e+20", "neg": "-0.0", "nul": "ab"}
    assert verify_chain().ok


def test_client_ip_believes_forwarded_for_only_from_trusted_proxies(rf, settings):
    from registry.audit.services import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "10.0.0.2"
    settings.REGISTRY_TRUSTED_PROXIES = ["10.0.0.2"]
    assert client_ip(request) == "203.0.113.7"


def test_the_log_keeps_only_the_indexes_its_queries_use_and_a_hash_stays_unique(postgres):
    """Every audited call pays one insertion per index: no varchar_pattern_ops copies (LIKE 'x%'
    is never asked of the log), and a second row with an existing hash is still refused."""
    from django.db import IntegrityError

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_auditentry'")
        definitions = [row[0] for row in cursor.fetchall()]
    assert not [d for d in definitions if "pattern_ops" in d], definitions
    assert len(definitions) == 8, definitions  # pk, seq, at, actor, action, district, target, hash
    entry = audit_record(action="test.first")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.create(**{**_fields_of(entry), "seq": entry.seq + 100})


def _fields_of(entry):
    return {f.attname: getattr(entry, f.attname) for f in entry._meta.concrete_fields if not f.primary_key}
