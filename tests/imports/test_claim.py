"""Claiming an imported record (issue 15 item 2): by the matching phone, by SMS to the old phone,
via the district; nobody logs in as an unclaimed person; one record per person and per account."""

import hashlib

import pytest
from django.contrib.auth.hashers import make_password

from registry.audit.models import AuditEntry
from registry.imports import claims
from registry.imports.models import ImportedPerson
from registry.imports.samples import sample_row
from registry.records.models import Record
from tests.factories import PASSWORD, UserFactory
from tests.helpers import problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(rng, import_rows):
    """Two imported people: 朝阳区 with phone 13811110001, 海淀区 with phone 13811110002."""
    rows = [
        sample_row(rng, district="110105", phone="13811110001"),
        sample_row(rng, district="110108", phone="13811110002"),
    ]
    batch = import_rows(rows)
    assert batch.imported == 2
    return rows


def test_claim_at_once_when_the_phone_is_the_accounts(api, imported):
    user = UserFactory(phone="13811110001")
    api.login(user.phone)
    response = api.post("/api/v1/me/claim", {"id_number": imported[0]["id_number"].lower()})
    assert response.status_code == 200 and response.json() == {"claimed": True}
    record = Record.objects.get(id_number=imported[0]["id_number"])
    assert record.user_id == user.pk
    user.refresh_from_db()
    assert user.id_number == imported[0]["id_number"] and user.name == imported[0]["name"]
    person = ImportedPerson.objects.get(record=record)
    assert person.claimed_via == "phone" and person.claimed_at
    assert AuditEntry.objects.filter(action="record.claimed", target_id=str(record.pk)).count() == 1
    # the person now sees their imported data as their record, version 1 from the import
    body = api.get("/api/v1/me/record").json()
    assert body["basic"]["name"] == imported[0]["name"] and body["version"] == 1 and body["district"] == "110105"
    # and logs in with the ID number from now on
    api.login(imported[0]["id_number"])


def test_claim_by_sms_code_to_the_old_phone(api, sms_file, imported):
    user = UserFactory(phone="13900000077")
    api.login(user.phone)
    response = api.post("/api/v1/me/claim", {"id_number": imported[1]["id_number"]})
    assert response.status_code == 202 and response.json() == {"sms_sent_to": "138****0002"}
    assert Record.objects.get(id_number=imported[1]["id_number"]).user_id is None
    problem(
        api.post("/api/v1/me/claim", {"id_number": imported[1]["id_number"], "sms_code": "000000"}),
        400,
        "sms_code_invalid",
    )
    code = sms_file.last_code("13811110002", "claim")
    response = api.post("/api/v1/me/claim", {"id_number": imported[1]["id_number"], "sms_code": code})
    assert response.status_code == 200 and response.json()["claimed"] is True
    assert Record.objects.get(id_number=imported[1]["id_number"]).user_id == user.pk
    assert ImportedPerson.objects.get(id_number=imported[1]["id_number"]).claimed_via == "sms"


def test_claim_via_the_district_when_the_old_phone_is_gone(api, imported, chaoyang_reviewer, haidian_reviewer):
    user = UserFactory(phone="13900000088")
    api.login(user.phone)
    body = dict(id_number=imported[0]["id_number"], new_phone=user.phone, identity_check="本人到场，核验身份证原件")
    # another district's reviewer cannot: 404, nothing changes
    with pytest.raises(claims.ServiceError) as refused:
        claims.claim_phone_by_district(actor=haidian_reviewer, **body)
    assert refused.value.status == 404
    assert ImportedPerson.objects.get(id_number=imported[0]["id_number"]).phone == "13811110001"
    claims.claim_phone_by_district(actor=chaoyang_reviewer, **body)
    entry = AuditEntry.objects.get(action="record.claim_phone_by_district")
    assert entry.actor_id == chaoyang_reviewer.pk and entry.details["identity_check"] == "本人到场，核验身份证原件"
    response = api.post("/api/v1/me/claim", {"id_number": imported[0]["id_number"]})
    assert response.status_code == 200 and response.json()["claimed"] is True


def test_a_record_without_phone_points_to_the_district(api, rng, import_rows):
    row = sample_row(rng, district="110105", phone="")
    import_rows([row])
    api.login(UserFactory().phone)
    body = problem(api.post("/api/v1/me/claim", {"id_number": row["id_number"]}), 409, "claim_via_district")
    assert "财政局" in body["detail"]


def test_unknown_and_claimed_answer_alike_and_one_person_one_record(api, imported):
    first = UserFactory(phone="13811110001")
    api.login(first.phone)
    assert api.post("/api/v1/me/claim", {"id_number": imported[0]["id_number"]}).status_code == 200
    # the same account cannot take a second record
    problem(api.post("/api/v1/me/claim", {"id_number": imported[1]["id_number"]}), 409, "already_has_record")
    other = UserFactory()
    api.login(other.phone)
    claimed = problem(api.post("/api/v1/me/claim", {"id_number": imported[0]["id_number"]}), 404, "no_record")
    unknown = problem(api.post("/api/v1/me/claim", {"id_number": "110105199003070033"}), 404, "no_record")
    assert claimed["detail"] == unknown["detail"]


def test_staff_cannot_claim(api, imported, chaoyang_reviewer):
    api.login(chaoyang_reviewer.phone)
    problem(api.post("/api/v1/me/claim", {"id_number": imported[0]["id_number"]}), 403, "forbidden")


def test_nobody_logs_in_as_an_unclaimed_person(api, imported):
    response = api.post("/api/v1/auth/login", {"username": imported[0]["id_number"], "password": PASSWORD})
    problem(response, 401, "login_failed")


def test_old_password_logs_in_once_claims_and_is_upgraded(api, rng, import_rows):
    row = dict(
        sample_row(rng, district="110105", phone="13811110009"),
        password_hash=make_password("Old2019pass", hasher="pbkdf2_sha1"),
    )
    salted = dict(
        sample_row(rng, district="110108", phone="13811110010"),
        password_hash="salted_sha256$ab$" + hashlib.sha256(b"abOld2020pass").hexdigest(),
    )
    import_rows([row, salted])
    problem(
        api.post("/api/v1/auth/login", {"username": row["id_number"], "password": "wrong-one"}), 401, "login_failed"
    )
    assert Record.objects.get(id_number=row["id_number"]).user_id is None
    for r, password in ((row, "Old2019pass"), (salted, "Old2020pass")):
        response = api.post("/api/v1/auth/login", {"username": r["id_number"], "password": password})
        assert response.status_code == 200, response.content
        record = Record.objects.get(id_number=r["id_number"])
        assert record.user.phone == r["phone"]
        assert record.user.password.startswith("argon2$")  # the old hash is not kept anywhere
        assert ImportedPerson.objects.get(record=record).password_hash == ""
        assert ImportedPerson.objects.get(record=record).claimed_via == "old_password"
        api.login(r["id_number"], password)
