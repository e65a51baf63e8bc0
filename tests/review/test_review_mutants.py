"""Claim, reassign and decide with a second reviewer, district and application beside the first
(issue 10: each test kills mutants of registry/review/services.py that the older tests let through;
see docs/testing.md)."""

import pytest

from registry.applications.models import Application, ApplicationEvent
from registry.audit.models import AuditEntry
from registry.core.errors import Conflict, ServiceError
from registry.records.models import Record
from registry.review import services as review
from registry.sms.models import SmsMessage
from tests.factories import ApplicationFactory, UserFactory
from tests.review.conftest import make_submitted

pytestmark = pytest.mark.django_db


def in_review(reviewer, **fields):
    return review.review_claim(application=ApplicationFactory(**fields), actor=reviewer)


# --- Who may see an application --------------------------------------------------------------------


def test_staff_see_their_districts_applications_only(
    chaoyang_reviewer, haidian_reviewer, municipal_admin, applicant, other_district_application
):
    mine = ApplicationFactory()
    assert review.application_for_staff(user=chaoyang_reviewer, application_id=mine.pk) == mine
    assert review.application_for_staff(user=municipal_admin, application_id=other_district_application.pk)
    for user, application_id in (
        (chaoyang_reviewer, other_district_application.pk),
        (haidian_reviewer, mine.pk),
        (applicant, mine.pk),
        (chaoyang_reviewer, "not-a-uuid"),
    ):
        with pytest.raises(ServiceError) as info:
            review.application_for_staff(user=user, application_id=application_id)
        assert (info.value.status, info.value.code) == (404, "not_found")


def test_an_applicant_does_not_open_even_their_own_application_as_staff(applicant):
    own = ApplicationFactory(applicant=applicant)
    with pytest.raises(ServiceError) as info:
        review.application_for_staff(user=applicant, application_id=own.pk)
    assert (info.value.status, info.value.code) == (404, "not_found")


def test_opening_an_application_is_audited_with_its_district(chaoyang_reviewer):
    application = ApplicationFactory()
    review.review_open(user=chaoyang_reviewer, application_id=application.pk, ip="10.0.0.7")
    entry = AuditEntry.objects.get(action="review.open")
    assert (entry.actor_id, entry.district, entry.target_id) == (chaoyang_reviewer.pk, "110105", str(application.pk))
    assert entry.details == {"status": "submitted", "round": 1}


# --- Claim ------------------------------------------------------------------------------------------


def test_a_claim_names_the_reviewer_and_is_recorded(chaoyang_reviewer):
    application = review.review_claim(application=ApplicationFactory(), actor=chaoyang_reviewer, ip="10.0.0.7")
    assert (application.status, application.claimed_by_id) == ("in_review", chaoyang_reviewer.pk)
    assert application.claimed_at is not None
    event = ApplicationEvent.objects.get(application=application, kind="claimed")
    assert (event.actor_id, event.round) == (chaoyang_reviewer.pk, 1)
    entry = AuditEntry.objects.get(action="review.claim")
    assert (entry.actor_id, entry.district) == (chaoyang_reviewer.pk, "110105")


def test_staff_never_claim_their_own_application(chaoyang_reviewer):
    own = ApplicationFactory(applicant=chaoyang_reviewer)
    with pytest.raises(ServiceError) as info:
        review.review_claim(application=own, actor=chaoyang_reviewer)
    assert (info.value.status, info.value.code) == (403, "own_application")
    assert Application.objects.get(pk=own.pk).status == "submitted"


# --- Reassign ---------------------------------------------------------------------------------------


def test_only_an_admin_reassigns(chaoyang_reviewer):
    colleague = UserFactory(reviewer=True, district_codes=["110105"])
    application = in_review(chaoyang_reviewer)
    with pytest.raises(ServiceError) as info:
        review.review_reassign(application=application, actor=chaoyang_reviewer, to_user=colleague)
    assert (info.value.status, info.value.code) == (403, "forbidden")
    assert Application.objects.get(pk=application.pk).claimed_by_id == chaoyang_reviewer.pk


