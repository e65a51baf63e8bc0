"""The applicant's API: create, save, upload, submit (every problem at once), withdraw, access."""

import copy

import pytest

from registry.applications.models import Application, ApplicationRound
from registry.audit.models import AuditEntry
from tests import files
from tests.applications.conftest import post_file, upload_all_materials
from tests.factories import PASSWORD, UserFactory
from tests.helpers import problem

pytestmark = pytest.mark.django_db


def put_form(api, application_id, form):
    return api.client.put(
        f"/api/v1/me/applications/{application_id}/form",
        data=__import__("json").dumps(form),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )


def test_full_first_collection_over_the_api(logged_in, person, valid_form):
    api = logged_in
    created = api.post("/api/v1/me/applications", {"type": "first_collection"})
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "draft" and body["form"]["basic"]["phone"] == person.phone
    app_id = body["id"]

    draft = put_form(api, app_id, {"basic": {"name": "李明"}})  # a partial draft is fine
    assert draft.status_code == 200 and draft.json()["form"]["basic"]["name"] == "李明"

    valid_form["basic"]["phone"] = person.phone
    saved = put_form(api, app_id, valid_form).json()
    assert saved["district"] == "110105" and saved["district_contact"]["name"] == "朝阳区"
    kinds = [m["kind"] for m in saved["missing_materials"]]
    assert kinds == ["id_front", "id_back", "photo", "diploma", "degree", "qualification_cert"]

    response = post_file(api, app_id, "photo", files.photo_jpeg(), "photo.jpg")
    assert response.status_code == 201
    uploaded = response.json()
    assert {"id", "kind", "size", "sha256"} <= set(uploaded) and uploaded["kind"] == "photo"
    assert "photo" not in [m["kind"] for m in api.get(f"/api/v1/me/applications/{app_id}").json()["missing_materials"]]

    application = Application.objects.get(pk=app_id)
    upload_all_materials(application, person)
    submitted = api.post(f"/api/v1/me/applications/{app_id}/submit")
    assert submitted.status_code == 200 and submitted.json() == {"status": "submitted"}
    detail = api.get(f"/api/v1/me/applications/{app_id}").json()
    assert detail["status_label"] == "待审核" and detail["round"] == 1
    assert [e["kind"] for e in detail["history"]] == ["created", "submitted"]
    assert (
        ApplicationRound.objects.get(application_id=app_id).form["basic"]["id_number"]
        == valid_form["basic"]["id_number"]
    )
    assert AuditEntry.objects.filter(action="application.submit", district="110105").exists()
    # no editing while it waits for review
    problem(put_form(api, app_id, valid_form), 409, "not_editable")
    problem(post_file(api, app_id, "photo", files.photo_jpeg(), "p.jpg"), 409, "not_editable")


def test_submit_returns_every_problem_at_once(logged_in, person, valid_form):
    api = logged_in
    app_id = api.post("/api/v1/me/applications", {"type": "first_collection"}).json()["id"]
    form = copy.deepcopy(valid_form)
    form["basic"]["phone"] = person.phone
    form["basic"]["id_number"] = "110105199003070034"  # last digit wrong
    form["basic"]["birth_date"] = "1991-03-07"  # disagrees with the number's date digits
    form["employment"]["unit_uscc"] = "91110105MA01ABCD3Y"  # bad check character
    put_form(api, app_id, form)
    body = problem(api.post(f"/api/v1/me/applications/{app_id}/submit"), 400, "invalid_form")
    assert body["status"] == 400
    found = {(e["field"], e["code"]) for e in body["errors"]}
    assert {
        ("basic.id_number", "invalid_checksum"),
        ("basic.birth_date", "id_mismatch"),
        ("employment.unit_uscc", "invalid_checksum"),
        ("attachments.id_front", "missing_attachment"),
        ("attachments.id_back", "missing_attachment"),
        ("attachments.photo", "missing_attachment"),
        ("attachments.diploma.0", "missing_attachment"),
        ("attachments.qualification_cert.0", "missing_attachment"),
    } <= found
    assert all(e["message"] for e in body["errors"])
    assert Application.objects.get(pk=app_id).status == "draft"  # nothing changed


