"""The review time limit is data the municipal admin keeps (PRODUCT.md: the admin manages the SLA):
the row in force on the day of submission sets the due date; nothing already submitted moves."""

import datetime as dt

import pytest
from django.test import Client

from registry.applications.models import ReviewSla
from registry.applications.selectors import review_sla_days
from registry.applications.services import due_on_for
from registry.audit.models import AuditEntry
from registry.core.workdays import add_working_days

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 30)


def test_the_limit_in_force_on_the_day_of_submission_sets_the_due_date(settings):
    settings.REVIEW_SLA_WORKING_DAYS = 15
    assert review_sla_days(MONDAY) == 15 and due_on_for(MONDAY) == add_working_days(MONDAY, 15)
    ReviewSla.objects.create(effective_from=MONDAY + dt.timedelta(days=1), working_days=10)
    ReviewSla.objects.create(effective_from=MONDAY + dt.timedelta(days=30), working_days=20)
    assert review_sla_days(MONDAY) == 15  # submitted the day before: the old limit
    assert review_sla_days(MONDAY + dt.timedelta(days=1)) == 10 == review_sla_days(MONDAY + dt.timedelta(days=29))
    assert review_sla_days(MONDAY + dt.timedelta(days=30)) == 20
    assert due_on_for(MONDAY + dt.timedelta(days=1)) == add_working_days(MONDAY + dt.timedelta(days=1), 10)
    ReviewSla.objects.filter(working_days=20).delete()  # an edit is seen at once (the cache reloads)
    assert review_sla_days(MONDAY + dt.timedelta(days=30)) == 10


def test_the_admin_sets_it_in_the_back_office_and_applicants_read_it(municipal_admin, chaoyang_reviewer):
    from tests.factories import collected_person

    admin = Client()
    admin.force_login(municipal_admin)
    page = admin.get("/admin/applications/reviewsla/")
    assert page.status_code == 200 and "当前提交的申请审核时限为 15 个工作日" in page.content.decode()
    added = admin.post(
        "/admin/applications/reviewsla/add/",
        {"effective_from": "2026-01-01", "working_days": "10", "note": "京财会〔2026〕1号"},
    )
    assert added.status_code == 302, added.content.decode()[:500]
    (entry,) = AuditEntry.objects.filter(action="review.sla_save")
    assert entry.actor_id == municipal_admin.pk and entry.details["working_days"] == 10
    refused = admin.post("/admin/applications/reviewsla/add/", {"effective_from": "2026-02-01", "working_days": "0"})
    assert refused.status_code == 200 and ReviewSla.objects.count() == 1

    reviewer = Client()
    reviewer.force_login(chaoyang_reviewer)
    assert reviewer.get("/admin/applications/reviewsla/").status_code in (302, 403)
    assert reviewer.post(
        "/admin/applications/reviewsla/add/", {"effective_from": "2026-03-01", "working_days": "5"}
    ).status_code in (302, 403)
    assert ReviewSla.objects.count() == 1

    person = Client()
    person.force_login(collected_person("110105"))
    assert "审核（10个工作日内）" in person.get("/record/").content.decode()
