"""The permission layer, tried by every kind of user on a real queryset (audit entries carry an
owner — the actor — and a district, which is all the layer needs)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from registry.accounts import access
from registry.audit.models import AuditEntry
from registry.audit.services import audit_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Subject:
    def __init__(self, owner, district):
        self.access_owner_id = owner.pk if owner else None
        self.access_district_code = district


@pytest.fixture
def other_applicant():
    return UserFactory()


@pytest.fixture
def rows(applicant, other_applicant):
    return {
        "mine_chaoyang": audit_record(action="t", actor=applicant, district="110105"),
        "other_chaoyang": audit_record(action="t", actor=other_applicant, district="110105"),
        "other_haidian": audit_record(action="t", actor=other_applicant, district="110108"),
        "nobody_yanshan": audit_record(action="t", actor=None, district="11YS00"),
    }


def visible(user, rows):
    found = set(
        access.filter_visible(
            AuditEntry.objects.all(), user, owner_field="actor", district_field="district"
        ).values_list("pk", flat=True)
    )
    return {name for name, row in rows.items() if row.pk in found}


def test_applicant_sees_only_own(applicant, rows):
    assert visible(applicant, rows) == {"mine_chaoyang"}


def test_reviewer_sees_own_districts_only(chaoyang_reviewer, rows):
    assert visible(chaoyang_reviewer, rows) == {"mine_chaoyang", "other_chaoyang"}


def test_reviewer_of_several_districts(rows):
    reviewer = UserFactory(reviewer=True, district_codes=["110108", "11YS00"])
    assert visible(reviewer, rows) == {"other_haidian", "nobody_yanshan"}


def test_reviewer_of_other_district_sees_nothing_here(haidian_reviewer, rows):
    assert visible(haidian_reviewer, rows) == {"other_haidian"}


def test_admin_sees_everything(municipal_admin, rows):
    assert visible(municipal_admin, rows) == set(rows)


def test_superuser_sees_everything(rows):
    root = UserFactory(is_superuser=True, role="applicant")
    assert visible(root, rows) == set(rows)


def test_anonymous_and_inactive_see_nothing(rows, applicant):
    assert visible(AnonymousUser(), rows) == set()
    applicant.is_active = False
    applicant.save()
    assert visible(applicant, rows) == set()


def test_applicant_with_districts_assigned_by_mistake_gets_no_district_access(rows):
    # District access comes from the reviewer role, not from a stray row in the districts table.
    user = UserFactory(district_codes=["110105"])
    assert visible(user, rows) == set()


def test_can_view_object(applicant, other_applicant, chaoyang_reviewer, haidian_reviewer, municipal_admin):
    mine = Subject(applicant, "110105")
    assert access.can_view(applicant, mine)
    assert not access.can_view(other_applicant, mine)
    assert access.can_view(chaoyang_reviewer, mine)
    assert not access.can_view(haidian_reviewer, mine)
    assert access.can_view(municipal_admin, mine)
    assert not access.can_view(AnonymousUser(), mine)


def test_staff_action_needs_the_district(chaoyang_reviewer, haidian_reviewer, municipal_admin, applicant):
    assert access.can_act_for_district(chaoyang_reviewer, "110105")
    assert not access.can_act_for_district(haidian_reviewer, "110105")
    assert not access.can_act_for_district(chaoyang_reviewer, None)
    assert access.can_act_for_district(municipal_admin, "130102")
    assert not access.can_act_for_district(applicant, "110105")


def test_get_visible_or_404_hides_existence(applicant, other_applicant, rows):
    class Scoped(access.ScopedQuerySet):
        pass

    queryset = Scoped(model=AuditEntry)
    AuditEntry.access_owner_field = "actor"
    AuditEntry.access_district_field = "district"
    try:
        assert access.get_visible_or_404(queryset, applicant, pk=rows["mine_chaoyang"].pk)
        with pytest.raises(Http404):
            access.get_visible_or_404(queryset, applicant, pk=rows["other_chaoyang"].pk)
        with pytest.raises(Http404):
            access.get_visible_or_404(queryset, applicant, pk=999999)
        with pytest.raises(Http404):
            access.get_visible_or_404(queryset, applicant, pk="not-a-number")
    finally:
        del AuditEntry.access_owner_field
        del AuditEntry.access_district_field
