"""Demo credits for generated people, and the district views over them: rates, the non-compliant
audience, and reviewers seeing only their own districts."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.audit.models import AuditEntry
from registry.credits.demo import seed_credits
from registry.credits.models import CreditRecord
from registry.credits.selectors import compliance, district_compliance, noncompliant_record_ids
from registry.demo.people import PHONE_PREFIX, seed_people
from registry.records.models import Record
from tests.helpers import problem

from .conftest import collect, row

pytestmark = pytest.mark.django_db
PAGE = 100  # non-compliant people a page, on the staff page as in the API


def test_seed_credits_most_compliant_some_not_and_idempotent():
    seed_people(120, open_share=0)
    people = seed_credits(phone_prefix=PHONE_PREFIX)
    assert people == Record.objects.count() == 120
    last_year = timezone.localdate().year - 1
    standings = [compliance(r, last_year) for r in Record.objects.all()]
    obliged = [s for s in standings if s.obliged]
    share = sum(s.compliant for s in obliged) / len(obliged)
    assert 0.7 <= share <= 0.97, share
    count = CreditRecord.objects.count()
    assert seed_credits(phone_prefix=PHONE_PREFIX) == 0 and CreditRecord.objects.count() == count
    # the aggregate agrees with the per-person selector
    rates = district_compliance(last_year)
    assert sum(r.obliged for r in rates.values()) == len(obliged)
    assert sum(r.compliant for r in rates.values()) == sum(s.compliant for s in obliged)
    assert len(noncompliant_record_ids(last_year)) == len(obliged) - sum(s.compliant for s in obliged)


def test_noncompliant_list_scoped_to_the_reviewers_districts(api, chaoyang_reviewer, municipal_admin, applicant):
    from registry.credits.services import provider_rows_apply

    chaoyang_short = collect(name="朝阳甲", district="110105")
    chaoyang_ok = collect(name="朝阳乙", district="110105")
    haidian_short = collect(name="海淀丙", district="110108")
    not_obliged = collect(name="新取得", district="110105", qualified_on="2025-03-01")
    provider_rows_apply(provider="机构", rows=[row(chaoyang_ok, "G-1", credits="60"), row(chaoyang_ok, "G-2", credits="30", subject="public"),
                                              row(chaoyang_short, "G-3", credits="89.5")])  # fmt: skip
    assert sorted(noncompliant_record_ids(2025)) == sorted([chaoyang_short.pk, haidian_short.pk])
    assert noncompliant_record_ids(2025, ["110105"]) == [chaoyang_short.pk]
    assert not_obliged.pk not in noncompliant_record_ids(2025)

    api.login(chaoyang_reviewer.phone)
    listed = api.get("/api/v1/staff/credits/noncompliant", {"year": 2025}).json()["results"]
    assert [item["name"] for item in listed] == ["朝阳甲"] and "*" in listed[0]["id_number"]
    problem(api.get("/api/v1/staff/credits/noncompliant", {"year": 2025, "district": "110108"}), 404, "not_found")
    for cursor in ("²", "x1", "9" * 30):  # a superscript two is a digit to str.isdigit, not to int()
        problem(api.get("/api/v1/staff/credits/noncompliant", {"year": 2025, "cursor": cursor}), 400, "invalid_cursor")
    rates = api.get("/api/v1/staff/credits/compliance", {"year": 2025}).json()["districts"]
    assert rates == [{"district": "110105", "obliged": 2, "compliant": 1, "rate": 0.5}]
    page = api.client.get("/staff/credits/?year=2025")
    assert page.status_code == 302  # the web page needs a session
    api.client.force_login(chaoyang_reviewer)
    html = api.client.get("/staff/credits/?year=2025").content.decode()
    assert "朝阳甲" in html and "海淀丙" not in html

    api.login(municipal_admin.phone)
    assert len(api.get("/api/v1/staff/credits/noncompliant", {"year": 2025}).json()["results"]) == 2
    api.login(applicant.phone)
    problem(api.get("/api/v1/staff/credits/noncompliant", {"year": 2025}), 403, "forbidden")


def test_the_staff_page_pages_the_whole_list_within_the_reviewers_districts(client, chaoyang_reviewer,
                                                                          municipal_admin):  # fmt: skip
    """Every non-compliant person of the reviewer's district, a page of 100 at a time, through 下一页
    links; never a person of another district, whatever the query says; no API path as text."""
    chaoyang = [collect(name=f"朝阳{i:03d}", district="110105") for i in range(PAGE + 3)]
    haidian = [collect(name=f"海淀{i:03d}", district="110108") for i in range(2)]
    client.force_login(chaoyang_reviewer)

    def names(html):
        return re.findall(r"<tr><td>((?:朝阳|海淀)\d{3})</td>", html)

    seen, url, pages = [], "/staff/credits/?year=2025", 0
    while url:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        pages += 1
        assert "/api/" not in html and "共 103 人" in html
        assert len(queries) <= 20, [q["sql"] for q in queries.captured_queries]  # 16 for 100 rows: none per row
        seen += names(html)
        found = re.search(r'href="\?([^"]*cursor=[^"]*)">下一页', html)
        url = "/staff/credits/?" + unescape(found.group(1)) if found else None
        if pages > 1:
            assert "第一页" in html
    assert pages == 2 and seen == [p.name for p in chaoyang]
    assert AuditEntry.objects.filter(action="credits.noncompliant_list").count() == 2

    # another district's code in the query, or a cursor past the last of theirs: still only 朝阳区
    html = client.get("/staff/credits/?year=2025&district=110108").content.decode()
    assert not any(n.startswith("海淀") for n in names(html)) and len(names(html)) == PAGE
    html = client.get(f"/staff/credits/?year=2025&district=110108&cursor={chaoyang[-1].pk}").content.decode()
    assert names(html) == []
    bad = client.get("/staff/credits/?year=2025&cursor=%C2%B2")
    assert bad.status_code == 302 and "cursor" not in bad["Location"]

    client.force_login(municipal_admin)
    html = client.get("/staff/credits/?year=2025&district=110108").content.decode()
    assert names(html) == [p.name for p in haidian] and "下一页" not in html
