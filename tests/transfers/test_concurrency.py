"""The same transfer code used twice at the same moment (two PostgreSQL connections): once."""

import pytest

from registry.applications import services as app_services
from registry.applications.models import Application
from registry.transfers.models import DocumentCodeAttempt, TransferCode
from tests.factories import UserFactory
from tests.review.test_concurrency import race
from tests.transfers.test_document_code import tianjin_document, tianjin_peer
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


def test_parallel_wrong_codes_for_one_document_stop_at_the_limit(postgres, code_tables, settings):
    """Twelve guesses sent at once (twelve PostgreSQL connections): exactly the limit are checked."""
    limit = settings.TRANSFER_DOCUMENT_CODE_TRIES = 5
    document = tianjin_document(tianjin_peer())
    guessers = [UserFactory() for _ in range(12)]
    outcomes = race(
        *[
            lambda user=user, n=n: app_services.application_create(
                applicant=user, type="transfer_in", transfer_document=document, transfer_code=f"ZR2345-6789-AB{n:02d}"
            )
            for n, user in enumerate(guessers)
        ]
    )
    codes = sorted(value.code for kind, value in outcomes if kind == "error")
    assert codes == ["document_invalid"] * limit + ["transfer_code_tries"] * (12 - limit), outcomes
    assert DocumentCodeAttempt.objects.count() == limit
    assert not Application.objects.filter(type="transfer_in").exists()
