"""Review throughput and SLA figures, and transfers out in the monthly flows, against known data."""

import datetime as dt

import pytest
from django.utils import timezone

from registry.applications.models import Application, ApplicationRound
from registry.core import workdays
from registry.stats.selectors import stats_summary
from registry.stats.services import stats_refresh
from registry.transfers.services import transfer_code_issue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def application(district, *, status, due_on, submitted, decided=None):
    app = Application.objects.create(
        applicant=UserFactory(),
        type="first_collection",
        status=status,
        district_id=district,
        round=1,
        submitted_at=submitted,
        due_on=due_on,
    )
    ApplicationRound.objects.create(
        application=app,
        number=1,
        form={},
        district_id=district,
        submitted_at=submitted,
        decided_at=decided,
        decision="approved" if decided else "",
    )
    return app


def test_review_median_working_days_and_overdue(municipal_admin, chaoyang_reviewer):
    now = timezone.now()
    today = timezone.localdate()
    # decided rounds in 朝阳: 2, 4 and 10 working days; in 海淀: 1
    for district, days in [("110105", 2), ("110105", 4), ("110105", 10), ("110108", 1)]:
        decided = now - dt.timedelta(days=1)
        start = timezone.localdate(decided)
        while workdays.working_days_between(start, timezone.localdate(decided)) < days:
            start -= dt.timedelta(days=1)
        submitted = timezone.make_aware(dt.datetime.combine(start, dt.time(10)))
        application(district, status="approved", due_on=today, submitted=submitted, decided=decided)
    application("110105", status="submitted", due_on=today - dt.timedelta(days=1), submitted=now)  # overdue
    application("110105", status="in_review", due_on=today + dt.timedelta(days=5), submitted=now)
    application("110108", status="submitted", due_on=today - dt.timedelta(days=3), submitted=now)  # overdue
    stats_refresh()
    everyone = stats_summary(user=municipal_admin)["review"]
    assert everyone["median_days"] == 3  # 1, 2, 4, 10
    assert everyone["overdue"] == 2 and everyone["waiting"] == 3
    assert sum(everyone["decided_by_month"].values()) == 4
    chaoyang = stats_summary(user=chaoyang_reviewer)["review"]
    assert chaoyang["median_days"] == 4 and chaoyang["overdue"] == 1 and chaoyang["waiting"] == 2


def test_transfer_out_counts_in_the_month(make_person, municipal_admin):
    person = make_person("110105")
    reviewer = UserFactory(reviewer=True, district_codes=["110105"])
    app = Application.objects.create(
        applicant=person.user,
        type="transfer_out",
        status="in_review",
        district_id="110105",
        destination_region="130000",
    )
    transfer_code_issue(application=app, actor=reviewer)
    stats_refresh()
    month = timezone.localdate().strftime("%Y-%m")
    flows = stats_summary(user=municipal_admin)["flows"][month]
    assert flows["transfer_out"] == 1 and flows["first_collection"] == 1
    # 调出中 still counts in the district until the destination approves
    assert stats_summary(user=municipal_admin)["by_status"] == {"transferring_out": 1}
