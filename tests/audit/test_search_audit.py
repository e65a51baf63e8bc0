"""Staff searches look people up by name or ID number: each is an audit entry with what was
searched and who searched (PRODUCT.md: every read of personal data in review). Browsing a list,
which shows masked ID numbers only, writes nothing."""

import pytest
from django.test import Client

from registry.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"


def searches():
    return list(AuditEntry.objects.filter(action="staff.search").order_by("seq"))


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_review_queue_searches_are_audited_on_the_web_and_the_api(api, chaoyang_reviewer, haidian_reviewer):
    chaoyang, haidian = browser(chaoyang_reviewer), browser(haidian_reviewer)
    assert chaoyang.get("/staff/queue/").status_code == 200
    assert chaoyang.get("/staff/queue/", {"status": "submitted", "q": "  "}).status_code == 200
    assert searches() == []  # browsing and a blank search look nobody up

    assert chaoyang.get("/staff/queue/", {"q": ID_NUMBER, "district": "110105"}).status_code == 200
    assert haidian.get("/staff/credits/declarations/", {"q": "张三"}).status_code == 200
    api.login(haidian_reviewer.phone)
    assert api.get("/api/v1/review/applications", {"q": "李四"}).status_code == 200
    assert api.get("/api/v1/review/applications", {"type": "ce_declaration", "q": "王五"}).status_code == 200
    found = [(e.actor_id, e.district, e.details) for e in searches()]
    assert found == [
        (chaoyang_reviewer.pk, "110105", {"q": ID_NUMBER, "where": "review_queue"}),
        (haidian_reviewer.pk, "", {"q": "张三", "where": "credit_declarations"}),
        (haidian_reviewer.pk, "", {"q": "李四", "where": "review_queue"}),
        (haidian_reviewer.pk, "", {"q": "王五", "where": "credit_declarations"}),
    ]


def test_integrity_look_ups_by_id_number_are_audited(api, chaoyang_reviewer, municipal_admin):
    assert browser(chaoyang_reviewer).get("/staff/integrity/").status_code == 200
    api.login(municipal_admin.phone)
    assert api.get("/api/v1/admin/integrity").status_code == 200
    assert searches() == []
    assert browser(chaoyang_reviewer).get("/staff/integrity/", {"q": ID_NUMBER.lower()}).status_code == 200
    assert api.get("/api/v1/admin/integrity", {"id_number": ID_NUMBER}).status_code == 200
    assert [(e.actor_id, e.details) for e in searches()] == [
        (chaoyang_reviewer.pk, {"q": ID_NUMBER, "where": "integrity"}),
        (municipal_admin.pk, {"q": ID_NUMBER, "where": "integrity"}),
    ]
