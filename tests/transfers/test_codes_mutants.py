"""Transfer codes with another person's code beside the first (issue 10: each test kills mutants of
registry/transfers/services.py that the older tests let through; see docs/testing.md)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from registry.applications import services as app_services
from registry.audit.models import AuditEntry
from registry.core.errors import Conflict, ServiceError
from registry.records.models import Record
from registry.review import services as review
from registry.sms.models import SmsMessage
from registry.transfers import selectors as transfer_selectors
from registry.transfers import services
from registry.transfers.models import ImportedDocument, TransferCode
from tests.factories import ApplicationFactory, TransferCodeFactory, UserFactory, collected_person
from tests.helpers import problem

pytestmark = pytest.mark.django_db


def claimable(**fields) -> TransferCode:
    """A code issued in 河北 (130102) for a move to 北京: one this deployment accepts."""
    return TransferCodeFactory(district="130102", destination_region_id="110000", **fields)


def transfer_in(person):
    return ApplicationFactory(applicant=person, type="transfer_in", draft=True)


def claim(code: TransferCode, typed: str | None = None):
    application = transfer_in(code.person)
    services.transfer_code_claim(code=typed or code.code, applicant=code.person, application=application)
    return application


# --- The code's shape and how people type it --------------------------------------------------------


def test_a_new_code_is_zr_and_three_groups_of_four_without_look_alike_characters():
    codes = {services.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"ZR[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code), code
    assert not set("".join(codes)) & set("01OIL")


@pytest.mark.parametrize(
    "typed", ["ZR2345-6789-ABCD", "zr2345-6789-abcd", "ZR23456789ABCD", " zr 2345 6789 abcd ", "Zr2345_6789.aBcD"]
)
def test_a_code_is_found_however_it_is_typed(typed):
    assert services.normalize_code(typed) == "ZR2345-6789-ABCD"


@pytest.mark.parametrize(
    ("typed", "kept"), [(" zr12 ", "ZR12"), ("", ""), (None, ""), ("zr2345-6789-abcde", "ZR2345-6789-ABCDE")]
)
def test_what_is_not_fourteen_characters_is_only_trimmed(typed, kept):
    assert services.normalize_code(typed) == kept


def test_claim_and_revoke_accept_the_code_as_people_type_it(chaoyang_reviewer):
    code = claimable()
    application = claim(code, typed=" " + code.code.lower().replace("-", " ") + " ")
    assert TransferCode.objects.get(pk=code.pk).used_by_id == application.pk
    other = TransferCodeFactory()
    services.transfer_code_revoke(actor=chaoyang_reviewer, code=other.code.lower().replace("-", ""))
    assert TransferCode.objects.get(pk=other.pk).revoked_at is not None


# --- Issue ------------------------------------------------------------------------------------------


def test_approving_a_transfer_out_issues_one_code_to_that_person(chaoyang_reviewer, other_persons_code):
    person = collected_person("110105")
    out = app_services.transfer_out_request(applicant=person, destination_region="130000")
    out = review.review_claim(application=out, actor=chaoyang_reviewer)
    before = timezone.now()
    review.review_decide(application=out, actor=chaoyang_reviewer, decision="approve")
    code = TransferCode.objects.get(person=person)
    assert (code.record_id, code.source_district_id, code.destination_region_id) == (
        person.record.pk,
        "110105",
        "130000",
    )
    assert (code.transfer_out_id, code.issued_by_id, code.used_at, code.revoked_at) == (
        out.pk,
        chaoyang_reviewer.pk,
        None,
        None,
    )
    assert before <= code.issued_at <= timezone.now()
    assert code.expires_at - code.issued_at == dt.timedelta(days=90)
    assert Record.objects.get(user=person).status == "transferring_out"
    sms = SmsMessage.objects.get(phone=person.phone, purpose="transfer_code")
    assert code.code in sms.text and "河北省" in sms.text
    entry = AuditEntry.objects.get(action="transfer.code_issued")
    assert (entry.actor_id, entry.district, entry.target_id) == (chaoyang_reviewer.pk, "110105", str(person.record.pk))
    assert entry.details["destination"] == "130000"
    # The other person's code and record are untouched
    assert TransferCode.objects.filter(person=other_persons_code.person).count() == 1


# --- Claim and release ------------------------------------------------------------------------------


def test_a_claim_reserves_the_code_for_that_application_once():
    code = claimable()
    first = claim(code)
    stored = TransferCode.objects.get(pk=code.pk)
    assert stored.used_by_id == first.pk and stored.used_at is not None
    ApplicationFactory._meta.model.objects.filter(pk=first.pk).update(status="approved")  # as if it moved the person
    with pytest.raises(Conflict) as info:
        claim(code)
    assert info.value.code == "transfer_code_used"
    assert TransferCode.objects.get(pk=code.pk).used_by_id == first.pk


def test_another_persons_code_is_invalid_for_me():
    mine, theirs = claimable(), claimable()
    with pytest.raises(ServiceError) as info:
        services.transfer_code_claim(code=theirs.code, applicant=mine.person, application=transfer_in(mine.person))
    assert (info.value.code, info.value.field) == ("transfer_code_invalid", "transfer_code")
    assert TransferCode.objects.get(pk=theirs.pk).used_at is None


def test_a_code_for_another_province_is_refused_here():
    code = TransferCodeFactory(district="130102", destination_region_id="120000")  # 河北 → 天津
    with pytest.raises(ServiceError) as info:
        claim(code)
    assert info.value.code == "transfer_code_wrong_destination"


def test_a_revoked_or_expired_code_is_refused_with_its_reason():
    revoked, expired = (
        claimable(revoked_at=timezone.now()),
        claimable(expires_at=timezone.now() - dt.timedelta(seconds=1)),
    )
    for code, reason in ((revoked, "transfer_code_revoked"), (expired, "transfer_code_expired")):
        with pytest.raises(ServiceError) as info:
            claim(code)
        assert info.value.code == reason
        assert TransferCode.objects.get(pk=code.pk).used_at is None
    assert services.code_state(revoked) == "revoked" and services.code_state(expired) == "expired"
    assert services.code_state(claimable()) == "valid"


def test_withdrawing_one_transfer_in_frees_only_its_own_code():
    mine, theirs = claimable(), claimable()
    my_application, their_application = claim(mine), claim(theirs)
    app_services.application_withdraw(application=my_application, actor=mine.person)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.used_at, mine.used_by_id) == (None, None)
    assert theirs.used_at is not None and theirs.used_by_id == their_application.pk
    assert services.code_state(mine) == "valid" and services.code_state(theirs) == "used"


# --- "My transfer codes" ------------------------------------------------------------------------------


def test_my_transfer_codes_are_mine_only(api, other_persons_code):
    mine = TransferCodeFactory()
    assert [c.code for c in transfer_selectors.codes_of(mine.person)] == [mine.code]
    api.login(mine.person.phone)
    assert [c["code"] for c in api.get("/api/v1/me/transfer-codes").json()] == [mine.code]
    api.login(UserFactory().phone)
    assert api.get("/api/v1/me/transfer-codes").json() == []


# --- Revoke -----------------------------------------------------------------------------------------


def test_revoke_takes_the_code_back_and_the_record_returns_to_normal(chaoyang_reviewer, other_persons_code):
    code = TransferCodeFactory()
    revoked = services.transfer_code_revoke(actor=chaoyang_reviewer, code=code.code)
    assert revoked.revoked_by_id == chaoyang_reviewer.pk and revoked.revoked_at is not None
    stored = TransferCode.objects.get(pk=code.pk)
    assert (stored.revoked_by_id, stored.revoked_at) == (chaoyang_reviewer.pk, revoked.revoked_at)
    assert Record.objects.get(pk=code.record_id).status == "normal"
    assert Record.objects.get(pk=other_persons_code.record_id).status == "transferring_out"
    assert TransferCode.objects.get(pk=other_persons_code.pk).revoked_at is None
    entry = AuditEntry.objects.get(action="transfer.code_revoked")
    assert (entry.actor_id, entry.district, entry.target_id) == (chaoyang_reviewer.pk, "110105", str(code.record_id))
    with pytest.raises(Conflict) as info:
        services.transfer_code_revoke(actor=chaoyang_reviewer, code=code.code)
    assert info.value.code == "transfer_code_revoked"


def test_a_used_code_cannot_be_revoked_and_the_record_stays_transferring_out(chaoyang_reviewer):
    code = TransferCodeFactory()
    TransferCode.objects.filter(pk=code.pk).update(used_at=timezone.now(), used_by=transfer_in(code.person))
    with pytest.raises(Conflict) as info:
        services.transfer_code_revoke(actor=chaoyang_reviewer, code=code.code)
    assert info.value.code == "transfer_code_used"
    assert TransferCode.objects.get(pk=code.pk).revoked_at is None
    assert Record.objects.get(pk=code.record_id).status == "transferring_out"
    assert not AuditEntry.objects.filter(action="transfer.code_revoked").exists()


def test_revoking_a_code_whose_record_is_no_longer_transferring_out_leaves_the_record(chaoyang_reviewer):
    code = TransferCodeFactory()
    Record.objects.filter(pk=code.record_id).update(status="normal", version=7)
    services.transfer_code_revoke(actor=chaoyang_reviewer, code=code.code)
    assert Record.objects.filter(pk=code.record_id).values_list("status", "version").get() == ("normal", 7)


def test_only_the_source_district_revokes(haidian_reviewer, municipal_admin, other_persons_code):
    with pytest.raises(ServiceError) as info:
        services.transfer_code_revoke(actor=haidian_reviewer, code=other_persons_code.code)
    assert (info.value.status, info.value.code) == (404, "not_found")
    assert services.transfer_code_revoke(actor=municipal_admin, code=other_persons_code.code).revoked_at


@pytest.mark.parametrize("code", ["ZR2222-2222-2222", "nonsense", "zr 2222", "", "Z" * 300, "ZR\x00"])
def test_an_unknown_code_is_a_404_not_an_error(api, chaoyang_reviewer, other_persons_code, code):
    with pytest.raises(ServiceError) as info:
        services.transfer_code_revoke(actor=chaoyang_reviewer, code=code)
    assert (info.value.status, info.value.code) == (404, "not_found")
    if code.strip():
        api.login(chaoyang_reviewer.phone)
        status, reason = (400, "invalid_input") if "\x00" in code else (404, "not_found")
        problem(api.post(f"/api/v1/review/transfer-codes/{code}/revoke"), status, reason)
    assert TransferCode.objects.get(pk=other_persons_code.pk).revoked_at is None


# --- A signed document from another deployment ------------------------------------------------------


def payload(id_number: str, key_id: str = "peer-key", code_hash: str = "h" * 64) -> dict:
    """What document_claim reads of a verified document (document_verify checks the rest)."""
    return {"person": {"id_number": id_number}, "issuer": {"key_id": key_id}, "transfer_code_hash": {"hash": code_hash}}


def test_a_document_is_claimed_once_per_deployment(other_person):
    someone_else = collected_person("110105")  # another person collected here, with another ID number
    newcomer = UserFactory()
    application = transfer_in(newcomer)
    services.document_claim(payload=payload("110101199001010011"), applicant=newcomer, application=application)
    assert ImportedDocument.objects.get().application_id == application.pk
    with pytest.raises(Conflict) as info:
        services.document_claim(
            payload=payload("110101199001010011"), applicant=other_person, application=transfer_in(other_person)
        )
    assert info.value.code == "transfer_code_used"
    assert someone_else.id_number and ImportedDocument.objects.count() == 1


def test_a_document_about_someone_already_collected_here_is_refused(other_person):
    collected = collected_person("110105")
    application = transfer_in(other_person)
    with pytest.raises(Conflict) as info:
        services.document_claim(payload=payload(collected.id_number), applicant=other_person, application=application)
    assert info.value.code == "already_collected"
    record_only = collected_person("110108")
    type(record_only).objects.filter(pk=record_only.pk).update(id_number=None)
    with pytest.raises(Conflict) as info:
        services.document_claim(
            payload=payload(record_only.record.id_number), applicant=other_person, application=application
        )
    assert info.value.code == "already_collected"
    assert not ImportedDocument.objects.exists()


def test_a_returning_person_whose_record_moved_away_may_come_back():
    person = collected_person("110105")
    someone_else = collected_person("110105")
    Record.objects.filter(user=person).update(status="transferred_out")
    application = transfer_in(person)
    services.document_claim(payload=payload(person.id_number), applicant=person, application=application)
    assert ImportedDocument.objects.get().application_id == application.pk
    assert someone_else.record.status == "normal"


def test_a_person_whose_record_is_still_here_and_normal_is_refused():
    person = collected_person("110105")
    with pytest.raises(Conflict) as info:
        services.document_claim(payload=payload(person.id_number), applicant=person, application=transfer_in(person))
    assert info.value.code == "already_collected"


def test_a_document_about_another_id_number_than_my_accounts_is_refused():
    person = collected_person("110105")
    with pytest.raises(ServiceError) as info:
        services.document_claim(
            payload=payload("110101199001010011"), applicant=person, application=transfer_in(person)
        )
    assert (info.value.code, info.value.field) == ("document_wrong_person", "transfer_document")


def test_withdrawing_releases_only_that_applications_document():
    first, second = UserFactory(), UserFactory()
    mine, theirs = transfer_in(first), transfer_in(second)
    services.document_claim(
        payload=payload("110101199001010011", code_hash="a" * 64), applicant=first, application=mine
    )
    services.document_claim(
        payload=payload("110101199001010038", code_hash="b" * 64), applicant=second, application=theirs
    )
    app_services.application_withdraw(application=mine, actor=first)
    assert list(ImportedDocument.objects.values_list("application_id", flat=True)) == [theirs.pk]


@pytest.mark.parametrize("code", ["ZR2222-2222-2222", "Z" * 300, "ZR\x00", ""])
def test_an_unknown_or_impossible_code_is_just_invalid_when_claimed(other_person, code):
    with pytest.raises(ServiceError) as info:
        services.transfer_code_claim(code=code, applicant=other_person, application=transfer_in(other_person))
    assert info.value.code == "transfer_code_invalid"


# --- The signed document: exported by its person only, opened here with its code --------------------


@pytest.fixture
def signing_key(settings, tmp_path):
    import os

    from django.core.management import call_command

    settings.TRANSFER_KEY_PATH = str(tmp_path / "beijing.pem")
    with open(os.devnull, "w") as quiet:
        call_command("transfer_keys", "--create", stdout=quiet)


def test_a_person_exports_the_document_of_their_own_valid_code_only(signing_key, other_persons_code):
    mine = TransferCodeFactory()
    typed = mine.code.lower().replace("-", " ")
    document = services.document_export(person=mine.person, code=typed, ip="10.0.0.7")
    assert document["payload"]["person"]["id_number"] == mine.person.id_number and document["signature"]
    entry = AuditEntry.objects.get(action="transfer.document_export")
    assert (entry.actor_id, entry.target_id, entry.ip) == (mine.person.pk, str(mine.record.pk), "10.0.0.7")
    for code in (other_persons_code.code, "ZR0000-0000-0000"):  # someone else's, and none at all
        with pytest.raises(ServiceError) as info:
            services.document_export(person=mine.person, code=code)
        assert (info.value.status, info.value.code) == (404, "not_found")


def test_no_document_for_a_used_revoked_or_expired_code():
    now = timezone.now()
    for fields, reason in (
        ({"used_at": now}, "transfer_code_used"),
        ({"revoked_at": now}, "transfer_code_revoked"),
        ({"expires_at": now - dt.timedelta(seconds=1)}, "transfer_code_expired"),
    ):
        code = TransferCodeFactory(**fields)
        with pytest.raises(Conflict) as info:
            services.document_export(person=code.person, code=code.code)
        assert info.value.code == reason
    assert not AuditEntry.objects.filter(action="transfer.document_export").exists()


@pytest.fixture
def tianjin():
    from tests.transfers.test_document_code import tianjin_document, tianjin_peer

    key = tianjin_peer()
    return key, tianjin_document


def test_an_empty_code_is_refused_without_counting_a_try(tianjin):
    from registry.transfers.models import DocumentCodeAttempt

    key, make = tianjin
    for code in ("", "  "):
        with pytest.raises(ServiceError) as info:
            services.document_verify(document=make(key), code=code, applicant=UserFactory())
        assert info.value.code == "document_invalid"
    assert not DocumentCodeAttempt.objects.exists()


def test_a_wrong_code_is_counted_and_audited_and_the_right_one_clears_the_count(tianjin):
    from registry.transfers.models import DocumentCodeAttempt
    from tests.transfers.test_document_code import CODE

    key, make = tianjin
    person = UserFactory()
    with pytest.raises(ServiceError):
        services.document_verify(document=make(key), code="ZR2345-6789-WXYZ", applicant=person)
    assert DocumentCodeAttempt.objects.count() == 1
    entry = AuditEntry.objects.get(action="transfer.document_code_refused")
    assert entry.actor_id == person.pk and entry.details["issuer"] == "天津市系统"
    payload = services.document_verify(document=make(key), code=CODE.lower(), applicant=person)
    assert payload["person"]["name"] == "赵会计"
    assert DocumentCodeAttempt.objects.count() == 1  # the right code is not counted as a try; the wrong one stays


def test_a_genuine_document_for_another_province_is_refused_after_its_code(tianjin, settings):
    from tests.transfers.test_document_code import CODE

    key, make = tianjin
    settings.REGISTRY_JURISDICTION = "130000"  # this deployment is 河北's; the document goes to 北京
    with pytest.raises(ServiceError) as info:
        services.document_verify(document=make(key), code=CODE, applicant=UserFactory())
    assert info.value.code == "document_wrong_destination"


def test_a_claimed_document_is_stored_by_signer_and_code_and_released_alone(tianjin):
    from registry.transfers import documents

    key, make = tianjin
    first, second = UserFactory(), UserFactory()
    mine = make(key, salt="3c" * 16)["payload"]
    theirs = make(key, code="ZR2345-6789-EFGH", salt="4d" * 16)["payload"]
    theirs["person"] = {**theirs["person"], "id_number": "120101199001010021"}
    mine_app, their_app = transfer_in(first), transfer_in(second)
    services.document_claim(payload=mine, applicant=first, application=mine_app)
    services.document_claim(payload=theirs, applicant=second, application=their_app)
    stored = ImportedDocument.objects.get(application=mine_app)
    assert (stored.key_id, stored.code_hash) == documents.identity(mine)
    claimed = AuditEntry.objects.filter(action="transfer.document_claimed").order_by("seq")
    assert [(e.actor_id, e.target_id) for e in claimed] == [
        (first.pk, str(mine_app.pk)),
        (second.pk, str(their_app.pk)),
    ]

    services.document_release(application=mine_app, actor=first)
    assert list(ImportedDocument.objects.values_list("application_id", flat=True)) == [their_app.pk]
    (released,) = AuditEntry.objects.filter(action="transfer.document_released")
    assert released.target_id == str(mine_app.pk)
    assert released.details == {"key_id": stored.key_id, "code_hash": stored.code_hash}


def test_a_person_who_moved_away_earlier_comes_back_with_a_document(tianjin):
    """Their own record, left here as 已调出 when they moved away, does not make them "already collected";
    anyone else's record with that ID number does."""
    from registry.records.models import RecordStatus
    from registry.records.services import record_set_status
    from tests.transfers.test_document_code import ID_NUMBER

    key, make = tianjin
    returning = collected_person("110105")
    Record.objects.filter(user=returning).update(id_number=ID_NUMBER)
    type(returning).objects.filter(pk=returning.pk).update(id_number=ID_NUMBER)
    returning.refresh_from_db()
    record_set_status(record=returning.record, status=RecordStatus.TRANSFERRED_OUT, reason="test")
    payload = make(key)["payload"]
    services.document_claim(payload=payload, applicant=returning, application=transfer_in(returning))
    assert ImportedDocument.objects.count() == 1
