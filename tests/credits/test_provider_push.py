"""POST /api/v1/providers/credits: scope, size limit, idempotence, per-record rejections."""

import json

import pytest

from registry.accounts.services import api_client_create
from registry.audit.models import AuditEntry
from registry.credits.models import CreditRecord
from registry.credits.selectors import compliance
from tests.helpers import problem

from .conftest import row

pytestmark = pytest.mark.django_db
PATH = "/api/v1/providers/credits"


def push(client, key, records):
    return client.post(PATH, json.dumps({"records": records}), content_type="application/json", HTTP_X_API_KEY=key)


def test_push_counts_and_repush_changes_nothing(client, provider, person, other_person):
    records = [row(person, "A-1", credits="60"), row(person, "A-2", credits="30", subject="public"),
               row(other_person, "A-3", credits="12.5")]  # fmt: skip
    response = push(client, provider.key, records)
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    assert compliance(person, 2025).compliant
    snapshot = list(CreditRecord.objects.order_by("pk").values())

    again = push(client, provider.key, records)
    assert again.json() == {"accepted": 0, "duplicates": 3, "rejected": []}
    assert list(CreditRecord.objects.order_by("pk").values()) == snapshot
    # the same external_id with other values is still the same record: nothing changes
    changed = push(client, provider.key, [row(person, "A-1", credits="90")])
    assert changed.json()["duplicates"] == 1 and list(CreditRecord.objects.order_by("pk").values()) == snapshot
    # another provider may use the same external ids
    second = api_client_create(name="第二家机构", scope="provider")
    assert push(client, second.key, records[:1]).json()["accepted"] == 1
    entry = AuditEntry.objects.filter(action="credits.push").order_by("seq").first()
    assert entry.details["accepted"] == 3 and entry.details["provider"] == "北京会计培训中心"


def test_bad_records_are_rejected_with_index_and_code_and_do_not_block_the_rest(client, provider, person):
    records = [
        row(person, "B-0"),
        {**row(person, "B-1"), "id_number": "110105194912310021"},
        {**row(person, "B-2"), "name": "张四"},
        row(person, "B-3", year=1999),
        row(person, "B-4", year=2099),
        row(person, "B-5", credits="0"),
        row(person, "B-6", credits="1.25"),
        row(person, "B-7", credits="abc"),
        row(person, "B-8", subject="other"),
        {**row(person, "B-9"), "year": "二〇二五"},
        {**row(person, "B-10"), "completed_on": "2024-12-31"},
        {**row(person, "B-11"), "external_id": ""},
        {**row(person, "B-12"), "credits": {"nested": True}},
        row(person, "B-13", credits=45.5, subject="public"),
        row(person, "B-0"),  # the same record twice in one call
    ]
    response = push(client, provider.key, records)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["accepted"] == 2 and body["duplicates"] == 1
    assert body["rejected"] == [
        {"index": 1, "code": "unknown_person"},
        {"index": 2, "code": "name_mismatch"},
        {"index": 3, "code": "bad_year"},
        {"index": 4, "code": "bad_year"},
        {"index": 5, "code": "bad_credits"},
        {"index": 6, "code": "bad_credits"},
        {"index": 7, "code": "bad_credits"},
        {"index": 8, "code": "bad_subject"},
        {"index": 9, "code": "bad_year"},
        {"index": 10, "code": "bad_year"},
        {"index": 11, "code": "missing_field"},
        {"index": 12, "code": "bad_credits"},
    ]
    assert sorted(CreditRecord.objects.values_list("external_id", flat=True)) == ["B-0", "B-13"]


def test_more_than_10000_records_413_and_nothing_stored(client, provider, person):
    records = [row(person, f"C-{i}", credits="0.5") for i in range(10_001)]
    problem(push(client, provider.key, records), 413, "too_many_records")
    assert not CreditRecord.objects.exists()
    assert push(client, provider.key, records[:10_000]).json()["accepted"] == 10_000


def test_only_provider_keys(client, person):
    verify = api_client_create(name="考试报名系统", scope="verify")
    problem(push(client, verify.key, [row(person, "D-1")]), 403, "wrong_scope")
    problem(client.post(PATH, json.dumps({"records": []}), content_type="application/json"), 401, "api_key_required")
    assert not CreditRecord.objects.exists()


def test_a_crash_mid_push_leaves_nothing(client, provider, person, monkeypatch):
    """Never half-applied: the audit row is written after the insert, in the same transaction; make it fail."""
    import registry.credits.services as services

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "audit_record", broken)
    client.raise_request_exception = False
    response = push(client, provider.key, [row(person, "E-1"), row(person, "E-2")])
    assert response.status_code == 500
    assert not CreditRecord.objects.exists()


def test_a_course_completed_after_today_is_rejected(client, provider, person, other_person):
    """Credits for a course not yet completed never count (the same check as the file import)."""
    import datetime as dt

    from registry.credits.services import today

    now = today()
    tomorrow, later = now + dt.timedelta(days=1), now + dt.timedelta(days=28)
    records = [
        row(person, "H-1", year=tomorrow.year, completed_on=tomorrow.isoformat()),
        row(person, "H-2", year=later.year, completed_on=later.isoformat()),
        row(other_person, "H-3", year=now.year, completed_on=now.isoformat()),
    ]
    body = push(client, provider.key, records).json()
    # (on 31 December "tomorrow" is next year's date: refused as a year that has not begun)
    expected = [{"index": i, "code": "future_date" if day.year == now.year else "bad_year"}
                for i, day in ((0, tomorrow), (1, later))]  # fmt: skip
    assert body == {"accepted": 1, "duplicates": 0, "rejected": expected}
    assert list(CreditRecord.objects.values_list("external_id", "record_id")) == [("H-3", other_person.pk)]
