"""Verification in few round trips (issue 14, fourth pass): a batch answers each person exactly as a
single call does, both agree with the credits and integrity selectors the pages use, and the number
of queries of one call and of a batch is pinned (one read however many people and years, then the
audit row)."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from registry.accounts.services import api_client_create
from registry.audit.models import AuditChainHead, AuditEntry
from registry.audit.verification import verify_chain
from registry.credits.models import CreditRecord, CreditRule, CreditStatus
from registry.credits.selectors import compliance
from registry.integrity.selectors import restricted
from registry.integrity.services import integrity_record
from registry.records.models import RecordStatus
from registry.records.services import record_set_status
from registry.verification.services import Query, verify_batch, verify_person
from tests.credits.conftest import collect
from tests.credits.test_compliance import give

pytestmark = pytest.mark.django_db

YEARS = [2023, 2024, 2025]


@pytest.fixture
def people(db, municipal_admin):
    """Obliged or not, compliant or not by total or by the professional share, a rule of 2024 that
    2025 inherits (2023 keeps the national default), pending and rejected credits that do not count,
    a ban in force and one already over, a person transferred out."""
    CreditRule.objects.create(year=2024, required_total=Decimal(80), required_professional=Decimal(50))
    full = collect(name="甲一", qualified_on="2019-05-20")
    give(full, (2024, "50", "professional"), (2024, "30", "public"), (2025, "60", "professional"), (2025, "29.5", "public"))  # fmt: skip
    share = collect(name="乙二", qualified_on="2019-05-20")
    give(share, (2023, "60", "professional"), (2023, "30", "public"), (2025, "100", "public"))
    for status in (CreditStatus.PENDING, CreditStatus.REJECTED):
        CreditRecord.objects.create(
            record=share, year=2025, subject="professional", credits=Decimal(60), source="declaration", status=status
        )
    new = collect(name="丙三", qualified_on="2024-03-01")  # obliged from 2025
    give(new, (2024, "10", "public"))
    worker = collect(name="丁四", qualified_on="", accounting_since="2022-07-01")  # obliged from 2023
    never = collect(name="戊五", qualified_on="")
    banned = collect(name="己*")
    lifted = collect(name="庚七")
    today = timezone.localdate()
    integrity_record(actor=municipal_admin, id_number=banned.id_number, kind="ban", summary="违反会计法",
                     starts_on=today - dt.timedelta(days=10), ends_on=today + dt.timedelta(days=300))  # fmt: skip
    integrity_record(actor=municipal_admin, id_number=lifted.id_number, kind="ban", summary="违反会计法",
                     starts_on=today - dt.timedelta(days=400), ends_on=today - dt.timedelta(days=1))  # fmt: skip
    gone = collect(name="辛八", qualified_on="2015-01-01")
    record_set_status(record=gone, status=RecordStatus.TRANSFERRED_OUT)
    return [full, share, new, worker, never, banned, lifted, gone]


def queries_of(people):
    queries = []
    for p in people:
        name = p.name.replace("*", "䶮")
        queries += [Query(p.id_number, name, f"R{p.pk}"), Query(p.id_number, "某某某")]
    queries += [Query("110105199001010011", "张三"), Query("", "张三"), Query(people[0].id_number.lower(), "甲 一")]
    return queries


def test_batch_answers_equal_the_single_answers_and_the_selectors(client, people):
    key = api_client_create(name="考试报名系统", scope="verify").key

    def post(path, body):
        response = client.post(path, json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key)
        assert response.status_code == 200, response.content
        return response.json()

    queries = queries_of(people)
    singles = [post("/api/v1/verify", {"id_number": q.id_number, "name": q.name, "years": YEARS}) for q in queries]
    body = {"people": [{"id_number": q.id_number, "name": q.name, "ref": q.ref} for q in queries], "years": YEARS}
    batch = post("/api/v1/verify/batch", body)["results"]
    assert [{k: v for k, v in b.items() if k != "ref"} for b in batch] == singles
    assert [b.get("ref") for b in batch] == [q.ref or None for q in queries]

    found = [(q, a) for q, a in zip(queries, singles, strict=True) if a["found"]]
    assert len(found) == len(people) + 1  # every right name (and the lower-case, spaced one); no wrong one
    by_id = {p.id_number: p for p in people}
    for query, answer in found:
        record = by_id[query.id_number.upper()]
        assert answer["restricted"] is restricted(record)
        for year in YEARS:
            standing = compliance(record, year)
            assert answer["credits"][str(year)] == {"total": float(standing.total), "compliant": standing.compliant}
    full, share, new, worker, never, banned, lifted, gone = (singles[2 * i] for i in range(len(people)))
    assert full["credits"] == {
        "2023": {"total": 0.0, "compliant": False},
        "2024": {"total": 80.0, "compliant": True},  # the 2024 rule: 80, 50 professional
        "2025": {"total": 89.5, "compliant": True},  # 2025 inherits it
    }
    assert share["credits"]["2023"] == {"total": 90.0, "compliant": True}  # the national 90 / 60
    assert share["credits"]["2025"] == {"total": 100.0, "compliant": False}  # no professional; pending not counted
    assert new["credits"]["2024"] == {"total": 10.0, "compliant": True} and not new["credits"]["2025"]["compliant"]
    assert [worker["credits"][y]["compliant"] for y in ("2023", "2024")] == [False, False]
    assert all(c["compliant"] for c in never["credits"].values())
    assert banned["restricted"] is True and lifted["restricted"] is False and full["restricted"] is False
    assert gone["status"] == "transferred_out" and full["qualification_level"] == "junior"


def expected_queries(single: bool) -> int:
    """One read (records, versions, credit sums, rules, bans together), then the audit row in the
    caller's transaction (a savepoint here, inside the test's transaction): the chain head locked,
    then on PostgreSQL the entry, the head and the key's counter in one statement, elsewhere three."""
    writes = 1 + (1 if connection.vendor == "postgresql" else 3)
    return 1 + 2 + writes  # read, SAVEPOINT + RELEASE, writes


@pytest.mark.parametrize("years", [[], [2025], YEARS])
def test_queries_of_one_call_and_of_a_batch_of_50_are_pinned(people, django_assert_num_queries, years):
    key_client = api_client_create(name="考试报名系统", scope="verify").client
    full = people[0]
    with django_assert_num_queries(expected_queries(True)):
        answer = verify_person(client=key_client, id_number=full.id_number, name="甲一", years=years)
    assert answer["found"] and sorted(answer["credits"]) == [str(y) for y in years]
    with django_assert_num_queries(expected_queries(True)):
        assert verify_person(client=key_client, id_number=full.id_number, name="某", years=years) == {"found": False}
    batch = (queries_of(people) * 3)[:50]
    with django_assert_num_queries(expected_queries(False)):
        answers = verify_batch(client=key_client, queries=batch, years=years)
    assert len(answers) == 50 and sum(a["found"] for a in answers) == 9 + 9 + 6  # 19 queries, 9 found, a time
    # Still one row per call, chained: the head moved with each, and the chain verifies.
    assert AuditEntry.objects.filter(action__in=["verify.query", "verify.batch"]).count() == 3
    assert AuditChainHead.objects.get(pk=1).seq == AuditEntry.objects.order_by("-seq").first().seq
    key_client.refresh_from_db()
    assert key_client.call_count == 3 and key_client.last_used_at is not None
    assert verify_chain().ok
