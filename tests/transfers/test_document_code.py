"""The transfer code is the second factor of a signed transfer document (issue 9, item 1).

Before: whoever held the file imported it, and the person it was about was then refused ("该调转文件
已在本系统使用过"). Now the document carries only a salted hash of the code; the code reaches the
person at the source (their page, an SMS) and must be entered with the document. Missing, wrong or
tampered: one answer, nothing consumed; wrong codes are limited per document."""

import copy
import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from registry.applications.models import Application
from registry.records.models import Record
from registry.review import services as review
from registry.sms.models import SmsMessage
from registry.transfers import documents
from registry.transfers.models import DocumentCodeAttempt, ImportedDocument, PeerKey, TransferCode
from tests.applications.conftest import VALID_FORM, upload_all_materials, valid_uscc
from tests.factories import UserFactory, collected_person
from tests.helpers import problem
from tests.transfers.test_review_fixes import signed
from tests.transfers.test_transfers import issued_code

pytestmark = pytest.mark.django_db

CODE = "ZR2345-6789-ABCD"
ID_NUMBER = "120101199001010017"  # collected in 天津, never here (a valid check digit: the form is submitted)


def tianjin_peer() -> Ed25519PrivateKey:
    """天津's deployment, registered here as a peer: its signing key."""
    key = Ed25519PrivateKey.generate()
    PeerKey.objects.create(
        name="天津市系统",
        region_id="120000",
        key_id=documents.key_id_of(key.public_key()),
        public_key=documents.public_pem(key.public_key()),
    )
    return key


@pytest.fixture
def tianjin_key(db):
    return tianjin_peer()


def tianjin_document(key, *, code=CODE, salt="3c" * 16, version=2) -> dict:
    """A document as 天津's system exports it (documents.export_document's shape) for a person
    who is not collected here."""
    data = copy.deepcopy(VALID_FORM)
    data["basic"].update(name="赵会计", id_number=ID_NUMBER, birth_date="1990-01-01", hukou_region="120101")
    data["employment"].update(unit_district="120101")
    payload = {
        "format": documents.FORMAT,
        "version": version,
        "issuer": {"name": "天津市系统", "region": "120000", "key_id": documents.key_id_of(key.public_key())},
        "issued_at": "2026-11-26T10:00:00+08:00",
        "code_expires_at": "2099-01-01T00:00:00+08:00",
        "destination_region": "110000",
        "person": {"id_number": ID_NUMBER, "name": "赵会计"},
        "record": {
            "district": "120101",
            "status": "transferring_out",
            "versions": [
                {
                    "version": 1,
                    "district": "120101",
                    "source": "first_collection",
                    "created_at": "2026-01-01T00:00:00+08:00",
                    "data": data,
                }
            ],
        },
    }
    if version == 1:
        payload["transfer_code"] = code
    else:
        payload["transfer_code_hash"] = {**documents.CODE_HASH, "salt": salt, "hash": documents.code_hash(code, salt)}
    return signed(payload, key)


def transfer_in(api, document, code=None):
    body = {"type": "transfer_in", "transfer_document": document}
    if code is not None:
        body["transfer_code"] = code
    return api.post("/api/v1/me/applications", body)


def nothing_consumed():
    assert not Application.objects.filter(type="transfer_in").exists()
    assert not ImportedDocument.objects.exists()


def test_another_account_holding_the_file_is_refused_and_the_person_then_succeeds(api, code_tables, tianjin_key):
    document = tianjin_document(tianjin_key)
    thief = UserFactory(phone="13900000001")
    api.login(thief.phone)
    first = problem(transfer_in(api, document), 400, "document_invalid")
    assert problem(transfer_in(api, document, "ZR2345-6789-ABCE"), 400, "document_invalid") == first
    nothing_consumed()

    person = UserFactory(phone="13900000002")
    api.login(person.phone)
    created = transfer_in(api, document, "zr2345 6789 abcd")  # typed loosely: normalised
    assert created.status_code == 201, created.content
    application = Application.objects.get(pk=created.json()["id"])
    assert (application.applicant, application.origin_region, application.origin_reference) == (
        person,
        "120000",
        CODE,
    )
    assert application.form["basic"]["name"] == "赵会计"
    assert ImportedDocument.objects.get().application == application

    # Used once: the thief, even with the code now, cannot take it over
    api.login(thief.phone)
    problem(transfer_in(api, document, CODE), 409, "transfer_code_used")