def test_an_admin_reassigns_to_a_reviewer_of_the_district(chaoyang_reviewer, municipal_admin):
    colleague = UserFactory(reviewer=True, district_codes=["110105"])
    application = review.review_reassign(
        application=in_review(chaoyang_reviewer), actor=municipal_admin, to_user=colleague, ip="10.0.0.7"
    )
    assert (application.status, application.claimed_by_id) == ("in_review", colleague.pk)
    event = ApplicationEvent.objects.get(application=application, note="管理员改派")
    assert (event.kind, event.actor_id) == ("claimed", municipal_admin.pk)
    entry = AuditEntry.objects.get(action="review.reassign")
    assert (entry.actor_id, entry.district, entry.details) == (municipal_admin.pk, "110105", {"to": colleague.pk})


def test_a_submitted_application_can_be_assigned_directly(municipal_admin, chaoyang_reviewer):
    application = review.review_reassign(
        application=ApplicationFactory(), actor=municipal_admin, to_user=chaoyang_reviewer
    )
    assert (application.status, application.claimed_by_id) == ("in_review", chaoyang_reviewer.pk)


@pytest.mark.parametrize(
    "who", ["haidian reviewer", "applicant with chaoyang rows", "deactivated chaoyang reviewer", "admin"]
)
def test_a_reassignment_goes_only_to_a_reviewer_of_the_applications_district(chaoyang_reviewer, municipal_admin, who):
    target = {
        "haidian reviewer": lambda: UserFactory(reviewer=True, district_codes=["110108"]),
        "applicant with chaoyang rows": lambda: UserFactory(district_codes=["110105"]),
        "deactivated chaoyang reviewer": lambda: UserFactory(reviewer=True, district_codes=["110105"], is_active=False),
        "admin": lambda: UserFactory(admin=True),
    }[who]()
    application = in_review(chaoyang_reviewer)
    with pytest.raises(ServiceError) as info:
        review.review_reassign(application=application, actor=municipal_admin, to_user=target)
    assert (info.value.status, info.value.code, info.value.field) == (400, "invalid_reviewer", "reviewer")
    assert Application.objects.get(pk=application.pk).claimed_by_id == chaoyang_reviewer.pk


def test_no_reassignment_of_ones_own_or_to_the_applicant(chaoyang_reviewer, municipal_admin):
    admins_own = in_review(chaoyang_reviewer, applicant=municipal_admin)
    with pytest.raises(ServiceError) as info:
        review.review_reassign(application=admins_own, actor=municipal_admin, to_user=chaoyang_reviewer)
    assert (info.value.status, info.value.code) == (403, "own_application")
    reviewer_applicant = UserFactory(reviewer=True, district_codes=["110105"])
    theirs = in_review(chaoyang_reviewer, applicant=reviewer_applicant)
    with pytest.raises(ServiceError) as info:
        review.review_reassign(application=theirs, actor=municipal_admin, to_user=reviewer_applicant)
    assert (info.value.status, info.value.code) == (403, "own_application")
    assert Application.objects.get(pk=theirs.pk).claimed_by_id == chaoyang_reviewer.pk


# --- Decide -----------------------------------------------------------------------------------------


