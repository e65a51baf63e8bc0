"""states.move with a second application beside the first, and the losing side of each race.

Each test kills mutants of registry/applications/states.py that the older tests let through
(docs/testing.md): a transition must touch its own row only, refuse a stale copy, name the
conflict the same way on every database, and raise the version by exactly one."""

import datetime as dt

import pytest
from django.utils import timezone

from registry.applications import states
from registry.applications.models import Application
from registry.core.errors import Conflict
from registry.review import services as review
from registry.transfers.models import TransferCode
from tests.factories import ApplicationFactory, TransferCodeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_move_changes_its_own_application_and_no_other(chaoyang_reviewer):
    mine, other, elsewhere = ApplicationFactory(), ApplicationFactory(), ApplicationFactory(district_id="110108")
    claimed = review.review_claim(application=mine, actor=chaoyang_reviewer)
    assert (claimed.status, claimed.claimed_by_id, claimed.version) == ("in_review", chaoyang_reviewer.pk, 1)
    for untouched in (other, elsewhere):
        untouched.refresh_from_db()
        assert (untouched.status, untouched.claimed_by_id, untouched.version) == ("submitted", None, 0)


def test_the_version_rises_by_one_on_every_move(chaoyang_reviewer, municipal_admin):
    second = UserFactory(reviewer=True, district_codes=["110105"])
    application = ApplicationFactory()
    versions = [application.version]
    application = review.review_claim(application=application, actor=chaoyang_reviewer)
    versions.append(application.version)
    application = review.review_reassign(application=application, actor=municipal_admin, to_user=second)
    versions.append(application.version)
    application = states.move(application, "release", states.ADMIN, claimed_by=None)
    versions.append(application.version)
    assert versions == [0, 1, 2, 3]
    stored = Application.objects.get(pk=application.pk)
    assert (stored.status, stored.version) == ("submitted", 3) == (application.status, application.version)


def test_two_reassignments_from_the_same_copy_cannot_both_win(chaoyang_reviewer, municipal_admin):
    """The status stays in_review on a reassignment, so only the version tells the copies apart."""
    first, second = (UserFactory(reviewer=True, district_codes=["110105"]) for _ in range(2))
    application = review.review_claim(application=ApplicationFactory(), actor=chaoyang_reviewer)
    copy_a, copy_b = Application.objects.get(pk=application.pk), Application.objects.get(pk=application.pk)
    review.review_reassign(application=copy_a, actor=municipal_admin, to_user=first)
    with pytest.raises(Conflict) as info:
        review.review_reassign(application=copy_b, actor=municipal_admin, to_user=second)
    assert info.value.code == "already_decided"
    assert Application.objects.get(pk=application.pk).claimed_by_id == first.pk


def test_the_loser_of_a_claim_race_is_told_already_claimed(chaoyang_reviewer):
    other_reviewer = UserFactory(reviewer=True, district_codes=["110105"])
    application = ApplicationFactory()
    late = Application.objects.get(pk=application.pk)
    review.review_claim(application=application, actor=chaoyang_reviewer)
    with pytest.raises(Conflict) as info:
        review.review_claim(application=late, actor=other_reviewer)
    assert info.value.code == "already_claimed"
    assert Application.objects.get(pk=application.pk).claimed_by_id == chaoyang_reviewer.pk


@pytest.mark.parametrize("late_decision", ["approve", "reject"])
def test_the_loser_of_a_decision_race_is_told_already_decided_on_every_database(chaoyang_reviewer, late_decision):
    """On PostgreSQL tests/review/test_concurrency.py races two threads; here the late side holds a
    copy read before the first decision, which is what the loser of that race holds."""
    application = review.review_claim(application=ApplicationFactory(), actor=chaoyang_reviewer)
    late = Application.objects.get(pk=application.pk)
    review.review_decide(
        application=application, actor=chaoyang_reviewer, decision="reject", reasons=["material_unclear"]
    )
    with pytest.raises(Conflict) as info:
        review.review_decide(
            application=late, actor=chaoyang_reviewer, decision=late_decision, reasons=["material_unclear"]
        )
    assert info.value.code == "already_decided"
    assert Application.objects.get(pk=application.pk).status == "rejected"


