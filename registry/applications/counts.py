"""Applications per district, type and status, kept as they change (`StatusCount`, decisions/0013).

The review queue shows these counts on every request; counting the rows each time grew with the
approved history without bound. Instead every change of an application's (district, type, status)
adjusts two counters in the same transaction:

- `states.move` — every status change (and a submission's new district) — calls `moved`;
- a service that creates an application already in a status with a district (`transfer_out_request`)
  calls `moved(None, key_of(application))`;
- anything that writes applications in bulk (`seed_demo`, a test's bulk_create) calls `rebuild`
  afterwards (`manage.py rebuild_queue_counts`).

Applications without a district (drafts) are nobody's queue and are not counted.
"""

from collections import Counter

from django.db import connection, transaction
from django.db.models import Count

from .models import Application, StatusCount

Key = tuple[str, str, str]  # (district, type, status)


def key_of(application: Application) -> Key | None:
    """What the application counts towards, or None (no district yet: a draft)."""
    if not application.district_id:
        return None
    return (application.district_id, application.type, application.status)


def moved(before: Key | None, after: Key | None) -> None:
    """One application left `before` and entered `after` (either may be None). Call it inside the
    transaction that changed the row.

    One statement, race-safe on PostgreSQL: INSERT … ON CONFLICT DO UPDATE SET n = n + delta takes the
    row lock (creating the row the first time, so two first moves cannot both insert), and the rows
    are written in key order, so two concurrent moves lock the same counters in the same order and
    never deadlock each other."""
    deltas = Counter()
    if before is not None:
        deltas[before] -= 1
    if after is not None:
        deltas[after] += 1
    rows = sorted((key, delta) for key, delta in deltas.items() if delta)
    if not rows:
        return  # no district either side, or the same key (a reassignment)
    table = connection.ops.quote_name(StatusCount._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (district_id, type, status, n) VALUES {values} "
            f"ON CONFLICT (district_id, type, status) DO UPDATE SET n = {table}.n + excluded.n",
            [part for (district, type_, status), delta in rows for part in (district, type_, status, delta)],
        )


def rebuild() -> int:
    """Recount every counter from the applications table (after a bulk load, or to repair). Returns
    the number of applications counted. On PostgreSQL the counter table is locked for the recount:
    a move that commits first is in the recount, one that comes later waits and adjusts it."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {connection.ops.quote_name(StatusCount._meta.db_table)} IN EXCLUSIVE MODE")
        StatusCount.objects.all().delete()
        rows = (
            Application.objects.filter(district__isnull=False)
            .values("district_id", "type", "status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counters = [
            StatusCount(district_id=r["district_id"], type=r["type"], status=r["status"], n=r["n"]) for r in rows
        ]
        StatusCount.objects.bulk_create(counters)
    return sum(c.n for c in counters)


def recount() -> dict[Key, int]:
    """The counts as the applications table has them now (the tests compare the counters with it)."""
    return {
        (r["district_id"], r["type"], r["status"]): r["n"]
        for r in Application.objects.filter(district__isnull=False)
        .values("district_id", "type", "status")
        .annotate(n=Count("pk"))
        .order_by()
    }


def stored() -> dict[Key, int]:
    """The counters as kept, zeros left out."""
    return {(c.district_id, c.type, c.status): c.n for c in StatusCount.objects.exclude(n=0)}
