"""A reviewer who loses a district, or is disabled, leaves nothing waiting under their name: what
they had claimed there goes back to its district's queue, audited as the admin's release."""

import pytest
from django.test import Client

from registry.applications.models import Application
from registry.audit.models import AuditEntry
from tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_claims_outside_the_new_districts_go_back_to_the_queue(municipal_admin, haidian_reviewer):
    reviewer = UserFactory(reviewer=True, district_codes=["110105", "110108"])
    chaoyang = ApplicationFactory(status="in_review", claimed_by=reviewer)
    haidian = ApplicationFactory(district_id="110108", status="in_review", claimed_by=reviewer)
    colleagues = ApplicationFactory(district_id="110108", status="in_review", claimed_by=haidian_reviewer)
    waiting = ApplicationFactory(district_id="110108")
    admin = Client()
    admin.force_login(municipal_admin)
    url = f"/staff/users/{reviewer.pk}/districts/"

    page = admin.post(url, {"districts": ["110105"], "active": "1"}, follow=True).content.decode()
    assert "其受理的 1 件申请已退回所在区的待审核队列" in page

    def state(application):
        row = Application.objects.get(pk=application.pk)
        return row.status, row.claimed_by_id

    assert state(haidian) == ("submitted", None)
    assert state(chaoyang) == ("in_review", reviewer.pk)  # still theirs to decide
    assert state(colleagues) == ("in_review", haidian_reviewer.pk) and state(waiting) == ("submitted", None)
    (released,) = AuditEntry.objects.filter(action="review.release")
    assert (released.actor_id, released.target_id) == (municipal_admin.pk, str(haidian.pk))

    page = admin.post(url, {"districts": ["110105"]}, follow=True).content.decode()  # disabled
    assert "其受理的 1 件申请已退回" in page
    assert state(chaoyang) == ("submitted", None) and state(colleagues)[1] == haidian_reviewer.pk
    page = admin.post(url, {"districts": ["110105"], "active": "1"}, follow=True).content.decode()
    assert "已更新" in page and "退回" not in page  # nothing left to release
