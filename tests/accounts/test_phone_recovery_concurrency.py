"""Phone recovery races over two real PostgreSQL connections: exactly one outcome wins."""

import pytest

from registry.accounts import recovery
from registry.accounts.models import PhoneRecovery
from registry.audit.models import AuditEntry
from registry.core.errors import Conflict
from tests.factories import UserFactory
from tests.review.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)

BODY = {"id_number": "11010519491231002X", "new_phone": "13677778888", "identity_check": "本人到场，核验身份证原件"}


def losers(outcomes) -> list:
    return [value for kind, value in outcomes if kind == "error"]


def test_approval_and_cancellation_at_once(postgres, code_tables, collected_person):
    requester, approver = (UserFactory(reviewer=True, district_codes=["110105"]) for _ in range(2))
    item = recovery.phone_recovery_request(actor=requester, **BODY)
    outcomes = race(
        lambda: recovery.phone_recovery_approve(actor=approver, recovery_id=item.pk),
        lambda: recovery.phone_recovery_cancel(actor=collected_person, recovery_id=item.pk),
    )
    [loser] = losers(outcomes)
    assert isinstance(loser, Conflict) and loser.code == "recovery_not_pending"
    item.refresh_from_db()
    collected_person.refresh_from_db()
    assert (item.status == "applied") == (collected_person.phone == "13677778888")
    assert (
        AuditEntry.objects.filter(
            action__in=["account.phone_recovery_approve", "account.phone_recovery_cancel"]
        ).count()
        == 1
    )


def test_two_requests_for_one_person_at_once(postgres, code_tables, collected_person):
    first, second = (UserFactory(reviewer=True, district_codes=["110105"]) for _ in range(2))
    outcomes = race(
        lambda: recovery.phone_recovery_request(actor=first, **BODY),
        lambda: recovery.phone_recovery_request(actor=second, **{**BODY, "new_phone": "13677779999"}),
    )
    [loser] = losers(outcomes)
    assert isinstance(loser, Conflict) and loser.code == "recovery_pending"
    assert PhoneRecovery.objects.filter(person=collected_person, status="pending").count() == 1