def test_missing_wrong_code_and_tampered_documents_get_one_answer_and_consume_nothing(api, applicant, tianjin_key):
    document = tianjin_document(tianjin_key)
    impostor = Ed25519PrivateKey.generate()
    tampered = copy.deepcopy(document)
    tampered["payload"]["record"]["versions"][0]["data"]["qualifications"][0]["level"] = "senior"
    # Swapping in the hash of a code the attacker chose breaks the signature
    swapped = copy.deepcopy(document)
    swapped["payload"]["transfer_code_hash"]["hash"] = documents.code_hash("ZRAAAA-AAAA-AAAA", "3c" * 16)
    resigned = signed(copy.deepcopy(document["payload"]), impostor)
    foreign = tianjin_document(impostor)  # its key id is registered nowhere
    attempts = [
        (document, None),
        (document, ""),
        (document, "ZR2345-6789-ABCE"),
        (document, "not a code at all" * 100),
        (tampered, CODE),
        (swapped, "ZRAAAA-AAAA-AAAA"),
        (resigned, CODE),
        (foreign, CODE),
        ({"payload": document["payload"]}, CODE),
    ]
    api.login(applicant.phone)
    answers = [transfer_in(api, doc, code) for doc, code in attempts]
    bodies = [problem(answer, 400, "document_invalid") for answer in answers]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["errors"][0]["field"] == "transfer_document"
    nothing_consumed()
    # None of that used up the document: with its code it is accepted
    assert transfer_in(api, document, CODE).status_code == 201


def test_wrong_codes_are_limited_per_document_whoever_uploads_it(api, settings, tianjin_key):
    settings.TRANSFER_DOCUMENT_CODE_TRIES = 5
    document = tianjin_document(tianjin_key)
    guessers = [UserFactory(phone=f"1390000010{i}") for i in range(2)]
    answers = []
    for n in range(12):
        api.login(guessers[n % 2].phone)
        # The same file re-serialised (keys in another order) is still the same document
        upload = json.loads(json.dumps(document, sort_keys=n % 3 == 0))
        answers.append(transfer_in(api, upload, f"ZR2345-6789-AB{n:02d}"))
    assert [a.status_code for a in answers] == [400] * 5 + [429] * 7
    limited = problem(answers[-1], 429, "transfer_code_tries")
    assert 3500 <= int(answers[-1]["Retry-After"]) <= 3600 and "输错次数过多" in limited["detail"]
    # Refused tries do not extend the wait: only the five wrong codes are counted
    assert DocumentCodeAttempt.objects.count() == 5

    # While limited, the right code is refused too (it is not even checked)
    person = UserFactory(phone="13900000200")
    api.login(person.phone)
    problem(transfer_in(api, document, CODE), 429, "transfer_code_tries")
    nothing_consumed()
    # Another document is not affected
    other = tianjin_document(tianjin_key, code="ZR9999-9999-9999", salt="7d" * 16)
    problem(transfer_in(api, other, "ZR2345-6789-ABCE"), 400, "document_invalid")

    # An hour after the wrong codes the person gets through with the right one
    DocumentCodeAttempt.objects.update(at=timezone.now() - dt.timedelta(minutes=61))
    assert transfer_in(api, document, CODE).status_code == 201


def test_the_exported_document_carries_only_a_salted_hash_of_the_code(hebei_person, hebei_reviewer, settings, tmp_path):
    settings.TRANSFER_KEY_PATH = str(tmp_path / "key.pem")
    documents.load_private_key(create=True)
    code = TransferCode.objects.get(code=issued_code(hebei_person, hebei_reviewer))
    document = documents.export_document(code=code)
    text = json.dumps(document, ensure_ascii=False)
    assert code.code not in text and code.code.replace("-", "") not in text and 'transfer_code"' not in text
    spec = document["payload"]["transfer_code_hash"]
    assert spec["salt"] == code.document_salt and spec["hash"] == documents.code_hash(code.code, code.document_salt)
    assert document["payload"]["version"] == 2
    # Every download of one code is the same document (one identity for "used once" and the limit)
    assert documents.export_document(code=code)["payload"]["transfer_code_hash"] == spec
    # Each code has its own salt
    assert TransferCode(record=code.record).document_salt != code.document_salt


