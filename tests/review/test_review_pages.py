import datetime as dt
import re

import pytest

from registry.applications.models import Application
from registry.audit.models import AuditEntry
from tests.review.conftest import make_submitted

pytestmark = pytest.mark.django_db


def test_queue_page_lists_and_flags_overdue(client, chaoyang_reviewer):
    late = make_submitted(name="赵六", id_number="11010519491231002X", cert="C1")
    Application.objects.filter(pk=late.pk).update(due_on=dt.date(2020, 1, 1))
    make_submitted(name="李明")
    client.force_login(chaoyang_reviewer)
    html = client.get("/staff/queue/").content.decode()
    assert "赵六" in html and "李明" in html and "超期" in html
    assert "110105********002X" in html and "11010519491231002X" not in html
    html = client.get("/staff/queue/", {"overdue": "1"}).content.decode()
    assert "赵六" in html and "李明" not in html


def test_review_page_is_404_for_another_district_and_audited_for_own(
    client, chaoyang_app, haidian_reviewer, chaoyang_reviewer
):
    client.force_login(haidian_reviewer)
    assert client.get(f"/staff/review/{chaoyang_app.pk}/").status_code == 404
    assert client.post(f"/staff/review/{chaoyang_app.pk}/claim/").status_code == 404
    assert client.post(f"/staff/review/{chaoyang_app.pk}/decide/", {"decision": "approve"}).status_code == 404
    client.force_login(chaoyang_reviewer)
    assert client.get(f"/staff/review/{chaoyang_app.pk}/").status_code == 200
    assert AuditEntry.objects.filter(action="review.open", actor=chaoyang_reviewer).count() == 1


def test_claim_and_reject_from_the_page(client, chaoyang_app, chaoyang_reviewer):
    client.force_login(chaoyang_reviewer)
    client.post(f"/staff/review/{chaoyang_app.pk}/claim/")
    html = client.post(f"/staff/review/{chaoyang_app.pk}/decide/", {"decision": "reject"}, follow=True).content.decode()
    assert "请至少选择一项标准驳回原因" in html
    client.post(f"/staff/review/{chaoyang_app.pk}/decide/", {"decision": "reject", "reasons": ["material_unclear"]})
    assert Application.objects.get(pk=chaoyang_app.pk).status == "rejected"


def test_applicant_sees_due_date_and_the_phone_once_overdue(client, chaoyang_app):
    from registry.core.models import Region

    chaoyang = Region.objects.get(code="110105")
    chaoyang.contact_phone = "010-65090000"
    chaoyang.save()  # as the admin edits it (the signal refreshes the regions held in memory)
    client.force_login(chaoyang_app.applicant)
    html = client.get(f"/apply/{chaoyang_app.pk}/").content.decode()
    assert "审核期限" in html and 'data-testid="overdue"' not in html
    Application.objects.filter(pk=chaoyang_app.pk).update(due_on=dt.date(2020, 1, 1))
    html = client.get(f"/apply/{chaoyang_app.pk}/").content.decode()
    assert 'data-testid="overdue"' in html and "010-65090000" in html


def test_admin_district_overview(client, municipal_admin, chaoyang_reviewer):
    from django.utils import timezone

    from registry.core.workdays import working_days_between

    app = make_submitted()
    Application.objects.filter(pk=app.pk).update(due_on=dt.date(2020, 1, 1))
    decided = make_submitted(name="钱七", id_number="11010519491231002X", cert="C2")
    Application.objects.filter(pk=decided.pk).update(status="approved")
    # Submitted on a Monday three weeks ago, decided a week later: counted in working days, as the
    # SLA and the statistics page count them (7 calendar days was shown before).
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday() + 21)
    submitted = timezone.make_aware(dt.datetime.combine(monday, dt.time(10)))
    decided.rounds.update(decision="approved", submitted_at=submitted, decided_at=submitted + dt.timedelta(days=7))
    working = working_days_between(monday, monday + dt.timedelta(days=7))
    assert working < 7  # a week has days off, so the two counts differ
    client.force_login(municipal_admin)
    html = client.get("/staff/districts/").content.decode()
    row = html.split('data-district="110105"')[1].split("</tr>")[0]
    cells = [c.split("<")[0] for c in re.split(r"<td[^>]*>", row)[1:]]
    assert "朝阳区" in row and "审核用时中位数（工作日）" in html
    assert (cells[1], cells[3], cells[4]) == ("1", "1", str(working))  # one waiting, one decided
    assert "1</strong>" in row  # one overdue
    client.force_login(chaoyang_reviewer)
    assert client.get("/staff/districts/").status_code == 403


def test_seed_people_twice_adds_nothing_the_second_time(db):
    from registry.accounts.models import User
    from registry.demo.people import seed_people
    from registry.records.models import Record

    assert seed_people(150, batch=40) == 150
    assert seed_people(150, batch=40) == 0
    assert User.objects.filter(phone__startswith="170").count() == 150
    first = Application.objects.filter(type__in=["first_collection", "transfer_in"])
    assert Record.objects.count() + first.filter(status__in=["submitted", "in_review"]).count() == 150
    assert first.filter(status="approved").count() == Record.objects.count()
    assert len(set(Record.objects.values_list("id_number", flat=True))) == Record.objects.count()
