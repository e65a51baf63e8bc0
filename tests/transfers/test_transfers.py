"""调出 / 调入 inside one deployment: 河北 → 北京 with a transfer code, and the code's rules."""

import datetime as dt

import pytest
from django.utils import timezone

from registry.applications import services as app_services
from registry.applications.models import Application
from registry.audit.models import AuditEntry
from registry.core.errors import ServiceError
from registry.records.models import Record, RecordMove
from registry.review import services as review_services
from registry.transfers.models import TransferCode
from registry.transfers.services import transfer_code_revoke
from tests.applications.conftest import upload_all_materials
from tests.factories import PASSWORD, UserFactory
from tests.helpers import problem
from tests.transfers.conftest import HEBEI

pytestmark = pytest.mark.django_db


def approve(application, reviewer):
    review_services.review_claim(application=application, actor=reviewer)
    return review_services.review_decide(
        application=Application.objects.get(pk=application.pk), actor=reviewer, decision="approve"
    )


def issued_code(person, reviewer) -> str:
    application = app_services.transfer_out_request(applicant=person, destination_region="110000")
    approve(application, reviewer)
    return TransferCode.objects.get(person=person).code


def test_hebei_to_beijing_end_to_end_over_the_api(api, hebei_person, hebei_reviewer, chaoyang_reviewer):
    # 1. The person asks to leave 河北
    api.login(hebei_person.phone)
    out = api.post("/api/v1/me/transfer-out", {"destination_region": "110000"})
    assert out.status_code == 201 and out.json()["type"] == "transfer_out" and out.json()["status"] == "submitted"
    out_id = out.json()["id"]

    # 2. Only 河北's district sees and decides it
    api.login(chaoyang_reviewer.phone)
    problem(api.get(f"/api/v1/review/applications/{out_id}"), 404, "not_found")
    api.login(hebei_reviewer.phone)
    queue = api.get("/api/v1/review/applications").json()["results"]
    assert [(r["id"], r["type"]) for r in queue] == [(out_id, "transfer_out")]
    api.post(f"/api/v1/review/applications/{out_id}/claim")
    assert api.post(f"/api/v1/review/applications/{out_id}/decision", {"decision": "approve"}).json() == {
        "status": "approved"
    }
    record = Record.objects.get(user=hebei_person)
    assert record.status == "transferring_out" and record.district_id == HEBEI

    # 3. The code is shown to the person and used at a Beijing district
    api.login(hebei_person.phone)
    (code,) = api.get("/api/v1/me/transfer-codes").json()
    assert code["status"] == "valid" and code["destination_region"] == "110000"
    expires = dt.datetime.fromisoformat(code["expires_at"]) - dt.datetime.fromisoformat(code["issued_at"])
    assert expires == dt.timedelta(days=90)
    created = api.post("/api/v1/me/applications", {"type": "transfer_in", "transfer_code": code["code"].lower()})
    assert created.status_code == 201
    body = created.json()
    assert body["form"]["basic"]["name"] == "李明" and body["form"]["employment"]["unit_district"] == ""
    application = Application.objects.get(pk=body["id"])
    form = application.form
    form["employment"].update(unit_name="北京示例科技有限公司", unit_district="110105")
    form["basic"]["residence_district"] = "110105"
    app_services.application_save_form(application=application, actor=hebei_person, form=form)
    upload_all_materials(application, hebei_person)
    assert api.post(f"/api/v1/me/applications/{application.pk}/submit").json() == {"status": "submitted"}

    # 4. 朝阳区 approves; the record moves with its history
    api.login(chaoyang_reviewer.phone)
    api.post(f"/api/v1/review/applications/{application.pk}/claim")
    detail = api.get(f"/api/v1/review/applications/{application.pk}").json()
    assert [v["district"] for v in detail["record_versions"]] == [HEBEI]  # the old history is visible here
    api.post(f"/api/v1/review/applications/{application.pk}/decision", {"decision": "approve"})
    record.refresh_from_db()
    assert (record.district_id, record.status, record.version) == ("110105", "normal", 2)
    assert list(record.versions.order_by("version").values_list("district_id", flat=True)) == [HEBEI, "110105"]
    assert RecordMove.objects.get(record=record).from_district_id == HEBEI
    assert AuditEntry.objects.filter(action="record.moved_out", district=HEBEI).exists()


