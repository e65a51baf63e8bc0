"""The review queue's per-status counts come from counters kept with every move (applications.counts,
decisions/0013): after any sequence of moves they equal a recount of the applications table."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.applications import counts, services
from registry.applications.models import Application, StatusCount
from registry.core.errors import Conflict
from registry.review import selectors
from registry.review import services as review
from tests.factories import ApplicationFactory, UserFactory
from tests.review.conftest import make_submitted

pytestmark = pytest.mark.django_db

HAIDIAN_ID = "110108198506120041"


def exact():
    assert counts.stored() == counts.recount()


def test_counters_follow_every_move_in_two_districts(chaoyang_reviewer, haidian_reviewer, municipal_admin):
    a = make_submitted()  # 朝阳区
    b = make_submitted(district="110108", name="王芳", id_number=HAIDIAN_ID, cert="Z11010816000999")
    c = ApplicationFactory()  # 朝阳区, submitted
    d = ApplicationFactory(district_id="110108", status="in_review", claimed_by=haidian_reviewer, type="change")
    exact()

    a = review.review_claim(application=a, actor=chaoyang_reviewer)
    exact()
    a = review.review_decide(application=a, actor=chaoyang_reviewer, decision="reject", reasons=["photo_noncompliant"])
    exact()
    # Resubmitted with a 海淀区 unit: the application leaves 朝阳区's counters for 海淀区's.
    form = a.form
    form["employment"]["unit_district"] = "110108"
    a = services.application_save_form(application=a, actor=a.applicant, form=form)
    a = services.application_submit(application=a, actor=a.applicant)
    assert a.district_id == "110108"
    exact()

    b = review.review_claim(application=b, actor=municipal_admin)
    b = review.review_decide(application=b, actor=municipal_admin, decision="approve")
    exact()
    services.application_withdraw(application=c, actor=c.applicant)
    review.review_release(application=d, actor=municipal_admin)
    exact()
    # A transfer out is created straight into the queue.
    out = services.transfer_out_request(applicant=b.applicant, destination_region="130000")
    assert (out.status, out.district_id) == ("submitted", "110108")
    exact()

    # A stale copy loses its move and changes no counter.
    stale = Application.objects.get(pk=out.pk)
    review.review_claim(application=out, actor=haidian_reviewer)
    with pytest.raises(Conflict):
        review.review_claim(application=stale, actor=municipal_admin)
    exact()

    assert selectors.review_queue(user=chaoyang_reviewer).counts == {}  # c withdrawn, a moved away
    assert selectors.review_queue(user=haidian_reviewer).counts == {"submitted": 2, "in_review": 1, "approved": 1}
    assert selectors.review_queue(user=municipal_admin).counts == {"submitted": 2, "in_review": 1, "approved": 1}
    assert selectors.review_queue(user=municipal_admin, type="change").counts == {"submitted": 1}
    assert selectors.review_queue(user=municipal_admin, district="110105").counts == {}
    # A search counts what it found (a handful of rows found by index), not the counters.
    assert selectors.review_queue(user=municipal_admin, q="王芳").counts == {"approved": 1, "in_review": 1}


def test_rebuild_after_a_bulk_load_and_the_queue_never_counts_rows(chaoyang_reviewer, municipal_admin):
    now = timezone.now()
    people = [UserFactory(password=None) for _ in range(6)]
    Application.objects.bulk_create(  # a bulk load (an import, the demo seed) writes past the counters
        Application(
            applicant=p,
            type="first_collection",
            status="approved" if i < 4 else "submitted",
            district_id="110105" if i % 2 else "110108",
            round=1,
            submitted_at=now,
        )
        for i, p in enumerate(people)
    )
    ApplicationFactory()  # counted as it is created
    assert counts.stored() != counts.recount()
    call_command("rebuild_queue_counts", stdout=open("/dev/null", "w"))  # noqa: SIM115
    exact()
    assert selectors.review_queue(user=chaoyang_reviewer).counts == {"approved": 2, "submitted": 2}
    assert selectors.review_queue(user=municipal_admin).counts == {"approved": 4, "submitted": 3}

    StatusCount.objects.filter(district_id="110105", status="approved").update(n=1000)
    with CaptureQueriesContext(connection) as queries:
        assert selectors.review_queue(user=chaoyang_reviewer).counts["approved"] == 1000  # read, not counted
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries), queries.captured_queries


def test_the_queue_lists_without_the_form(chaoyang_reviewer):
    ApplicationFactory(form={"basic": {"name": "x" * 1000}})
    with CaptureQueriesContext(connection) as queries:
        page = selectors.review_queue(user=chaoyang_reviewer)
    assert page.results[0]._fields == selectors.QueueRow._fields and not hasattr(page.results[0], "form")
    assert not any('"form"' in q["sql"] for q in queries.captured_queries), queries.captured_queries
