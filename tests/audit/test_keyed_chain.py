"""The keyed chain and its anchors against someone who can write to the database (issue 9 item 4).

The attacker turns the append-only trigger off, rewrites a row and recomputes every later hash and
the head row — as they can, knowing the hashing scheme from the source. Without the HMAC key (kept
in AUDIT_KEY_PATH, outside the database) the rewritten rows cannot verify; with it, or by cutting
off the tail, they still cannot match the signed anchors in AUDIT_ANCHOR_DIR.
"""

import hashlib
import json
import os
import secrets

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from registry.audit import keys
from registry.audit.anchors import AnchorRefused, read_anchors, write_anchor
from registry.audit.models import AuditChainHead, AuditEntry
from registry.audit.services import GENESIS_HASH, audit_record, entry_hash, entry_payload
from registry.audit.verification import verify_chain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _signing_key(settings, tmp_path):
    settings.TRANSFER_KEY_PATH = str(tmp_path / "transfer_ed25519.pem")


def record(n: int, start: int = 1):
    return [
        audit_record(
            action="review.decide", target_type="application", target_id=str(i), details={"decision": "reject"}
        )
        for i in range(start, start + n)
    ]


def fields_of(entry: AuditEntry) -> dict:
    return {
        name: getattr(entry, name)
        for name in (
            "seq",
            "at",
            "actor_id",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "district",
            "ip",
            "details",
            "prev_hash",
        )
    }


def plain_sha256(fields: dict, key_id: str) -> str:
    """What an attacker without the key can compute: SHA-256 of exactly the bytes the HMAC covers."""
    return hashlib.sha256(entry_payload(**fields, key_id=key_id)).hexdigest()


def rewrite_chain(*, from_seq: int, change: dict, rehash, key_id=lambda entry: entry.key_id, delete_after=None):
    """The attack: trigger off, change one row, recompute every later hash and link, fix the head."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_entry_append_only")
        if delete_after is not None:
            cursor.execute("DELETE FROM audit_auditentry WHERE seq > %s", [delete_after])
        prev = AuditEntry.objects.get(seq=from_seq - 1).hash if from_seq > 1 else GENESIS_HASH
        for entry in AuditEntry.objects.filter(seq__gte=from_seq).order_by("seq"):
            fields = {**fields_of(entry), "prev_hash": prev}
            if entry.seq == from_seq:
                fields.update(change)
            new_key_id = key_id(entry)
            new_hash = rehash(fields, new_key_id)
            cursor.execute(
                "UPDATE audit_auditentry SET action = %s, prev_hash = %s, hash = %s, key_id = %s WHERE seq = %s",
                [fields["action"], prev, new_hash, new_key_id, entry.seq],
            )
            prev = new_hash
        last = AuditEntry.objects.order_by("-seq").first()
        AuditChainHead.objects.filter(pk=1).update(seq=last.seq, last_hash=prev)


def test_rows_are_hmac_under_the_current_key():
    entry = record(1)[0]
    keyring = keys.load()
    assert entry.key_id == keyring.current and entry.key_id in keyring.keys
    assert entry.hash != entry_hash(**fields_of(entry))  # not the plain SHA-256 of the same row
    assert keys.key_path().stat().st_mode & 0o777 == 0o600


def test_rewrite_with_plain_sha256_is_detected_on_postgres(postgres):
    """Without the key: recompute every later hash with plain SHA-256, as today's scheme allows."""
    record(6)
    assert verify_chain().ok
    rewrite_chain(from_seq=3, change={"action": "review.nothing"}, rehash=plain_sha256, key_id=lambda e: "")
    assert AuditEntry.objects.get(seq=3).action == "review.nothing"
    problems = verify_chain().problems
    assert [p for p in problems if "没有密钥签名" in p] and "第 3 条" in problems[0]
    with pytest.raises(CommandError, match="审计日志校验失败"):
        call_command("verify_audit")


def test_rewrite_keeping_the_key_id_without_the_key_is_detected_on_postgres(postgres):
    record(6)
    rewrite_chain(from_seq=3, change={"action": "review.nothing"}, rehash=plain_sha256)
    problems = verify_chain().problems
    assert sum("内容与其哈希不符" in p for p in problems) == 4  # rows 3..6


def test_rewrite_with_a_wrong_key_is_detected(postgres):
    record(6)
    guessed = secrets.token_bytes(32)

    def hmac_with_guess(fields, key_id):
        return entry_hash(**fields, key_id=key_id, secret=guessed)

    rewrite_chain(from_seq=2, change={"action": "review.nothing"}, rehash=hmac_with_guess)
    assert sum("内容与其哈希不符" in p for p in verify_chain().problems) == 5
    # Their own key under a new id does not help either: the id is not in the keyring.
    rewrite_chain(from_seq=2, change={"action": "review.nothing"}, rehash=hmac_with_guess, key_id=lambda e: "forged")
    assert sum("不在密钥文件中" in p for p in verify_chain().problems) == 5


