"""PostgreSQL walks the queue's page from the cursor in the index (issue 17): the keyset condition is
an index bound ("Index Cond"), not a filter that reads and drops every row before the page — which
made a deep page an OFFSET in disguise. EXPLAIN of the very query the queue sends, for a district
reviewer, the municipal admin and a status filter."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.applications.models import Application
from registry.review import selectors

pytestmark = pytest.mark.django_db


def page_query(**params) -> str:
    """The SQL of the queue's list query on the page after the first (cursor given)."""
    first = selectors.review_queue(page_size=2, **params)
    assert first.next, "need more than one page"
    with CaptureQueriesContext(connection) as queries:
        selectors.review_queue(page_size=2, cursor=first.next, **params)
    # On PostgreSQL the counts and the page go in one execute ("counts; page"): the page's part.
    statements = [part for q in queries.captured_queries for part in q["sql"].split("; ")]
    (sql,) = [sql for sql in statements if "ORDER BY" in sql and "LIMIT" in sql]
    return sql


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # Tiny test tables: make the planner show the plan it picks on a big one (an ordered index walk).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


CURSOR = re.compile(r"ROW\(submitted_at, id\) > ROW\(")
FAR_FUTURE = dt.date(2099, 1, 1)  # every waiting application overdue


@pytest.mark.parametrize(
    "who, params, index",
    [
        ("reviewer", {}, "application_waiting_district"),
        ("admin", {}, "application_waiting"),
        ("admin", {"status": "approved"}, "application_queue_all"),
        ("reviewer", {"status": "approved"}, "application_queue"),
        # A type filter walks the waiting applications of that type, not all of them: the admin's
        # 信息变更 page read ~50,000 older waiting applications of other types first (120–450 ms at 1M).
        ("admin", {"type": "change"}, "application_waiting_type"),
        ("reviewer", {"type": "change"}, "application_waiting_dist_type"),
        # ... and with a history status the approved changes, not every approved application.
        ("admin", {"type": "change", "status": "approved"}, "application_type_status"),
        ("reviewer", {"overdue": True, "today": FAR_FUTURE}, "application_waiting_district"),
        ("admin", {"overdue": True, "today": FAR_FUTURE}, "application_waiting"),
    ],
)
def test_the_cursor_is_an_index_condition(postgres, chaoyang_reviewer, municipal_admin, who, params, index):
    from registry.demo.people import seed_people

    seed_people(400, open_share=0.5, batch=400)  # ≈ 11 waiting in each of 18 districts
    # By district: a third of each district's waiting applications approved (history beside the queue),
    # a third of them changes (a rarer type among the waiting), and half of the approved ones — in
    # 朝阳区 (10 waiting) enough for two pages.
    waiting = Application.objects.filter(status__in=["submitted", "in_review"]).order_by("district_id", "pk")
    waiting = list(waiting.values_list("pk", flat=True))
    Application.objects.filter(pk__in=waiting[::3]).update(status="approved")
    Application.objects.filter(pk__in=waiting[1::3]).update(type="change")
    Application.objects.filter(pk__in=waiting[::6]).update(type="change")  # half the approved: changes too
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE applications_application")
    user = chaoyang_reviewer if who == "reviewer" else municipal_admin
    explained = plan(page_query(user=user, **params))

    index_conds = [line for line in explained.splitlines() if "Index Cond" in line]
    filters = [line for line in explained.splitlines() if "Filter" in line]
    assert any(CURSOR.search(line) for line in index_conds), explained
    assert not any("submitted_at" in line for line in filters), explained
    assert f"using {index} on applications_application" in explained.lower(), explained
    assert "Sort" not in explained, explained  # the index gives the order: the page stops after 3 rows
    if "type" in params:
        assert not any("type" in line for line in filters), explained