@pytest.mark.parametrize(
    ("status", "action", "role", "code", "message"),
    [
        ("submitted", "submit", states.APPLICANT, "invalid_transition", "当前状态不能提交"),
        (
            "in_review",
            "withdraw",
            states.APPLICANT,
            "invalid_transition",
            "审核员已受理，不能撤回；如需修改请等待审核结果",
        ),
        ("in_review", "claim", states.REVIEWER, "already_claimed", "该申请已被其他审核员受理"),
        ("submitted", "release", states.ADMIN, "invalid_transition", "该申请不在审核中"),
        ("approved", "reassign", states.ADMIN, "already_decided", "该申请已经作出审核决定"),
        ("approved", "approve", states.REVIEWER, "already_decided", "该申请已经作出审核决定"),
        ("rejected", "reject", states.ADMIN, "already_decided", "该申请已经作出审核决定"),
        ("submitted", "publish", states.ADMIN, "invalid_transition", "当前状态不允许此操作"),
        ("submitted", "claim", states.APPLICANT, "already_claimed", "该申请已被其他审核员受理"),
    ],
)
def test_a_refused_move_says_why_and_changes_nothing(status, action, role, code, message):
    application = ApplicationFactory(status=status)
    with pytest.raises(Conflict) as info:
        states.move(application, action, role)
    assert (info.value.code, info.value.message) == (code, message)
    stored = Application.objects.get(pk=application.pk)
    assert (stored.status, stored.version) == (status, 0)


@pytest.mark.parametrize(
    ("status", "action", "role"),
    [
        ("submitted", "claim", states.REVIEWER),
        ("submitted", "claim", states.ADMIN),
        ("in_review", "approve", states.REVIEWER),
        ("in_review", "approve", states.ADMIN),
        ("in_review", "reject", states.REVIEWER),
        ("in_review", "reject", states.ADMIN),
    ],
)
def test_reviewers_and_admins_both_claim_and_decide(status, action, role):
    application = states.move(ApplicationFactory(status=status), action, role)
    assert application.status == {"claim": "in_review", "approve": "approved", "reject": "rejected"}[action]


def test_a_move_stamps_the_time_of_the_change(chaoyang_reviewer):
    application = ApplicationFactory()
    Application.objects.filter(pk=application.pk).update(updated_at=application.created_at - dt.timedelta(days=1))
    before = Application.objects.get(pk=application.pk).updated_at
    claimed = review.review_claim(application=Application.objects.get(pk=application.pk), actor=chaoyang_reviewer)
    assert claimed.updated_at > before + dt.timedelta(hours=23)


def test_a_move_takes_one_count_from_its_old_key_to_its_new_one(chaoyang_reviewer, municipal_admin):
    """The review queue's counters (applications.counts) move with the status, in the same call; a
    stale copy that loses its move changes no counter."""
    from registry.applications import counts

    mine, elsewhere = ApplicationFactory(), ApplicationFactory(district_id="110108", type="change")
    review.review_claim(application=mine, actor=chaoyang_reviewer)
    assert counts.stored() == counts.recount()
    assert counts.stored() == {("110105", "first_collection", "in_review"): 1, ("110108", "change", "submitted"): 1}
    stale = Application.objects.get(pk=elsewhere.pk)
    review.review_claim(application=elsewhere, actor=municipal_admin)
    with pytest.raises(Conflict):
        review.review_claim(application=stale, actor=municipal_admin)
    assert (
        counts.stored()
        == counts.recount()
        == {
            ("110105", "first_collection", "in_review"): 1,
            ("110108", "change", "in_review"): 1,
        }
    )