def test_a_key_holder_cannot_match_the_anchors(postgres):
    """Even with the key (a stolen keyring), a rewrite before the last anchor is found."""
    record(6)
    call_command("audit_anchor")
    secret = keys.load().secret(keys.load().current)

    def hmac_with_key(fields, key_id):
        return entry_hash(**fields, key_id=key_id, secret=secret)

    rewrite_chain(from_seq=2, change={"action": "review.nothing"}, rehash=hmac_with_key)
    problems = verify_chain().problems
    assert len(problems) == 1 and "与" in problems[0] and "锚点不符" in problems[0] and "第 6 条" in problems[0]


def test_deleting_the_last_rows_and_fixing_the_head_fails_the_anchor_check(postgres):
    record(8)
    call_command("audit_anchor")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute("DELETE FROM audit_auditentry WHERE seq > 5")
    last = AuditEntry.objects.get(seq=5)
    AuditChainHead.objects.filter(pk=1).update(seq=5, last_hash=last.hash)
    problems = verify_chain().problems
    assert problems == [
        "锚点（" + read_anchors()[0][0].anchored_at + "）记录日志已到第 8 条，但日志只到第 5 条（末尾记录被删除）"
    ]
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_anchor_job_is_idempotent_and_signed(settings, capsys):
    call_command("audit_anchor")
    assert "审计日志为空" in capsys.readouterr().out
    record(3)
    call_command("audit_anchor")
    call_command("audit_anchor")
    assert "已锚定" in capsys.readouterr().out
    anchors, problems = read_anchors()
    assert [a.seq for a in anchors] == [3] and not problems
    record(2, start=4)
    assert write_anchor()[1] is True
    assert [a.seq for a in read_anchors()[0]] == [3, 5]
    call_command("verify_audit")
    assert "对照 2 个锚点" in capsys.readouterr().out


def test_a_forged_anchor_file_is_reported(settings):
    record(3)
    write_anchor()
    (path,) = keys.Path(settings.AUDIT_ANCHOR_DIR).glob("anchor-*.json")
    document = json.loads(path.read_text())
    document["payload"]["seq"] = 2
    path.write_text(json.dumps(document))
    assert any("签名无效" in p for p in verify_chain().problems)


def test_anchor_job_refuses_to_vouch_for_a_broken_chain():
    record(4)
    write_anchor()
    record(2, start=5)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_entry_append_only")
        cursor.execute("UPDATE audit_auditentry SET action = 'x' WHERE seq = 6")
    with pytest.raises(AnchorRefused):
        write_anchor()
    with pytest.raises(CommandError, match="未写入锚点"):
        call_command("audit_anchor")
    assert [a.seq for a in read_anchors()[0]] == [4]


def test_rotation_keeps_old_rows_verifiable(capsys):
    first = record(3)
    old_key = keys.load().current
    call_command("audit_keys", "--rotate")
    second = record(3, start=4)
    new_key = keys.load().current
    assert new_key != old_key
    assert {e.key_id for e in first} == {old_key} and {e.key_id for e in second} == {new_key}
    report = verify_chain()
    assert report.ok and report.checked == 6
    call_command("audit_keys", "--show")
    assert old_key in capsys.readouterr().out
    # The old key is still needed: a keyring without it cannot vouch for the old rows.
    raw = json.loads(keys.key_path().read_text())
    del raw["keys"][old_key]
    replacement = keys.key_path().with_suffix(".new")
    replacement.write_text(json.dumps(raw))
    os.replace(replacement, keys.key_path())
    assert sum("不在密钥文件中" in p for p in verify_chain().problems) == 3


def test_rows_from_before_keying_stay_verifiable_but_only_up_to_then(settings):
    """Migration 0003 keeps existing rows as they are (key_id "", plain SHA-256)."""
    from django.utils import timezone

    prev = GENESIS_HASH
    for seq in (1, 2):  # written by the code before keying
        fields = dict(
            seq=seq,
            at=timezone.now(),
            actor_id=None,
            actor_label="",
            action="legacy",
            target_type="",
            target_id="",
            district="",
            ip="",
            details={},
            prev_hash=prev,
        )
        prev = entry_hash(**fields)
        AuditEntry(**fields, hash=prev).save()
    AuditChainHead.objects.create(pk=1, seq=2, last_hash=prev)
    settings.PRODUCTION = True
    with pytest.raises(keys.AuditKeyMissing, match="audit_keys --create"):
        record(1)  # production never writes an unkeyed row, nor makes up a key
    call_command("audit_keys", "--create")
    assert keys.load().legacy_until == 2
    record(2)
    assert [e.key_id == "" for e in AuditEntry.objects.order_by("seq")] == [True, True, False, False]
    assert verify_chain().ok
