"""Every write a service makes leaves its audit row, with old and new values where a value changes;
and the one scoping layer: transfer codes, record versions and moves seen only by who may."""

import pytest

from registry.accounts import access
from registry.applications import services as app_services
from registry.applications.models import Application
from registry.audit.models import AuditEntry
from registry.records.models import Record, RecordMove, RecordVersion
from registry.transfers.models import TransferCode
from tests import files
from tests.applications.conftest import upload
from tests.factories import UserFactory
from tests.helpers import problem
from tests.transfers.conftest import HEBEI
from tests.transfers.test_transfers import approve, issued_code

pytestmark = pytest.mark.django_db


def rows(action: str, **filters):
    return list(AuditEntry.objects.filter(action=action, **filters).order_by("seq"))


def test_create_and_form_saves_are_audited_with_old_and_new_values(draft, person):
    (created,) = rows("application.create", actor=person)
    assert created.target_id == str(draft.pk) and created.details["type"] == "first_collection"
    before = len(rows("application.save_form"))
    form = dict(draft.form)
    app_services.application_save_form(application=draft, actor=person, form=form)
    assert len(rows("application.save_form")) == before  # the same form again (autosave): no row
    form["basic"] = {**form["basic"], "email": "new@example.com"}
    app_services.application_save_form(application=draft, actor=person, form=form)
    last = rows("application.save_form")[-1]
    assert last.details["changes"] == {"basic.email": {"old": "liming@example.com", "new": "new@example.com"}}


def test_materials_added_replaced_and_removed_are_audited(draft, person):
    first = upload(draft, person, "photo", files.photo_jpeg(), "photo.jpg")
    second = upload(draft, person, "photo", files.photo_jpeg(seed=3), "photo2.jpg")
    added = rows("attachment.add", actor=person)
    assert [a.target_id for a in added] == [str(first.pk), str(second.pk)]
    assert added[1].details["replaced"] == [{"id": str(first.pk), "sha256": first.sha256}]
    second_id = str(second.pk)  # a file no round refers to is deleted for good
    app_services.attachment_remove(attachment=second, actor=person)
    (removed,) = rows("attachment.remove", actor=person)
    assert removed.target_id == second_id and removed.details["sha256"] == second.sha256


def test_a_transfer_code_claimed_and_given_back_is_audited(hebei_person, hebei_reviewer):
    code = issued_code(hebei_person, hebei_reviewer)
    application = app_services.application_create(applicant=hebei_person, type="transfer_in", transfer_code=code)
    (claimed,) = rows("transfer.code_claimed", actor=hebei_person)
    assert claimed.details["code_id"] == TransferCode.objects.get(code=code).pk
    assert claimed.details["used_at"]["old"] is None
    assert code not in str(claimed.details)  # the second factor of a transfer stays out of the log
    app_services.application_withdraw(application=application, actor=hebei_person)
    (released,) = rows("transfer.code_released", actor=hebei_person)
    assert released.details["used_at"]["new"] is None and released.details["application"] == str(application.pk)
    assert TransferCode.objects.get(code=code).used_at is None


def test_the_login_name_follows_the_approved_id_number_through_the_accounts_service(submitted, person):
    reviewer = UserFactory(reviewer=True, district_codes=["110105"])
    approve(submitted, reviewer)
    person.refresh_from_db()
    assert person.id_number == "110105199003070033"
    (changed,) = rows("account.identity", target_id=str(person.pk))
    assert changed.details["id_number"] == {"old": None, "new": "110105199003070033"}
    assert changed.actor_id == reviewer.pk


def test_transfer_codes_are_seen_by_their_person_and_source_district_only(api, hebei_person, hebei_reviewer):
    code = issued_code(hebei_person, hebei_reviewer)
    other_person = UserFactory()
    beijing = UserFactory(reviewer=True, district_codes=["110105"])
    visible = lambda user: set(TransferCode.objects.visible_to(user).values_list("code", flat=True))  # noqa: E731
    assert visible(hebei_person) == {code} and visible(hebei_reviewer) == {code}
    assert visible(other_person) == set() and visible(beijing) == set()
    api.login(other_person.phone)
    problem(api.get(f"/api/v1/me/transfer-codes/{code}/document"), 404, "not_found")


def test_versions_follow_the_current_district_and_moves_the_district_left(hebei_person, hebei_reviewer):
    """After a move 河北 → 北京 (a transfer in approved), 河北 is told of the move but no longer sees
    the record's versions; 北京 sees them."""
    code = issued_code(hebei_person, hebei_reviewer)
    application = app_services.application_create(applicant=hebei_person, type="transfer_in", transfer_code=code)
    form = dict(application.form)
    form["basic"] = {**form["basic"], "residence_district": "110105"}
    form["employment"] = {**form["employment"], "unit_district": "110105"}
    app_services.application_save_form(application=application, actor=hebei_person, form=form)
    from tests.applications.conftest import upload_all_materials

    upload_all_materials(application, hebei_person)
    application = app_services.application_submit(
        application=Application.objects.get(pk=application.pk), actor=hebei_person
    )
    beijing = UserFactory(reviewer=True, district_codes=["110105"])
    approve(application, beijing)
    record = Record.objects.get(user=hebei_person)
    assert record.district_id == "110105"
    assert RecordVersion.objects.visible_to(beijing).filter(record=record).count() == record.version
    assert not RecordVersion.objects.visible_to(hebei_reviewer).filter(record=record).exists()
    assert RecordMove.objects.in_districts_of(hebei_reviewer).filter(record=record, from_district=HEBEI).exists()
    assert not RecordMove.objects.in_districts_of(beijing).exists()
    assert access.can_view(hebei_person, record)


def test_one_staff_gate_for_web_and_api(client, api, applicant, chaoyang_reviewer):
    client.force_login(applicant)
    assert client.get("/staff/queue/").status_code == 403
    assert client.get("/staff/users/").status_code == 403
    client.force_login(chaoyang_reviewer)
    assert client.get("/staff/queue/").status_code == 200
    assert client.get("/staff/users/").status_code == 403  # admins only
    api.login(applicant.phone)
    problem(api.get("/api/v1/review/applications"), 403, "forbidden")
    problem(
        api.post("/api/v1/staff/phone-recovery", {"id_number": "x", "new_phone": "x", "identity_check": "x"}),
        403,
        "forbidden",
    )
