"""POST /api/v1/verify and /verify/batch: answers, the wrong-name rule, scopes, rate limit, audit."""

import json

import pytest

from registry.accounts.services import api_client_create
from registry.audit.models import AuditEntry
from registry.records.models import RecordStatus
from registry.records.services import record_set_status
from tests.helpers import problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def verify_key():
    return api_client_create(name="会计资格考试报名系统", scope="verify").key


@pytest.fixture
def provider_key():
    return api_client_create(name="某培训机构", scope="provider").key


def post(client, path, body, key):
    headers = {"HTTP_X_API_KEY": key} if key else {}
    return client.post(path, json.dumps(body), content_type="application/json", REMOTE_ADDR="203.0.113.5", **headers)


def test_found(client, make_person, verify_key):
    person = make_person("110105", name="王小明", levels=("junior", "intermediate"))
    response = post(
        client, "/api/v1/verify", {"id_number": person.id_number, "name": "王小明", "years": [2025]}, verify_key
    )
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "found": True,
        "status": "normal",
        "district": "110105",
        "qualification_level": "intermediate",
        "restricted": False,
        "credits": {"2025": {"total": 0.0, "compliant": True}},  # no credits and no obligation yet in 2025
    }
    assert person.id_number not in response.content.decode()  # never echoed


def test_lower_case_x_and_spaces_still_match(client, make_person, verify_key):
    make_person("110105", name="李四", id_number="11010519491231002X")
    body = post(client, "/api/v1/verify", {"id_number": " 11010519491231002x ", "name": "李 四"}, verify_key).json()
    assert body["found"] is True


def test_wrong_name_answers_exactly_like_unknown(client, make_person, verify_key):
    person = make_person("110105", name="王小明")
    wrong = post(
        client, "/api/v1/verify", {"id_number": person.id_number, "name": "王小红", "years": [2025]}, verify_key
    )
    unknown = post(
        client, "/api/v1/verify", {"id_number": "110105199001010011", "name": "王小明", "years": [2025]}, verify_key
    )
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.content == unknown.content == b'{"found": false}'

    def same(response):  # every header but the per-request id
        return sorted((k, v) for k, v in response.headers.items() if k != "X-Request-ID")

    assert same(wrong) == same(unknown)


def test_status_values(client, make_person, verify_key):
    frozen = make_person("110108", name="赵六")
    record_set_status(record=frozen, status=RecordStatus.FROZEN)
    gone = make_person("110101", name="钱七", levels=())
    record_set_status(record=gone, status=RecordStatus.TRANSFERRED_OUT)
    assert (
        post(client, "/api/v1/verify", {"id_number": frozen.id_number, "name": "赵六"}, verify_key).json()["status"]
        == "frozen"
    )
    body = post(client, "/api/v1/verify", {"id_number": gone.id_number, "name": "钱七"}, verify_key).json()
    assert body["status"] == "transferred_out" and body["qualification_level"] is None


def test_rare_character_collected_as_star(client, make_person, verify_key):
    person = make_person("110105", name="王*明")
    assert post(client, "/api/v1/verify", {"id_number": person.id_number, "name": "王䶮明"}, verify_key).json()["found"]
    assert not post(client, "/api/v1/verify", {"id_number": person.id_number, "name": "王䶮"}, verify_key).json()[
        "found"
    ]


def test_keys_and_scopes(client, provider_key, verify_key):
    body = {"id_number": "110105199001010011", "name": "某某"}
    problem(post(client, "/api/v1/verify", body, None), 401, "api_key_required")
    problem(post(client, "/api/v1/verify", body, "ar_not-a-key"), 401, "invalid_api_key")
    problem(post(client, "/api/v1/verify", body, provider_key), 403, "wrong_scope")
    problem(post(client, "/api/v1/verify/batch", {"people": [body]}, provider_key), 403, "wrong_scope")


