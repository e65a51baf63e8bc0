"""Statistics benchmark: the refresh job and GET /api/v1/stats/summary on a large dataset.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_stats
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --people 300000 --batch 10000
    .venv/bin/python bench/stats_bench.py

Prints the refresh time (facts from every record, then all figures), and the median of repeated
summary requests through Django's test client (session auth, the whole API stack) for the
municipal admin and the 朝阳区 reviewer, plus the selector alone.
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

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from registry.accounts.models import User  # noqa: E402
from registry.records.models import Record  # noqa: E402
from registry.stats.models import Figure  # noqa: E402
from registry.stats.selectors import stats_summary  # noqa: E402
from registry.stats.services import stats_refresh  # noqa: E402

REPEAT = 30


def timed(func) -> float:
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def pad_figures() -> None:
    """What a registry in use for two years holds besides the breakdowns: every flow kind, the
    decided reviews and a working-day histogram for 24 months in every district, and 4 CE years
    (the demo data has one month). The summary's cost depends on this count, not on people."""
    from registry.core.models import Region

    codes = list(Region.objects.reviewing_units().in_province("11").values_list("code", flat=True))
    months = [f"{2024 + (m // 12)}-{m % 12 + 1:02d}" for m in range(24)]
    rows = []
    for code in codes:
        for month in months:
            for kind in ("first_collection", "transfer_in", "transfer_out", "change", "move_in", "move_out"):
                rows.append(Figure(dimension=f"flow:{kind}", district=code, key=month, value=37))
            rows.append(Figure(dimension="review_decided", district=code, key=month, value=120))
        rows += [Figure(dimension="review_days", district=code, key=str(d), value=5 + d) for d in range(30)]
        for year in ("2023", "2024", "2025", "2026"):
            rows += [Figure(dimension=f"ce_{k}", district=code, key=year, value=900) for k in ("obliged", "compliant")]
    Figure.objects.filter(dimension__in=["flow:first_collection"], key__lt="2026").delete()
    Figure.objects.bulk_create(rows)


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    print(f"database: {connection.vendor}; records: {Record.objects.count():,}")
    if "--no-refresh" not in sys.argv:
        runs = []
        while True:
            snapshot = stats_refresh(limit=10**9)
            runs.append(snapshot.seconds)
            if not snapshot.pending:
                break
        print(f"full refresh (facts from every record + figures): {sum(runs):.1f} s")
        again = stats_refresh()
        print(
            f"refresh with nothing changed: {again.seconds:.2f} s; facts {again.facts:,}; figures {Figure.objects.count():,}"
        )
    if "--full-figures" in sys.argv:
        pad_figures()
    print(f"figures read by the summary: {Figure.objects.count():,}")
    for label, phone in [("municipal admin", "13800000003"), ("Chaoyang reviewer", "13800000002")]:
        user = User.objects.get(phone=phone)
        client = Client()
        client.force_login(user)
        assert client.get("/api/v1/stats/summary").status_code == 200
        selector = timed(lambda u=user: stats_summary(user=u))
        http = timed(lambda c=client: c.get("/api/v1/stats/summary"))
        print(
            f"{label}: summary selector {selector:.1f} ms, GET /api/v1/stats/summary {http:.1f} ms (median of {REPEAT})"
        )


if __name__ == "__main__":
    main()
