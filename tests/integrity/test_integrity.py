"""Integrity records: admins and district reviewers (own districts) record them, audited; a ban
is `restricted` while in force and a warning on every application of that person in review."""

import datetime as dt

import pytest
from django.utils import timezone

from registry.audit.models import AuditEntry
from registry.integrity.models import IntegrityEntry
from registry.integrity.selectors import restricted
from registry.review.warnings import review_warnings
from tests.helpers import problem
from tests.people import collected

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def ban(person, **extra):
    return {
        "id_number": person.id_number,
        "kind": "ban",
        "summary": "伪造会计凭证，依据《会计法》第四十二条禁止从事会计工作",
        "starts_on": str(TODAY - dt.timedelta(days=10)),
        "ends_on": str(TODAY + dt.timedelta(days=365 * 5)),
        "document_number": "京财会罚〔2026〕12号",
        **extra,
    }


def test_a_reviewer_records_a_ban_for_their_district_only(api, chaoyang_reviewer):
    mine, other = collected(district="110105"), collected(district="110108")
    api.login(chaoyang_reviewer.phone)
    created = api.post("/api/v1/admin/integrity", ban(mine))
    assert created.status_code == 201, created.content
    assert created.json()["in_force"] is True and created.json()["document_number"] == "京财会罚〔2026〕12号"
    problem(api.post("/api/v1/admin/integrity", ban(other)), 403, "outside_districts")
    problem(api.post("/api/v1/admin/integrity", ban(other, id_number="110105199001011234")), 404, "not_found")
    assert IntegrityEntry.objects.count() == 1
    entry = AuditEntry.objects.get(action="integrity.create")
    assert entry.actor_id == chaoyang_reviewer.pk and entry.district == "110105"
    assert restricted(mine) and not restricted(other)
    assert not restricted(mine, on=TODAY - dt.timedelta(days=11))  # before it started
    assert not restricted(mine, on=TODAY + dt.timedelta(days=365 * 5 + 1))  # after it ended
    listed = api.get("/api/v1/admin/integrity").json()
    assert [e["name"] for e in listed] == [mine.name] and "*" in listed[0]["id_number"]


def test_ending_a_ban_early_is_audited_and_lifts_the_restriction(api, municipal_admin, haidian_reviewer):
    person = collected(district="110105")
    api.login(municipal_admin.phone)
    entry_id = api.post("/api/v1/admin/integrity", ban(person)).json()["id"]
    api.login(haidian_reviewer.phone)
    problem(api.post(f"/api/v1/admin/integrity/{entry_id}/end", {"reason": "复议撤销"}), 404, "not_found")
    api.login(municipal_admin.phone)
    problem(api.post(f"/api/v1/admin/integrity/{entry_id}/end", {"reason": ""}), 400, "required")
    ended = api.post(f"/api/v1/admin/integrity/{entry_id}/end", {"reason": "行政复议撤销处罚决定"})
    assert ended.status_code == 200 and ended.json()["in_force"] is False
    assert not restricted(person)
    assert AuditEntry.objects.filter(action="integrity.end", target_id=entry_id).count() == 1
    problem(api.post(f"/api/v1/admin/integrity/{entry_id}/end", {"reason": "再次"}), 409, "already_ended")


def test_a_ban_appears_as_a_warning_on_every_application_of_the_person(api, municipal_admin, chaoyang_reviewer):
    from registry.applications import services
    from tests.applications.conftest import upload_all_materials

    person, clean = collected(district="110105"), collected(district="110105")
    api.login(municipal_admin.phone)
    api.post("/api/v1/admin/integrity", ban(person))
    api.post("/api/v1/admin/integrity", ban(person, kind="reward", summary="全国先进会计工作者", ends_on=None))
    applications = []
    for who in (person, clean):
        change = services.application_create(applicant=who, type="change")
        form = change.form
        form["employment"]["unit_name"] = "北京新单位有限公司"
        form["other"]["change_event_date"] = str(TODAY)
        change = services.application_save_form(application=change, actor=who, form=form)
        upload_all_materials(change, who)
        applications.append(services.application_submit(application=change, actor=who))
    codes = [w["code"] for w in review_warnings(applications[0])]
    assert codes.count("integrity_ban") == 1 and "integrity_reward" not in codes
    assert "integrity_ban" not in [w["code"] for w in review_warnings(applications[1])]
    api.login(chaoyang_reviewer.phone)
    detail = api.get(f"/api/v1/review/applications/{applications[0].pk}").json()
    (warning,) = [w for w in detail["warnings"] if w["code"] == "integrity_ban"]
    assert "京财会罚〔2026〕12号" in warning["message"] and warning["ok"] is False


def test_the_person_sees_their_own_entries(api, municipal_admin):
    person, other = collected(district="110105"), collected(district="110108")
    api.login(municipal_admin.phone)
    api.post("/api/v1/admin/integrity", ban(person))
    api.login(person.phone)
    (mine,) = api.get("/api/v1/me/integrity").json()
    assert mine["kind"] == "ban" and mine["id_number"] == person.id_number
    api.login(other.phone)
    assert api.get("/api/v1/me/integrity").json() == []
    problem(api.post("/api/v1/admin/integrity", ban(person)), 403, "forbidden")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"kind": "medal"}, "unknown_code"),
        ({"summary": " "}, "required"),
        ({"ends_on": str(TODAY - dt.timedelta(days=30))}, "date_order"),
    ],
)
def test_bad_input_changes_nothing(api, municipal_admin, change, code):
    person = collected()
    api.login(municipal_admin.phone)
    problem(api.post("/api/v1/admin/integrity", ban(person, **change)), 400, code)
    assert not IntegrityEntry.objects.exists() and not AuditEntry.objects.filter(action="integrity.create").exists()