def test_second_open_application_is_409(logged_in):
    assert logged_in.post("/api/v1/me/applications", {"type": "first_collection"}).status_code == 201
    problem(logged_in.post("/api/v1/me/applications", {"type": "first_collection"}), 409, "open_application_exists")


def test_withdraw_before_claim_then_a_new_one_may_start(logged_in, submitted):
    assert logged_in.post(f"/api/v1/me/applications/{submitted.pk}/withdraw").json() == {"status": "withdrawn"}
    assert logged_in.post("/api/v1/me/applications", {"type": "first_collection"}).status_code == 201


def test_withdraw_after_claim_is_refused(logged_in, submitted):
    Application.objects.filter(pk=submitted.pk).update(status="in_review")
    problem(logged_in.post(f"/api/v1/me/applications/{submitted.pk}/withdraw"), 409, "invalid_transition")


def test_delete_an_attachment(logged_in, draft, person):
    response = post_file(logged_in, draft.pk, "photo", files.photo_jpeg(), "photo.jpg")
    att = response.json()["id"]
    deleted = logged_in.client.delete(
        f"/api/v1/me/applications/{draft.pk}/attachments/{att}", HTTP_AUTHORIZATION=f"Bearer {logged_in.token}"
    )
    assert deleted.status_code == 204
    assert draft.attachments.current().count() == 0


def test_upload_errors_over_http(logged_in, draft):
    problem(post_file(logged_in, draft.pk, "photo", files.png_bytes(), "photo.jpg"), 400, "photo_not_jpeg")
    problem(post_file(logged_in, draft.pk, "id_front", files.large_file(), "big.jpg"), 413, "file_too_large")


def test_my_record_is_404_until_approved(logged_in):
    problem(logged_in.get("/api/v1/me/record"), 404, "not_found")


def test_export_contains_my_data_and_is_audited(logged_in, submitted, person):
    data = logged_in.get("/api/v1/me/export").json()
    assert data["account"]["phone"] == person.phone
    (application,) = data["applications"]
    assert application["form"]["basic"]["name"] == "李明"
    assert len(application["attachments"]) == 6 and application["rounds"][0]["number"] == 1
    assert any(entry["action"] == "application.submit" and entry["by"] == "本人" for entry in data["access_log"])
    assert AuditEntry.objects.filter(action="privacy.export", actor=person).exists()


# --- access: another applicant, a reviewer of another district --------------------------------


def paths_for(application):
    ids = [str(a.pk) for a in application.attachments.current()]
    return [f"/api/v1/me/applications/{application.pk}"] + [f"/api/v1/attachments/{i}/content" for i in ids]


def test_owner_reads_own_files(logged_in, submitted):
    for path in paths_for(submitted)[1:]:
        response = logged_in.get(path)
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        if response["Content-Type"] != "application/pdf":
            assert "sandbox" in response["Content-Security-Policy"]


def test_another_applicant_gets_404_everywhere(api, submitted):
    stranger = UserFactory()
    api.login(stranger.phone, PASSWORD)
    for path in paths_for(submitted):
        assert api.get(path).status_code == 404, path
    assert api.post(f"/api/v1/me/applications/{submitted.pk}/withdraw").status_code == 404
    assert submitted.attachments.count() == 6


def test_reviewer_of_another_district_gets_404_on_files(api, submitted, haidian_reviewer):
    api.login(haidian_reviewer.phone)
    for path in paths_for(submitted)[1:]:
        assert api.get(path).status_code == 404, path


def test_reviewer_of_the_district_reads_files_and_it_is_audited(api, submitted, chaoyang_reviewer):
    api.login(chaoyang_reviewer.phone)
    paths = paths_for(submitted)[1:]
    for path in paths:
        assert api.get(path).status_code == 200
    assert AuditEntry.objects.filter(
        action="attachment.read", actor=chaoyang_reviewer, district="110105"
    ).count() == len(paths)


def test_a_draft_is_invisible_to_every_reviewer(api, ready, chaoyang_reviewer):
    api.login(chaoyang_reviewer.phone)
    for path in paths_for(ready)[1:]:
        assert api.get(path).status_code == 404


def test_malformed_ids_are_404(logged_in):
    assert logged_in.get("/api/v1/attachments/not-a-uuid/content").status_code == 404
    assert logged_in.get("/api/v1/me/applications/12345").status_code == 404