def test_rate_limit_429_with_retry_after(client, settings, verify_key):
    settings.API_KEY_RATE_LIMIT = 3
    body = {"id_number": "110105199001010011", "name": "某某"}
    for _ in range(3):
        assert post(client, "/api/v1/verify", body, verify_key).status_code == 200
    response = post(client, "/api/v1/verify", body, verify_key)
    problem(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1


def test_every_query_audited_with_the_key_and_without_the_id_number(client, make_person, verify_key):
    person = make_person("110105", name="王小明")
    post(client, "/api/v1/verify", {"id_number": person.id_number, "name": "王小明", "years": [2025]}, verify_key)
    post(client, "/api/v1/verify", {"id_number": person.id_number, "name": "别人"}, verify_key)
    found, missed = AuditEntry.objects.filter(action="verify.query").order_by("seq")
    assert found.details["client"] == "会计资格考试报名系统" and found.details["found"] is True
    assert found.target_id == str(person.pk) and found.district == "110105" and found.ip == "203.0.113.5"
    assert missed.details["found"] is False and missed.target_id == ""
    for entry in (found, missed):
        assert person.id_number not in json.dumps(entry.details, ensure_ascii=False)
        assert entry.details["id_number"] == person.id_number[:6] + "********" + person.id_number[-4:]


def test_bad_years_change_nothing(client, verify_key):
    problem(
        post(client, "/api/v1/verify", {"id_number": "x", "name": "y", "years": [1900]}, verify_key), 400, "bad_year"
    )
    problem(
        post(client, "/api/v1/verify", {"id_number": "x", "name": "y", "years": list(range(2010, 2022))}, verify_key),
        400,
        "too_many_years",
    )
    assert not AuditEntry.objects.filter(action="verify.query").exists()


def test_batch(client, make_person, verify_key, settings):
    a = make_person("110105", name="甲一", levels=("senior",))
    b = make_person("110108", name="乙二")
    people = [
        {"id_number": a.id_number, "name": "甲一", "ref": "K001"},
        {"id_number": b.id_number, "name": "错名", "ref": "K002"},
        {"id_number": "110105199001010011", "name": "丙三"},
        {"id_number": b.id_number, "name": "乙二", "ref": "K004"},
    ]
    response = post(client, "/api/v1/verify/batch", {"people": people, "years": [2025]}, verify_key)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["found"] for r in results] == [True, False, False, True]
    assert results[0]["qualification_level"] == "senior" and results[0]["ref"] == "K001"
    assert results[1] == {"found": False, "ref": "K002"} and results[2] == {"found": False}
    assert a.id_number not in response.content.decode() and b.id_number not in response.content.decode()
    [entry] = AuditEntry.objects.filter(action="verify.batch")
    assert entry.details["queried"] == 4 and entry.details["found"] == 2
    assert sorted(entry.details["records"]) == sorted([a.pk, b.pk])
    settings.VERIFY_BATCH_MAX = 3
    problem(post(client, "/api/v1/verify/batch", {"people": people}, verify_key), 413, "batch_too_large")
    assert AuditEntry.objects.filter(action="verify.batch").count() == 1


def test_restricted_while_an_integrity_ban_is_in_force(client, make_person, verify_key, municipal_admin):
    """`restricted` comes from the integrity app: a ban in force today, not an ended or future one."""
    import datetime as dt

    from django.utils import timezone

    from registry.integrity.services import integrity_record

    banned = make_person("110105", name="赵禁业")
    later = make_person("110108", name="钱未来")
    today = timezone.localdate()
    integrity_record(actor=municipal_admin, id_number=banned.id_number, kind="ban", summary="违反会计法",
                     starts_on=today - dt.timedelta(days=10), ends_on=today + dt.timedelta(days=300),
                     document_number="京财会罚〔2026〕1号")  # fmt: skip
    integrity_record(actor=municipal_admin, id_number=later.id_number, kind="ban", summary="违反会计法",
                     starts_on=today + dt.timedelta(days=5), document_number="京财会罚〔2026〕2号")  # fmt: skip

    def restricted(person, name):
        body = post(client, "/api/v1/verify", {"id_number": person.id_number, "name": name}, verify_key).json()
        return body["restricted"]

    assert restricted(banned, "赵禁业") is True
    assert restricted(later, "钱未来") is False
