"""The same transfer code used twice at the same moment (two PostgreSQL connections): once."""

import threading

import pytest
from django.db import connection, connections, transaction

from registry.applications import services as app_services
from registry.applications.models import Application
from registry.core.errors import ServiceError
from registry.transfers import services as transfer_services
from registry.transfers.models import DocumentCodeAttempt, TransferCode
from tests.factories import ApplicationFactory, UserFactory
from tests.review.test_concurrency import race
from tests.transfers.test_document_code import tianjin_document, tianjin_peer
from tests.transfers.test_transfers import issued_code
from tests.workers import wait_for

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


def _claim_waits_on_a_row_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND query ILIKE 'UPDATE %%transfers_transfercode%%'"
        )
        return cursor.fetchone()[0] > 0


def test_a_code_revoked_between_the_claims_read_and_its_update_is_not_claimed(
    postgres, code_tables, hebei_person, hebei_reviewer
):
    """The claim reads the code (not revoked yet), the district's revoke commits, then the claim's
    UPDATE runs: its own `revoked_at IS NULL` condition is what refuses it. Ordered, not left to
    chance: the revoke holds its row lock until the claim is seen waiting on it."""
    code = issued_code(hebei_person, hebei_reviewer)
    application = ApplicationFactory(applicant=hebei_person, type="transfer_in", draft=True)
    revoked, release = threading.Event(), threading.Event()
    outcome = {}

    def revoke():
        try:
            with transaction.atomic():
                transfer_services.transfer_code_revoke(actor=hebei_reviewer, code=code)
                revoked.set()
                release.wait(timeout=20)
        finally:
            connections.close_all()

    def claim():
        try:
            revoked.wait(timeout=20)
            outcome["claimed"] = transfer_services.transfer_code_claim(
                code=code, applicant=hebei_person, application=application
            )
        except ServiceError as error:
            outcome["error"] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=revoke), threading.Thread(target=claim)]
    for thread in threads:
        thread.start()
    try:
        wait_for(_claim_waits_on_a_row_lock, timeout=20, what="the claim's UPDATE waiting on the revoke's row lock")
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=30)

    assert "claimed" not in outcome, "a revoked code was claimed"
    assert outcome["error"].code == "transfer_code_used"
    stored = TransferCode.objects.get(code=code)
    assert stored.revoked_at is not None and stored.used_at is None and stored.used_by_id is None
