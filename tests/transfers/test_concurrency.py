"""The same transfer code used twice at the same moment (two PostgreSQL connections): once."""

import pytest

from registry.applications import services as app_services
from registry.applications.models import Application
from registry.transfers.models import TransferCode
from tests.review.test_concurrency import race
from tests.transfers.test_transfers import issued_code

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_double_use_succeeds_once(postgres, code_tables, hebei_person, hebei_reviewer):
    code = issued_code(hebei_person, hebei_reviewer)
    outcomes = race(
        *[
            lambda: app_services.application_create(applicant=hebei_person, type="transfer_in", transfer_code=code)
            for _ in range(3)
        ]
    )
    winners = [value for kind, value in outcomes if kind == "ok"]
    assert len(winners) == 1, outcomes
    assert all(
        value.code in ("transfer_code_used", "open_application_exists") for kind, value in outcomes if kind == "error"
    )
    assert Application.objects.filter(type="transfer_in").count() == 1
    assert TransferCode.objects.get(code=code).used_by_id == winners[0].pk