def test_district_access_before_and_after_the_move(hebei_person, hebei_reviewer, chaoyang_reviewer):
    def sees(user):
        return Record.objects.visible_to(user).filter(user=hebei_person).exists()

    assert sees(hebei_reviewer) and not sees(chaoyang_reviewer)
    code = issued_code(hebei_person, hebei_reviewer)
    application = app_services.application_create(applicant=hebei_person, type="transfer_in", transfer_code=code)
    form = application.form
    form["employment"]["unit_district"] = "110105"
    form["basic"]["residence_district"] = "110105"
    app_services.application_save_form(application=application, actor=hebei_person, form=form)
    upload_all_materials(application, hebei_person)
    application = app_services.application_submit(
        application=Application.objects.get(pk=application.pk), actor=hebei_person
    )
    assert sees(hebei_reviewer) and not sees(chaoyang_reviewer)  # still 河北's until approved
    approve(application, chaoyang_reviewer)
    assert sees(chaoyang_reviewer) and not sees(hebei_reviewer)


def test_expired_code(hebei_person, hebei_reviewer):
    code = issued_code(hebei_person, hebei_reviewer)
    TransferCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(ServiceError) as info:
        app_services.application_create(applicant=hebei_person, type="transfer_in", transfer_code=code)
    assert info.value.code == "transfer_code_expired"
    assert not Application.objects.filter(type="transfer_in").exists()


def test_someone_elses_code_is_just_invalid(hebei_person, hebei_reviewer):
    code = issued_code(hebei_person, hebei_reviewer)
    with pytest.raises(ServiceError) as info:
        app_services.application_create(applicant=UserFactory(), type="transfer_in", transfer_code=code)
    assert info.value.code == "transfer_code_invalid"
    with pytest.raises(ServiceError) as info:
        app_services.application_create(applicant=hebei_person, type="transfer_in", transfer_code="ZR2222-2222-2222")
    assert info.value.code == "transfer_code_invalid"


def test_code_works_once_and_a_withdrawal_gives_it_back(hebei_person, hebei_reviewer):
    code = issued_code(hebei_person, hebei_reviewer)
    first = app_services.application_create(applicant=hebei_person, type="transfer_in", transfer_code=code)
    assert TransferCode.objects.get(code=code).used_by_id == first.pk
    app_services.application_withdraw(application=first, actor=hebei_person)
    second = app_services.application_create(applicant=hebei_person, type="transfer_in", transfer_code=code)
    app_services.application_withdraw(application=second, actor=hebei_person)
    TransferCode.objects.filter(code=code).update(used_at=timezone.now(), used_by=second)  # as if approved
    with pytest.raises(ServiceError) as info:
        app_services.application_create(applicant=hebei_person, type="transfer_in", transfer_code=code)
    assert info.value.code == "transfer_code_used"


def test_revoked_code_and_the_record_returns_to_normal(hebei_person, hebei_reviewer, chaoyang_reviewer, api):
    code = issued_code(hebei_person, hebei_reviewer)
    with pytest.raises(ServiceError) as info:
        transfer_code_revoke(actor=chaoyang_reviewer, code=code)  # not the source district
    assert info.value.status == 404
    api.login(hebei_reviewer.phone)
    assert api.post(f"/api/v1/review/transfer-codes/{code}/revoke").json() == {"status": "revoked"}
    assert Record.objects.get(user=hebei_person).status == "normal"
    with pytest.raises(ServiceError) as info:
        app_services.application_create(applicant=hebei_person, type="transfer_in", transfer_code=code)
    assert info.value.code == "transfer_code_revoked"


def test_transfer_out_rules(hebei_person, api):
    api.login(hebei_person.phone)
    problem(api.post("/api/v1/me/transfer-out", {"destination_region": "130000"}), 400, "same_province")
    problem(api.post("/api/v1/me/transfer-out", {"destination_region": "110105"}), 400, "unknown_code")
    assert api.post("/api/v1/me/transfer-out", {"destination_region": "110000"}).status_code == 201
    problem(api.post("/api/v1/me/transfer-out", {"destination_region": "110000"}), 409, "open_application_exists")
    stranger = UserFactory()
    api.login(stranger.phone, PASSWORD)
    problem(api.post("/api/v1/me/transfer-out", {"destination_region": "130000"}), 409, "no_record")