def test_a_move_is_three_statements_in_the_callers_transaction(chaoyang_reviewer):
    """The conditional UPDATE, the re-read, the counters' upsert — no savepoint round trips on the
    queue's hottest write (the caller's transaction already holds them together)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    application = ApplicationFactory()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        states.move(application, "claim", states.REVIEWER, actor=chaoyang_reviewer, claimed_by=chaoyang_reviewer)
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["UPDATE", "SELECT", "INSERT"]


def test_a_district_reviewer_and_an_admin_may_revoke_an_approved_transfer_outs_code(
    chaoyang_reviewer, municipal_admin, other_persons_code
):
    """`revoke_code` stays in 已通过 and is for staff of either kind, only while the code can be revoked."""
    from django.utils import timezone

    from registry.transfers.models import TransferCode
    from tests.factories import TransferCodeFactory

    code = TransferCodeFactory()
    approved = ApplicationFactory(applicant=code.person, type="transfer_out", status="approved")
    TransferCode.objects.filter(pk=code.pk).update(transfer_out=approved)

    def actions(user):
        return states.available_actions(Application.objects.get(pk=approved.pk), user)

    assert "revoke_code" in actions(chaoyang_reviewer) and "revoke_code" in actions(municipal_admin)
    assert "revoke_code" not in actions(code.person)
    TransferCode.objects.filter(pk=code.pk).update(revoked_at=timezone.now())
    assert "revoke_code" not in actions(chaoyang_reviewer) and "revoke_code" not in actions(municipal_admin)


def test_a_submitted_application_is_not_editable_and_says_why():
    submitted = ApplicationFactory()
    with pytest.raises(Conflict) as refused:
        states.check(submitted, "edit", states.APPLICANT)
    assert refused.value.code == "not_editable" and "审核结果出来前不能修改" in refused.value.message
    states.check(ApplicationFactory(draft=True), "edit", states.APPLICANT)  # a draft is


def test_a_stay_action_is_never_a_move():
    """`edit` is allowed in 草稿 but moves nothing: `move` refuses it instead of failing on the table."""
    draft = ApplicationFactory(draft=True)
    with pytest.raises(Conflict) as refused:
        states.move(draft, "edit", states.APPLICANT, actor=draft.applicant)
    assert refused.value.code == "not_editable"
    assert Application.objects.get(pk=draft.pk).version == draft.version


def test_a_deactivated_account_has_no_actions(chaoyang_reviewer):
    colleague = UserFactory(reviewer=True, district_codes=["110105"])
    application = ApplicationFactory()
    assert "claim" in states.available_actions(application, colleague)
    colleague.is_active = False
    assert states.roles_of(application, colleague) == frozenset()
    assert states.available_actions(application, colleague) == set()
    owner = application.applicant
    assert "withdraw" in states.available_actions(application, owner)
    owner.is_active = False  # a deactivated account acts on nothing, not even its own application
    assert states.available_actions(application, owner) == set()


def test_only_a_transfer_out_has_a_code_to_revoke(chaoyang_reviewer):
    approved = ApplicationFactory(status="approved")
    with pytest.raises(Conflict) as refused:
        states.check(approved, "revoke_code", states.REVIEWER, actor=chaoyang_reviewer)
    assert refused.value.code == "invalid_transition" and "只有调出申请" in refused.value.message


def test_what_a_person_may_start_follows_their_record():
    from registry.records.models import Record
    from tests.factories import collected_person

    newcomer, collected, frozen = UserFactory(), collected_person("110105"), collected_person("110108")
    Record.objects.filter(user=frozen).update(status="frozen")
    assert "first_collection" in states.available_starts(newcomer, record=None, open_application=None)
    assert "change" not in states.available_starts(newcomer, record=None, open_application=None)
    record = Record.objects.get(user=collected)
    starts = states.available_starts(collected, record=record, open_application=None)
    assert "change" in starts and "first_collection" not in starts
    code = TransferCodeFactory(person=collected)
    leaving = states.available_starts(collected, record=Record.objects.get(user=collected), open_application=None)
    assert "change" not in leaving and "transfer_out" not in leaving  # a code in force: on their way out
    TransferCode.objects.filter(pk=code.pk).update(used_at=timezone.now())
    arriving = states.available_starts(collected, record=Record.objects.get(user=collected), open_application=None)
    assert "transfer_out" not in arriving  # a used code: the destination is taking the record over
    TransferCode.objects.filter(pk=code.pk).update(used_at=None, expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = states.available_starts(collected, record=Record.objects.get(user=collected), open_application=None)
    assert "transfer_out" in expired and "change" not in expired  # the code lapsed unused: ask for a new one
    Record.objects.filter(user=collected).update(status="abnormal")
    marked = states.available_starts(collected, record=Record.objects.get(user=collected), open_application=None)
    assert "change" in marked and "transfer_out" not in marked  # a change answers the campaign that marked it
    frozen_record = Record.objects.get(user=frozen)
    assert states.available_starts(frozen, record=frozen_record, open_application=None) == set()
    with pytest.raises(Conflict) as refused:
        states.check_start(frozen, "change", frozen_record)
    assert refused.value.code == "record_frozen"
