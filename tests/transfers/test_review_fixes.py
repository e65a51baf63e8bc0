"""Regression tests for the second review: dead ends, stale writes, misattached materials, documents."""

import base64
import copy

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.applications import services as app_services
from registry.applications.models import Application
from registry.core.errors import ServiceError
from registry.records.models import Record
from registry.review import services as review_services
from registry.transfers.documents import CODE_HASH, canonical, code_hash, key_id_of, public_pem
from registry.transfers.models import PeerKey, TransferCode
from tests import files
from tests.applications.conftest import upload
from tests.transfers.test_transfers import approve

pytestmark = pytest.mark.django_db


def reject(application, reviewer):
    review_services.review_claim(application=application, actor=reviewer)
    return review_services.review_decide(
        application=Application.objects.get(pk=application.pk),
        actor=reviewer,
        decision="reject",
        reasons=["material_unclear"],
    )


def test_a_rejected_application_can_be_withdrawn_and_a_new_one_started(chaoyang_app, chaoyang_reviewer):
    reject(chaoyang_app, chaoyang_reviewer)
    app_services.application_withdraw(
        application=Application.objects.get(pk=chaoyang_app.pk), actor=chaoyang_app.applicant
    )
    assert app_services.application_create(applicant=chaoyang_app.applicant, type="first_collection")


def test_a_rejected_transfer_out_is_withdrawn_not_resubmitted(hebei_person, hebei_reviewer):
    application = app_services.transfer_out_request(applicant=hebei_person, destination_region="110000")
    reject(application, hebei_reviewer)
    with pytest.raises(ServiceError) as info:
        app_services.application_submit(application=application, actor=hebei_person)
    assert info.value.code == "invalid_transition"
    app_services.application_withdraw(application=Application.objects.get(pk=application.pk), actor=hebei_person)
    assert app_services.transfer_out_request(applicant=hebei_person, destination_region="110000")


def test_a_code_for_another_destination_is_refused(hebei_person, hebei_reviewer):
    application = app_services.transfer_out_request(applicant=hebei_person, destination_region="120000")  # 天津
    approve(application, hebei_reviewer)
    code = TransferCode.objects.get(person=hebei_person).code
    with pytest.raises(ServiceError) as info:
        app_services.application_create(applicant=hebei_person, type="transfer_in", transfer_code=code)
    assert info.value.code == "transfer_code_wrong_destination"


def test_a_person_who_left_can_come_back_by_hand(hebei_person, hebei_reviewer):
    application = app_services.transfer_out_request(applicant=hebei_person, destination_region="120000")
    approve(application, hebei_reviewer)
    assert Record.objects.get(user=hebei_person).status == "transferring_out"
    back = app_services.application_create(
        applicant=hebei_person, type="transfer_in", origin_region="120000", origin_reference="TJ-2026-1"
    )
    assert back.type == "transfer_in"


def signed(payload: dict, key: Ed25519PrivateKey) -> dict:
    return {"payload": payload, "signature": base64.b64encode(key.sign(canonical(payload))).decode()}


@pytest.fixture
def peer_key(db):
    key = Ed25519PrivateKey.generate()
    PeerKey.objects.create(
        name="天津", region_id="120000", key_id=key_id_of(key.public_key()), public_key=public_pem(key.public_key())
    )
    return key


TIANJIN_CODE = "ZRTJTJ-TJTJ-TJTJ"


def document_for(person_record, key, *, issuer_region="120000", code=TIANJIN_CODE):
    version = person_record.versions.order_by("-version").first()
    salt = "5a" * 16
    return signed(
        {
            "format": "accountant-registry/transfer-document",
            "version": 2,
            "issuer": {"name": "天津市系统", "region": issuer_region, "key_id": key_id_of(key.public_key())},
            "issued_at": "2026-11-26T10:00:00+08:00",
            "transfer_code_hash": {**CODE_HASH, "salt": salt, "hash": code_hash(code, salt)},
            "code_expires_at": "2099-01-01T00:00:00+08:00",
            "destination_region": "110000",
            "person": {"id_number": person_record.id_number, "name": person_record.name},
            "record": {
                "district": "120101",
                "status": "normal",
                "versions": [
                    {
                        "version": 1,
                        "district": "120101",
                        "source": "first_collection",
                        "created_at": "2026-01-01T00:00:00+08:00",
                        "data": version.data,
                    }
                ],
            },
        },
        key,
    )


def test_a_person_who_left_returns_with_a_signed_document(hebei_person, hebei_reviewer, peer_key):
    approve(app_services.transfer_out_request(applicant=hebei_person, destination_region="120000"), hebei_reviewer)
    record = Record.objects.get(user=hebei_person)
    application = app_services.application_create(
        applicant=hebei_person,
        type="transfer_in",
        transfer_document=document_for(record, peer_key),
        transfer_code=TIANJIN_CODE,
    )
    assert application.origin_region == "120000"


