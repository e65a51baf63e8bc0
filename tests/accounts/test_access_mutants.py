"""The permission layer's guards, each tried by the user it keeps out (issue 10: these kill the
mutants of registry/accounts/access.py the older tests let through; see docs/testing.md)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from registry.accounts import access
from registry.accounts.models import Role
from registry.applications.models import Application
from registry.core.errors import ServiceError
from registry.transfers.services import transfer_code_revoke
from tests.factories import ApplicationFactory, TransferCodeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_deactivated_reviewer_acts_for_no_district(chaoyang_reviewer):
    assert access.can_act_for_district(chaoyang_reviewer, "110105")
    chaoyang_reviewer.is_active = False
    chaoyang_reviewer.save()
    assert access.district_codes(chaoyang_reviewer) == frozenset()
    assert not access.can_act_for_district(chaoyang_reviewer, "110105")


def test_an_applicant_with_stray_district_rows_acts_for_no_district():
    stray = UserFactory(role=Role.APPLICANT, district_codes=["110105"])
    assert access.district_codes(stray) == frozenset()
    assert not access.can_act_for_district(stray, "110105")


@pytest.mark.parametrize("who", ["deactivated reviewer", "applicant with district rows"])
def test_transfer_revoke_refuses_a_user_who_is_no_reviewer_of_the_district(who, other_persons_code):
    user = UserFactory(reviewer=True, district_codes=["110105"])
    if who == "deactivated reviewer":
        user.is_active = False
        user.save()
    else:
        user = UserFactory(role=Role.APPLICANT, district_codes=["110105"])
    with pytest.raises(ServiceError) as info:
        transfer_code_revoke(actor=user, code=other_persons_code.code)
    assert (info.value.status, info.value.code) == (404, "not_found")
    other_persons_code.refresh_from_db()
    assert other_persons_code.revoked_at is None


def test_a_deactivated_owner_no_longer_sees_their_own_objects(applicant):
    application = ApplicationFactory(applicant=applicant)
    assert access.can_view(applicant, application)
    applicant.is_active = False
    applicant.save()
    assert not access.can_view(applicant, application)
    assert not access.can_access(applicant, owner_id=applicant.pk, district_code=None)
    assert not Application.objects.visible_to(applicant).exists()


def test_anonymous_sees_no_application_even_one_without_owner_or_district():
    anonymous = AnonymousUser()
    assert not access.can_access(anonymous, owner_id=None, district_code=None)
    assert not access.can_access(None, owner_id=None, district_code="110105")


def test_a_draft_is_its_owners_alone(applicant, chaoyang_reviewer, municipal_admin, other_person):
    draft = ApplicationFactory(applicant=applicant, draft=True)
    assert access.can_view(applicant, draft)
    for user in (chaoyang_reviewer, municipal_admin, other_person):
        assert not access.can_view(user, draft)
        assert not access.can_act_for_district(user, None)
        assert not access.can_act_for_district(user, "")
    assert list(Application.objects.visible_to(municipal_admin)) == []
    assert list(Application.objects.visible_to(applicant)) == [draft]


def test_each_user_sees_what_is_theirs_and_their_districts(
    applicant, other_person, chaoyang_reviewer, haidian_reviewer, municipal_admin
):
    mine = ApplicationFactory(applicant=applicant)
    theirs = ApplicationFactory(applicant=other_person, district_id="110108")
    reviewers_own = ApplicationFactory(applicant=haidian_reviewer)  # a reviewer applies like anyone (110105)

    def seen(user):
        return set(Application.objects.visible_to(user).values_list("pk", flat=True))

    assert seen(applicant) == {mine.pk}
    assert seen(other_person) == {theirs.pk}
    assert seen(chaoyang_reviewer) == {mine.pk, reviewers_own.pk}
    assert seen(haidian_reviewer) == {theirs.pk, reviewers_own.pk}
    assert seen(municipal_admin) == {mine.pk, theirs.pk, reviewers_own.pk}


def test_who_is_staff(applicant, chaoyang_reviewer, municipal_admin):
    superuser = UserFactory(is_superuser=True)
    assert [access.is_admin(u) for u in (applicant, chaoyang_reviewer, municipal_admin, superuser)] == [
        False,
        False,
        True,
        True,
    ]
    assert [access.is_reviewer(u) for u in (applicant, chaoyang_reviewer, municipal_admin)] == [False, True, False]
    assert [access.is_staff_member(u) for u in (applicant, chaoyang_reviewer, municipal_admin, superuser)] == [
        False,
        True,
        True,
        True,
    ]
    municipal_admin.is_active = False
    assert not access.is_admin(municipal_admin) and not access.is_staff_member(municipal_admin)


def test_a_reviewers_districts_are_read_once_per_request(chaoyang_reviewer, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert access.district_codes(chaoyang_reviewer) == {"110105"}
        assert access.district_codes(chaoyang_reviewer) == {"110105"}


def test_refuse_own_is_a_403_for_the_owner_only(chaoyang_reviewer, other_person):
    with pytest.raises(ServiceError) as info:
        access.refuse_own(chaoyang_reviewer, chaoyang_reviewer.pk, what="调转编号")
    assert (info.value.status, info.value.code) == (403, "own_application")
    assert "本人的调转编号" in info.value.message
    access.refuse_own(chaoyang_reviewer, other_person.pk)
    access.refuse_own(chaoyang_reviewer, None)
    access.refuse_own(None, chaoyang_reviewer.pk)


def test_a_reviewer_cannot_revoke_their_own_transfer_code(chaoyang_reviewer):
    from tests.factories import collected_person

    reviewer = collected_person("110105", role=Role.REVIEWER)
    reviewer.districts.set(["110105"])
    code = TransferCodeFactory(person=reviewer)
    with pytest.raises(ServiceError) as info:
        transfer_code_revoke(actor=reviewer, code=code.code)
    assert (info.value.status, info.value.code) == (403, "own_application")
    assert transfer_code_revoke(actor=chaoyang_reviewer, code=code.code).revoked_by_id == chaoyang_reviewer.pk


def test_what_has_no_district_is_its_owners_alone_even_for_staff(chaoyang_reviewer, municipal_admin, other_person):
    from registry.audit.models import AuditEntry
    from registry.audit.services import audit_record

    own = audit_record(action="t", actor=chaoyang_reviewer, district="110105")
    audit_record(action="t", actor=other_person, district="110105")

    def visible(user):
        rows = access.filter_visible(AuditEntry.objects.all(), user, owner_field="actor", district_field=None)
        return list(rows.values_list("pk", flat=True))

    assert visible(chaoyang_reviewer) == [own.pk]
    assert visible(other_person) != [own.pk] and len(visible(other_person)) == 1
    assert visible(municipal_admin) == list(AuditEntry.objects.values_list("pk", flat=True))


def test_the_staff_gate_lets_through_whom_it_names(chaoyang_reviewer, municipal_admin, applicant):
    assert access.require_staff(chaoyang_reviewer) is chaoyang_reviewer
    assert access.require_staff(municipal_admin, admin=True) is municipal_admin
    for user, admin, message in (
        (chaoyang_reviewer, True, "仅市财政局管理员"),  # an admin-only page: a district reviewer is refused
        (applicant, False, "仅区财政局审核员和市财政局管理员"),
        (applicant, True, "仅市财政局管理员"),
        (AnonymousUser(), False, "仅区财政局审核员和市财政局管理员"),
    ):
        with pytest.raises(access.StaffOnly) as refused:
            access.require_staff(user, admin=admin)
        assert (refused.value.status, refused.value.code) == (403, "forbidden")
        assert message in refused.value.message
