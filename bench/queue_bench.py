"""Review-queue benchmark: time the first page and a deep page of the queue on a large dataset.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench .venv/bin/python manage.py seed_demo --people 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench .venv/bin/python bench/queue_bench.py

Prints timings (median of repeated runs, sampled round-robin with a trivial query as the reference)
for a district reviewer and the municipal admin: the first page, the middle page and the last
page (≤ 201) reached by following `next` cursors, and EXPLAIN ANALYZE of each query the admin's page 101 sends.
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from registry.accounts.models import User  # noqa: E402
from registry.applications.models import Application  # noqa: E402
from registry.review.selectors import review_queue  # noqa: E402

REPEAT = 41


def timed_interleaved(funcs: dict) -> dict[str, float]:
    """Median milliseconds of each function, sampled round-robin in a shuffled order so a busy machine
    slows them alike."""
    samples = {name: [] for name in funcs}
    order, shuffle = list(funcs), random.Random(17).shuffle
    for _ in range(REPEAT):
        shuffle(order)  # no function always runs right after the same other one
        for name in order:
            start = time.perf_counter()
            funcs[name]()
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def database_ms(call) -> float:
    """The database's own time for everything `call` sends: the sum of each query's EXPLAIN ANALYZE
    execution time (median of 5) — what the plan costs, whatever the load on the Python side."""
    if connection.vendor != "postgresql":
        return float("nan")
    with CaptureQueriesContext(connection) as queries:
        call()
    total = 0.0
    for query in queries.captured_queries:
        runs = []
        for _ in range(5):
            with connection.cursor() as db:
                db.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
                runs.append(db.fetchone()[0][0]["Execution Time"])
        total += statistics.median(runs)
    return total


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
        f"database: {connection.vendor}; applications: {Application.objects.count():,}; people: {User.objects.count():,}; "
        f"approved applications: {Application.objects.filter(status='approved').count():,}; load: {os.getloadavg()[0]:.1f}"
    )
    for label, user in [("Chaoyang reviewer", reviewer), ("municipal admin", admin)]:
        last, last_page = deep_cursor(user, 200)
        middle, middle_page = deep_cursor(user, (last_page - 1) // 2)
        ms = timed_interleaved(
            {
                # The reference: one trivial indexed query, to read the others against on a busy machine.
                "trivial": lambda u=user: User.objects.filter(pk=u.pk).exists(),
                "first": lambda u=user: review_queue(user=u),
                "middle": lambda u=user, c=middle: review_queue(user=u, cursor=c),
                "last": lambda u=user, c=last: review_queue(user=u, cursor=c),
                "search": lambda u=user: review_queue(user=u, q="110105199003070033"),
            }
        )
        db = {
            "first": database_ms(lambda u=user: review_queue(user=u)),
            "middle": database_ms(lambda u=user, c=middle: review_queue(user=u, cursor=c)),
            "last": database_ms(lambda u=user, c=last: review_queue(user=u, cursor=c)),
        }
        print(
            f"{label:18s} database time (EXPLAIN ANALYZE): first page {db['first']:6.2f} ms | page {middle_page:3d} "
            f"{db['middle']:6.2f} ms (deep/first {db['middle'] / db['first']:.2f}) | page {last_page:3d} (last) "
            f"{db['last']:6.2f} ms (deep/first {db['last'] / db['first']:.2f})"
        )
        print(
            f"{label:18s} whole call: first page {ms['first']:6.1f} ms | page {middle_page:3d} {ms['middle']:6.1f} ms "
            f"(deep/first {ms['middle'] / ms['first']:.2f}) | page {last_page:3d} (last) {ms['last']:6.1f} ms "
            f"(deep/first {ms['last'] / ms['first']:.2f}) | search by ID {ms['search']:6.1f} ms | "
            f"trivial query {ms['trivial']:5.2f} ms"
        )
    if connection.vendor == "postgresql":
        cursor, _ = deep_cursor(admin, 100)
        print("\nThe queries of the admin's page 101, EXPLAIN ANALYZE:")
        with CaptureQueriesContext(connection) as queries:
            review_queue(user=admin, cursor=cursor)
        for query in queries.captured_queries:
            with connection.cursor() as db:
                db.execute("EXPLAIN ANALYZE " + query["sql"])
                rows = [row[0] for row in db.fetchall()]
            print("\n" + "\n".join(rows[:8] + [r for r in rows[8:] if "Execution Time" in r]))


if __name__ == "__main__":
    main()