def test_an_overdue_page_says_the_waiting_statuses_once(postgres, chaoyang_reviewer):
    """Said twice, PostgreSQL multiplied the condition's selectivity: it expected a tenth of the
    rows, and for a reviewer's overdue page with a cursor read and sorted the district's whole overdue
    queue through application_queue instead of walking application_waiting_district (8–16 ms at 1M)."""
    from registry.demo.people import seed_people

    seed_people(400, open_share=0.5, batch=400)
    sql = page_query(user=chaoyang_reviewer, overdue=True, today=FAR_FUTURE)
    assert sql.count("IN ('submitted', 'in_review')") == 1, sql
    assert "due_on" in sql, sql
    # With a status: that status, which is one of the waiting ones, or nothing at all.
    sql = page_query(user=chaoyang_reviewer, overdue=True, today=FAR_FUTURE, status="submitted")
    assert "IN ('submitted', 'in_review')" not in sql, sql
    assert not selectors.review_queue(user=chaoyang_reviewer, overdue=True, today=FAR_FUTURE, status="approved").results


@pytest.mark.parametrize(
    "who, params, index",
    [
        ("reviewer", {}, "application_waiting_district"),
        ("admin", {}, "application_waiting"),
        ("admin", {"type": "change"}, "application_waiting_type"),
        ("reviewer", {"type": "change"}, "application_waiting_dist_type"),
    ],
)
def test_the_cursor_is_an_index_condition_when_postgresql_writes_the_json(
    postgres, chaoyang_reviewer, municipal_admin, who, params, index
):
    """The same for the API's statement that wraps the page in its JSON (selectors.review_queue_json),
    prepared once per connection: also in the generic plan PostgreSQL settles on after five calls."""
    from registry.demo.people import seed_people

    seed_people(400, open_share=0.5, batch=400)
    waiting = Application.objects.filter(status__in=["submitted", "in_review"]).order_by("district_id", "pk")
    Application.objects.filter(pk__in=list(waiting.values_list("pk", flat=True))[1::2]).update(type="change")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE applications_application")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    user = chaoyang_reviewer if who == "reviewer" else municipal_admin
    first = selectors.review_queue_json(user=user, page_size=2, **params)
    for _ in range(7):
        with CaptureQueriesContext(connection) as queries:
            selectors.review_queue_json(user=user, page_size=2, cursor=first.next, **params)
    (sql,) = [q["sql"] for q in queries.captured_queries]
    page = "EXECUTE " + sql.rsplit("; EXECUTE ", 1)[1]  # after the counters' statement
    explained = plan(page)
    index_conds = [line for line in explained.splitlines() if "Index Cond" in line]
    assert any(CURSOR.search(line) for line in index_conds), explained
    assert not any("submitted_at" in line for line in explained.splitlines() if "Filter" in line), explained
    assert f"using {index} on applications_application" in explained.lower(), explained


def test_a_name_search_is_three_index_look_ups_not_a_filter_over_all_applications(postgres, municipal_admin):
    """A common name searched by the admin counted every application of every status through an OR
    holding a subquery (a filter over the whole table: 0.4–4.9 s at 1M people); now a UNION of
    look-ups on the name, ID number and certificate number indexes."""
    from registry.demo.people import seed_people

    seed_people(200, open_share=0.5, batch=200)
    name = Application.objects.filter(status="submitted").values_list("applicant_name", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        page = selectors.review_queue(user=municipal_admin, q=name)
    assert page.results and all(row.applicant_name == name for row in page.results)
    # the counts and the page (sent in one execute: "counts; page")
    statements = [part for q in queries.captured_queries for part in q["sql"].split("; ")]
    searched = [sql for sql in statements if "applicant_name" in sql]
    assert len(searched) == 2, searched
    for sql in searched:
        explained = plan(sql)
        lines = explained.splitlines()
        assert any("Index Cond" in line and "applicant_name" in line for line in lines), explained
        assert not any("Filter" in line and "applicant_name" in line for line in lines), explained
        assert "SubPlan" not in explained, explained