def test_transfer_in_from_a_system_without_codes_is_checked_by_hand(chaoyang_reviewer):
    person = UserFactory()
    with pytest.raises(ServiceError) as info:
        app_services.application_create(applicant=person, type="transfer_in")
    assert info.value.code == "transfer_code_required"
    application = app_services.application_create(
        applicant=person, type="transfer_in", origin_region="440000", origin_reference="GD-2026-000123"
    )
    from registry.review.warnings import review_warnings

    warning = next(w for w in review_warnings(application) if w["code"] == "manual_transfer_check")
    assert "广东省" in warning["message"] and "GD-2026-000123" in warning["message"]


def test_move_inside_the_city_is_reviewed_by_the_receiving_district(chaoyang_app, chaoyang_reviewer, haidian_reviewer):
    approve(chaoyang_app, chaoyang_reviewer)
    person = chaoyang_app.applicant
    change = app_services.application_create(applicant=person, type="change")
    form = change.form
    form["employment"].update(unit_name="北京海淀示例有限公司", unit_district="110108")
    form["other"]["change_event_date"] = (timezone.localdate() - dt.timedelta(days=200)).isoformat()
    app_services.application_save_form(application=change, actor=person, form=form)
    upload_all_materials(change, person)
    change = app_services.application_submit(application=Application.objects.get(pk=change.pk), actor=person)
    assert change.district_id == "110108"
    from registry.review.warnings import review_warnings

    assert not Application.objects.in_districts_of(chaoyang_reviewer).filter(pk=change.pk).exists()
    assert "late_change" in {w["code"] for w in review_warnings(change)}  # flagged, not refused
    approve(change, haidian_reviewer)
    record = Record.objects.get(user=person)
    assert record.district_id == "110108"
    assert not Record.objects.visible_to(chaoyang_reviewer).filter(pk=record.pk).exists()
    move = RecordMove.objects.get(record=record)
    assert (move.from_district_id, move.to_district_id) == ("110105", "110108")


def test_web_transfer_out_code_shown_and_old_district_told(client, hebei_person, hebei_reviewer, chaoyang_reviewer):
    client.force_login(hebei_person)
    assert "申请调出" in client.get("/record/").content.decode()
    response = client.post("/record/transfer-out/", {"destination_region": "110000"}, follow=True)
    assert "调出申请已提交" in response.content.decode()
    application = Application.objects.get(applicant=hebei_person, type="transfer_out")
    approve(application, hebei_reviewer)
    code = TransferCode.objects.get(person=hebei_person).code
    assert code in client.get("/record/").content.decode()
    client.force_login(hebei_reviewer)
    assert code in client.get(f"/staff/review/{application.pk}/").content.decode()
    client.post(f"/staff/review/{application.pk}/revoke-code/")
    assert TransferCode.objects.get(code=code).revoked_at is not None
    client.force_login(chaoyang_reviewer)
    assert client.post(f"/staff/review/{application.pk}/revoke-code/").status_code == 404


def test_old_district_home_lists_people_who_moved_away(client, chaoyang_app, chaoyang_reviewer, haidian_reviewer):
    approve(chaoyang_app, chaoyang_reviewer)
    person = chaoyang_app.applicant
    change = app_services.application_create(applicant=person, type="change")
    form = change.form
    form["employment"]["unit_district"] = "110108"
    form["other"]["change_event_date"] = timezone.localdate().isoformat()
    app_services.application_save_form(application=change, actor=person, form=form)
    upload_all_materials(change, person)
    approve(
        app_services.application_submit(application=Application.objects.get(pk=change.pk), actor=person),
        haidian_reviewer,
    )
    client.force_login(chaoyang_reviewer)
    html = client.get("/").content.decode()
    assert "近期调离本区的人员" in html and "朝阳区 → 海淀区" in html
