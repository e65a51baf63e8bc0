"""Review-queue benchmark: time the first page and a deep page of the queue on a large dataset.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench .venv/bin/python manage.py seed_demo --people 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench .venv/bin/python bench/queue_bench.py

Prints timings (median of repeated runs) for a district reviewer and the municipal admin, the first
page and a page reached by following `next` cursors, plus the query plans' top lines.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from registry.accounts.models import User  # noqa: E402
from registry.applications.models import Application  # noqa: E402
from registry.review.selectors import review_queue  # noqa: E402

REPEAT = 15


def timed(func) -> float:
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def deep_cursor(user, pages: int) -> tuple[str | None, int]:
    """The cursor of page `pages` + 1, or of the last page there is; and that page's number."""
    cursor, reached = None, 1
    for _ in range(pages):
        page = review_queue(user=user, cursor=cursor)
        if not page.next:
            break
        cursor, reached = page.next, reached + 1
    return cursor, reached


def main() -> None:
    reviewer = User.objects.get(phone="13800000002")
    admin = User.objects.get(phone="13800000003")
    print(
        f"database: {connection.vendor}; applications: {Application.objects.count():,}; people: {User.objects.count():,}"
    )
    for label, user in [("Chaoyang reviewer", reviewer), ("municipal admin", admin)]:
        first = timed(lambda u=user: review_queue(user=u))
        cursor, reached = deep_cursor(user, 200)
        deep = timed(lambda u=user, c=cursor: review_queue(user=u, cursor=c))
        searched = timed(lambda u=user: review_queue(user=u, q="110105199003070033"))
        print(
            f"{label:18s} first page {first:7.1f} ms | page {reached:3d} {deep:7.1f} ms | search by ID {searched:7.1f} ms"
        )
    if connection.vendor == "postgresql":
        queryset = Application.objects.filter(district_id="110105", status__in=["submitted", "in_review"]).order_by(
            "submitted_at", "pk"
        )[:51]
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + sql, params)
            print("\n".join(row[0] for row in cursor.fetchall()[:6]))


if __name__ == "__main__":
    main()