def test_the_code_is_texted_to_the_person_when_issued(hebei_person, hebei_reviewer):
    code = issued_code(hebei_person, hebei_reviewer)
    (message,) = SmsMessage.objects.filter(phone=hebei_person.phone, purpose="transfer_code")
    assert code in message.text and "北京" in message.text


def test_a_version_1_document_is_refused_with_its_own_message(api, applicant, tianjin_key):
    api.login(applicant.phone)
    body = problem(
        transfer_in(api, tianjin_document(tianjin_key, version=1), CODE), 400, "document_version_unsupported"
    )
    assert "重新下载" in body["detail"]
    nothing_consumed()


def test_the_web_form_takes_the_code_with_the_file(client, code_tables, settings, tianjin_key):
    settings.TRANSFER_DOCUMENT_CODE_TRIES = 1
    raw = json.dumps(tianjin_document(tianjin_key)).encode()

    def upload(user, code):
        client.force_login(user)
        return client.post(
            "/apply/",
            {"type": "transfer_in", "transfer_code": code, "transfer_document": SimpleUploadedFile("t.json", raw)},
        )

    thief = UserFactory()
    refused = upload(thief, "")
    assert refused.status_code == 200 and "调转文件或调转编号不正确" in refused.content.decode()
    upload(thief, "ZR2345-6789-ABCE")  # the one wrong try allowed here
    limited = upload(thief, "ZR2345-6789-ABCF")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 3500
    assert "输错次数过多" in limited.content.decode()
    nothing_consumed()
    DocumentCodeAttempt.objects.update(at=timezone.now() - dt.timedelta(hours=2))
    person = UserFactory()
    accepted = upload(person, CODE)
    assert accepted.status_code == 302
    assert Application.objects.get(applicant=person).origin_reference == CODE


def test_approving_a_document_transfer_in_imports_its_history_beside_another_collected_person(
    api, code_tables, tianjin_key
):
    """The approval imports the document's versions under this person only when they have no record
    here — "they", not "anyone": another person collected in another district must not make it skip
    the history, and is left as they were (review mutants 7cf41fe7, 70014246, 4e137f9e, d070f650)."""
    other = collected_person("110108")
    other_record = Record.objects.get(user=other)
    other_before = (other_record.district_id, other_record.status, other_record.version, other_record.id_number)
    other_versions = list(other_record.versions.values_list("version", "district_id", "source", "data"))

    document = tianjin_document(tianjin_key)
    imported = document["payload"]["record"]["versions"][0]["data"]
    person = UserFactory(phone="13900000300")
    api.login(person.phone)
    created = transfer_in(api, document, CODE)
    assert created.status_code == 201, created.content
    form = created.json()["form"]
    form["employment"].update(unit_district="110105", unit_uscc=valid_uscc(), unit_name="北京示例科技有限公司")
    form["basic"]["residence_district"] = "110105"
    application = Application.objects.get(pk=created.json()["id"])
    saved = api.client.put(
        f"/api/v1/me/applications/{application.pk}/form",
        data=json.dumps(form),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    assert saved.status_code == 200, saved.content
    upload_all_materials(application, person)
    submitted = api.post(f"/api/v1/me/applications/{application.pk}/submit").json()
    assert submitted == {"status": "submitted"}, submitted["errors"]

    reviewer = UserFactory(reviewer=True, district_codes=["110105"])
    review.review_claim(application=Application.objects.get(pk=application.pk), actor=reviewer)
    approved = review.review_decide(
        application=Application.objects.get(pk=application.pk), actor=reviewer, decision="approve"
    )
    assert approved.status == "approved"

    record = Record.objects.get(user=person)
    assert (record.district_id, record.status, record.version, record.id_number) == (
        "110105",
        "normal",
        2,
        ID_NUMBER,
    )
    versions = list(record.versions.order_by("version").values_list("version", "district_id", "source", "data"))
    assert versions == [
        (1, "120101", "imported:first_collection", imported),
        (2, "110105", "transfer_in", application.rounds.get(number=1).form),
    ]
    assert versions[1][3]["employment"]["unit_district"] == "110105"

    # The other person's record is as it was
    other_record.refresh_from_db()
    assert (other_record.district_id, other_record.status, other_record.version, other_record.id_number) == (
        other_before
    )
    assert list(other_record.versions.values_list("version", "district_id", "source", "data")) == other_versions