def test_a_rejection_is_stored_on_its_round_with_reasons_reviewer_and_time(
    chaoyang_reviewer, other_district_application
):
    application = in_review(chaoyang_reviewer)
    decided = review.review_decide(
        application=application,
        actor=chaoyang_reviewer,
        decision="reject",
        reasons=["photo_noncompliant", "", "photo_noncompliant", "other"],
        comment="  背景不是白色  ",
        ip="10.0.0.7",
    )
    assert decided.status == "rejected" and decided.decided_at is not None
    round_ = decided.rounds.get(number=1)
    assert (round_.decision, round_.reasons, round_.comment) == (
        "rejected",
        ["photo_noncompliant", "other"],
        "背景不是白色",
    )
    assert (round_.decided_by_id, round_.decided_at) == (chaoyang_reviewer.pk, decided.decided_at)
    assert other_district_application.rounds.get().decision == ""  # the other application's round is untouched
    event = ApplicationEvent.objects.get(application=application, kind="rejected")
    assert (event.actor_id, event.round, event.note) == (chaoyang_reviewer.pk, 1, "背景不是白色")
    entry = AuditEntry.objects.get(action="review.reject")
    assert entry.district == "110105"
    assert entry.details == {"round": 1, "reasons": ["photo_noncompliant", "other"], "comment": "背景不是白色"}
    sms = SmsMessage.objects.get(purpose="review_reject")
    assert sms.phone == application.applicant.phone and "未通过审核" in sms.text


def test_a_decision_without_a_comment_is_fine(chaoyang_reviewer):
    decided = review.review_decide(
        application=in_review(chaoyang_reviewer),
        actor=chaoyang_reviewer,
        decision="reject",
        reasons=["material_unclear"],
        comment=None,
    )
    assert decided.rounds.get().comment == ""


def test_an_approval_applies_the_record_and_tells_the_person(chaoyang_reviewer):
    from tests.factories import collected_person

    collected_person("110108")  # someone else already collected, with another ID number: no obstacle
    application = review.review_claim(application=make_submitted(), actor=chaoyang_reviewer)
    decided = review.review_decide(application=application, actor=chaoyang_reviewer, decision="approve")
    assert decided.status == "approved"
    assert decided.rounds.get().decision == "approved" and decided.rounds.get().reasons == []
    record = Record.objects.get(user=application.applicant)
    assert (record.district_id, record.id_number) == ("110105", "110105199003070033")
    assert ApplicationEvent.objects.filter(application=application, kind="approved").exists()
    assert "审核通过" in SmsMessage.objects.get(purpose="review_approve").text


def test_an_id_number_collected_under_another_account_is_not_approved(chaoyang_reviewer):
    from tests.factories import collected_person

    holder = collected_person("110108")
    submitted = make_submitted()  # the submission refuses a number already taken: it is taken after
    Record.objects.filter(user=holder).update(id_number="110105199003070033")
    application = review.review_claim(application=submitted, actor=chaoyang_reviewer)
    with pytest.raises(Conflict) as info:
        review.review_decide(application=application, actor=chaoyang_reviewer, decision="approve")
    assert info.value.code == "id_number_taken"
    assert Application.objects.get(pk=application.pk).status == "in_review"
    assert not Record.objects.filter(user=application.applicant).exists()


@pytest.mark.parametrize(
    ("setup", "decision", "reasons", "code", "field"),
    [
        ("claimed", "maybe", [], "invalid_decision", "decision"),
        ("claimed", "reject", [], "reason_required", "reasons"),
        ("claimed", "reject", ["", ""], "reason_required", "reasons"),
        ("claimed", "reject", ["other", "not_a_reason"], "unknown_code", "reasons"),
        ("submitted", "approve", [], "not_claimed", ""),
        ("claimed_by_other", "reject", ["material_unclear"], "claimed_by_other", ""),
        ("approved", "reject", ["other"], "already_decided", ""),
        ("rejected", "approve", [], "already_decided", ""),
    ],
)
def test_a_refused_decision_says_why_and_changes_nothing(chaoyang_reviewer, setup, decision, reasons, code, field):
    colleague = UserFactory(reviewer=True, district_codes=["110105"])
    if setup == "claimed":
        application = in_review(chaoyang_reviewer)
    elif setup == "claimed_by_other":
        application = in_review(colleague)
    elif setup == "submitted":
        application = ApplicationFactory()
    else:
        application = ApplicationFactory(status=setup, claimed_by=chaoyang_reviewer)
    before = Application.objects.filter(pk=application.pk).values_list("status", "version").get()
    with pytest.raises(ServiceError) as info:
        review.review_decide(application=application, actor=chaoyang_reviewer, decision=decision, reasons=reasons)
    assert (info.value.code, info.value.field) == (code, field)
    if code == "unknown_code":
        assert "not_a_reason" in info.value.message and "other" not in info.value.message.split("：")[1]
    assert Application.objects.filter(pk=application.pk).values_list("status", "version").get() == before
    assert not application.rounds.exclude(decision="").exists()
    assert not SmsMessage.objects.filter(purpose__startswith="review_").exists()


