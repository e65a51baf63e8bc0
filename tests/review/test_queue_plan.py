"""PostgreSQL walks the queue's page from the cursor in the index (issue 17): the keyset condition is
an index bound ("Index Cond"), not a filter that reads and drops every row before the page — which
made a deep page an OFFSET in disguise. EXPLAIN of the very query the queue sends, for a district
reviewer, the municipal admin and a status filter."""

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
    (sql,) = [q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"]]
    return sql


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # Tiny test tables: make the planner show the plan it picks on a big one (an ordered index walk).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


CURSOR = re.compile(r"ROW\(submitted_at, id\) > ROW\(")


@pytest.mark.parametrize(
    "who, params, index",
    [
        ("reviewer", {}, "application_waiting_district"),
        ("admin", {}, "application_waiting"),
        ("admin", {"status": "approved"}, "application_queue_all"),
        ("reviewer", {"status": "approved"}, "application_queue"),
    ],
)
def test_the_cursor_is_an_index_condition(postgres, chaoyang_reviewer, municipal_admin, who, params, index):
    from registry.demo.people import seed_people

    seed_people(400, open_share=0.5, batch=400)  # ≈ 11 waiting in each of 18 districts
    waiting = list(Application.objects.filter(status="submitted").order_by("pk").values_list("pk", flat=True))
    Application.objects.filter(pk__in=waiting[::2]).update(status="approved")  # history beside the queue
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


@pytest.mark.parametrize("who", ["reviewer", "admin"])
def test_the_cursor_is_an_index_condition_when_postgresql_writes_the_json(
    postgres, chaoyang_reviewer, municipal_admin, who
):
    """The same for the API's statement that wraps the page in its JSON (selectors.review_queue_json),
    prepared once per connection: also in the generic plan PostgreSQL settles on after five calls."""
    from registry.demo.people import seed_people

    seed_people(400, open_share=0.5, batch=400)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE applications_application")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    user = chaoyang_reviewer if who == "reviewer" else municipal_admin
    first = selectors.review_queue_json(user=user, page_size=2)
    for _ in range(7):
        with CaptureQueriesContext(connection) as queries:
            selectors.review_queue_json(user=user, page_size=2, cursor=first.next)
    (sql,) = [q["sql"] for q in queries.captured_queries]
    page = "EXECUTE " + sql.rsplit("; EXECUTE ", 1)[1]  # after the counters' statement
    explained = plan(page)
    index_conds = [line for line in explained.splitlines() if "Index Cond" in line]
    assert any(CURSOR.search(line) for line in index_conds), explained
    assert not any("submitted_at" in line for line in explained.splitlines() if "Filter" in line), explained
    index = "application_waiting_district" if who == "reviewer" else "application_waiting"
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
    searched = [q["sql"] for q in queries.captured_queries if "applicant_name" in q["sql"]]
    assert len(searched) == 2, searched  # the counts and the page
    for sql in searched:
        explained = plan(sql)
        lines = explained.splitlines()
        assert any("Index Cond" in line and "applicant_name" in line for line in lines), explained
        assert not any("Filter" in line and "applicant_name" in line for line in lines), explained
        assert "SubPlan" not in explained, explained