def test_a_document_claiming_another_province_than_its_key_is_refused(
    applicant, peer_key, chaoyang_app, chaoyang_reviewer
):
    approve(chaoyang_app, chaoyang_reviewer)
    record = Record.objects.get(user=chaoyang_app.applicant)
    document = document_for(record, peer_key, issuer_region="440000")
    with pytest.raises(ServiceError) as info:
        app_services.application_create(
            applicant=applicant, type="transfer_in", transfer_document=document, transfer_code=TIANJIN_CODE
        )
    assert info.value.code == "document_wrong_issuer"


def test_an_upload_with_a_stale_copy_after_submission_is_refused(ready, person):
    stale = Application.objects.get(pk=ready.pk)
    app_services.application_submit(application=ready, actor=person)
    with pytest.raises(ServiceError) as info:
        upload(stale, person, "photo", files.photo_jpeg(seed=5), "late.jpg")
    assert info.value.code == "not_editable"


def test_materials_follow_deleted_entries(client, draft, person, valid_form):
    form = copy.deepcopy(draft.form)
    master = {
        **form["education"][0],
        "level": "master",
        "school": "硕士院校",
        "start_date": "2012-09-01",
        "graduation_date": "2015-07-01",
    }
    form["education"] = [master, form["education"][0]]
    app_services.application_save_form(application=draft, actor=person, form=form)
    upload(draft, person, "diploma", files.pdf_bytes("master"), "master.pdf", ref=0)
    bachelor = upload(draft, person, "diploma", files.pdf_bytes("bachelor"), "bachelor.pdf", ref=1)
    client.force_login(person)
    data = {"education.count": "2", "education.0.removed": "1"}
    for i, entry in enumerate(form["education"]):
        for key, value in entry.items():
            data[f"education.{i}.{key}"] = "1" if value is True else ("" if value in (False, None) else value)
    client.post(f"/apply/{draft.pk}/education/", data)
    remaining = list(draft.attachments.current().filter(kind="diploma"))
    assert [(a.pk, a.ref) for a in remaining] == [(bachelor.pk, 0)]


def test_tampered_entry_count_is_not_a_500(client, draft, person):
    client.force_login(person)
    assert client.post(f"/apply/{draft.pk}/education/autosave/", {"education.count": "999"}).status_code == 200
    assert client.post(f"/apply/{draft.pk}/education/", {"education.count": "x"}).status_code == 302


def test_a_bad_cursor_is_400_not_500(api, chaoyang_reviewer):
    api.login(chaoyang_reviewer.phone)
    cursor = base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|not-a-uuid").decode()
    assert api.get("/api/v1/review/applications", {"cursor": cursor}).json()["code"] == "invalid_cursor"


def test_a_change_starts_with_the_approved_materials(chaoyang_app, chaoyang_reviewer):
    approve(chaoyang_app, chaoyang_reviewer)
    person = chaoyang_app.applicant
    change = app_services.application_create(applicant=person, type="change")
    assert change.attachments.current().count() == 6
    original = {a.sha256 for a in chaoyang_app.attachments.current()}
    assert {a.sha256 for a in change.attachments.current()} == original
    assert not {a.file.name for a in change.attachments.all()} & {a.file.name for a in chaoyang_app.attachments.all()}
    form = change.form
    form["employment"]["department"] = "审计部"
    form["other"]["change_event_date"] = "2026-11-01"
    app_services.application_save_form(application=change, actor=person, form=form)
    assert app_services.application_submit(application=change, actor=person).status == "submitted"


def test_reviewers_see_the_submitted_round_not_edits_after_rejection(chaoyang_app, chaoyang_reviewer):
    from registry.review.details import review_details

    reject(chaoyang_app, chaoyang_reviewer)
    person = chaoyang_app.applicant
    application = Application.objects.get(pk=chaoyang_app.pk)
    form = copy.deepcopy(application.form)
    form["basic"]["residence_address"] = "新地址（未提交）"
    app_services.application_save_form(application=application, actor=person, form=form)
    upload(application, person, "photo", files.photo_jpeg(seed=8), "new.jpg")
    details = review_details(Application.objects.get(pk=application.pk))
    assert details["form"]["basic"]["residence_address"] == "北京市朝阳区建国路1号"
    assert {a.pk for a in details["attachments"]} == {
        a.pk
        for a in application.attachments.all()
        if str(a.pk) in {x["id"] for x in application.rounds.get(number=1).attachments}
    }


def test_a_transfer_in_submitted_with_a_format_1_document_still_imports(applicant):
    """Applications waiting since before format 2 carry the code itself, not its hash: approving
    them must import the history (it was a KeyError that rolled every approval back)."""
    from registry.audit.models import AuditEntry
    from registry.records.services import record_import_history

    payload = {
        "issuer": {"name": "河北省会计人员信息管理系统", "region": "130000", "key_id": "abcd"},
        "transfer_code": "ZR2345-6789-ABCD",
        "person": {"id_number": "130102199001011237", "name": "王五"},
        "record": {"versions": [{"version": 1, "district": "130102", "source": "application", "data": {}}]},
    }
    record = record_import_history(user=applicant, payload=payload)
    assert record.id_number == "130102199001011237" and record.district_id == "130102"
    entry = AuditEntry.objects.get(action="record.imported", target_id=str(record.pk))
    assert entry.details["code_hash"] == "ZR2345-6789-ABCD"