def test_an_admin_decides_an_application_someone_else_claimed(chaoyang_reviewer, municipal_admin):
    decided = review.review_decide(
        application=in_review(chaoyang_reviewer), actor=municipal_admin, decision="reject", reasons=["material_unclear"]
    )
    assert decided.status == "rejected" and decided.rounds.get().decided_by_id == municipal_admin.pk


def test_staff_never_decide_their_own_application(chaoyang_reviewer, municipal_admin):
    application = in_review(chaoyang_reviewer, applicant=municipal_admin)
    with pytest.raises(ServiceError) as info:
        review.review_decide(application=application, actor=municipal_admin, decision="reject", reasons=["other"])
    assert (info.value.status, info.value.code) == (403, "own_application")


# --- Release: an admin gives a claimed application back to the district's queue --------------------


def test_only_an_admin_releases(chaoyang_reviewer):
    colleague = UserFactory(reviewer=True, district_codes=["110105"])
    application = in_review(chaoyang_reviewer)
    for actor in (chaoyang_reviewer, colleague):
        with pytest.raises(ServiceError) as info:
            review.review_release(application=application, actor=actor)
        assert (info.value.status, info.value.code) == (403, "forbidden")
    stored = Application.objects.get(pk=application.pk)
    assert (stored.status, stored.claimed_by_id) == ("in_review", chaoyang_reviewer.pk)
    assert not AuditEntry.objects.filter(action="review.release").exists()


def test_an_admin_releases_a_claimed_application_to_the_queue(chaoyang_reviewer, municipal_admin):
    application, beside = in_review(chaoyang_reviewer), in_review(chaoyang_reviewer)
    released = review.review_release(application=application, actor=municipal_admin, ip="10.0.0.7")
    assert (released.status, released.claimed_by_id, released.claimed_at) == ("submitted", None, None)
    event = ApplicationEvent.objects.get(application=application, kind="released")
    assert event.actor_id == municipal_admin.pk
    entry = AuditEntry.objects.get(action="review.release")
    assert (entry.actor_id, entry.district, entry.target_id) == (municipal_admin.pk, "110105", str(application.pk))
    assert entry.details == {"claimed_by": {"old": chaoyang_reviewer.pk, "new": None}}
    stored = Application.objects.get(pk=beside.pk)
    assert (stored.status, stored.claimed_by_id) == ("in_review", chaoyang_reviewer.pk)  # only the one released


def test_an_admin_never_releases_their_own_application(chaoyang_reviewer, municipal_admin):
    application = in_review(chaoyang_reviewer, applicant=municipal_admin)
    with pytest.raises(ServiceError) as info:
        review.review_release(application=application, actor=municipal_admin)
    assert (info.value.status, info.value.code) == (403, "own_application")
    assert Application.objects.get(pk=application.pk).status == "in_review"


def test_a_rejected_transfer_out_is_told_to_withdraw_and_ask_again(chaoyang_reviewer):
    """A rejected transfer out is never resubmitted (states), so its SMS does not say "resubmit"."""
    for type_ in ("transfer_out", "first_collection"):
        review.review_decide(
            application=in_review(chaoyang_reviewer, type=type_), actor=chaoyang_reviewer,
            decision="reject", reasons=["material_unclear"],
        )  # fmt: skip
    final, again = SmsMessage.objects.filter(purpose="review_reject").order_by("pk")
    assert "撤回后重新申请" in final.text and "修改后重新提交" not in final.text
    assert "修改后重新提交" in again.text and "撤回后重新申请" not in again.text
