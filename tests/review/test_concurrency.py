"""Two reviewers deciding at the same moment over two real PostgreSQL connections: exactly one wins."""

import threading

import pytest
from django.db import connections

from registry.applications.models import Application
from registry.core.errors import Conflict
from registry.records.models import Record
from registry.review import services
from tests.factories import UserFactory
from tests.review.conftest import make_submitted

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls):
    """Run each call in its own thread (its own database connection), released together."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            outcomes[i] = ("ok", call())
        except Exception as exc:  # the loser's Conflict is the point of the test
            outcomes[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def test_concurrent_decisions_exactly_one_wins(postgres, code_tables):
    application = make_submitted()
    admin_a, admin_b = UserFactory(admin=True), UserFactory(admin=True)
    services.review_claim(application=application, actor=admin_a)
    copies = [Application.objects.get(pk=application.pk) for _ in range(2)]
    outcomes = race(
        lambda: services.review_decide(application=copies[0], actor=admin_a, decision="approve"),
        lambda: services.review_decide(
            application=copies[1], actor=admin_b, decision="reject", reasons=["material_unclear"]
        ),
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    loser = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(loser, Conflict) and loser.code == "already_decided"
    application.refresh_from_db()
    decided_round = application.rounds.get(number=1)
    assert decided_round.decision == {"approved": "approved", "rejected": "rejected"}[application.status]
    assert Record.objects.filter(user=application.applicant).exists() == (application.status == "approved")


def test_concurrent_claims_exactly_one_wins(postgres, code_tables):
    application = make_submitted()
    first, second = (UserFactory(reviewer=True, district_codes=["110105"]) for _ in range(2))
    copies = [Application.objects.get(pk=application.pk) for _ in range(2)]
    outcomes = race(
        lambda: services.review_claim(application=copies[0], actor=first),
        lambda: services.review_claim(application=copies[1], actor=second),
    )
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    assert next(v for k, v in outcomes if k == "error").code == "already_claimed"


def test_concurrent_moves_keep_the_counters_exact_and_never_deadlock(postgres, code_tables):
    """A claim (submitted → in_review) and a release (in_review → submitted) in the same district
    touch the same two counters from opposite sides; written in key order, neither waits for the other
    in a cycle, and the counters equal a recount after every round."""
    from registry.applications import counts
    from tests.factories import ApplicationFactory

    reviewer, admin = UserFactory(reviewer=True, district_codes=["110105"]), UserFactory(admin=True)
    for _ in range(5):
        waiting = ApplicationFactory()
        claimed = ApplicationFactory(status="in_review", claimed_by=reviewer)
        elsewhere = ApplicationFactory(district_id="110108")
        outcomes = race(
            lambda w=waiting: services.review_claim(application=w, actor=reviewer),
            lambda c=claimed: services.review_release(application=c, actor=admin),
            lambda e=elsewhere: services.review_claim(application=e, actor=admin),
        )
        assert [kind for kind, _ in outcomes] == ["ok", "ok", "ok"], outcomes
        assert counts.stored() == counts.recount()
    assert counts.stored()[("110105", "first_collection", "in_review")] == 5
