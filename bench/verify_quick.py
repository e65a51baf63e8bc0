"""Verification in-process: database queries, CPU and wall time per call (issue 14, fourth pass).

No server: the Django test client calls POST /api/v1/verify and /verify/batch in this process, so
the figures are the view's own (middleware, key check, look-up, audit row) without gunicorn or the
network. Queries are counted in a separate pass (CaptureQueriesContext slows every query down), then
--calls calls are timed: CPU with time.process_time (this process only: PostgreSQL's work is in the
wall time), wall with time.perf_counter.

    DATABASE_URL=postgres://…/registry_x REDIS_URL=redis://127.0.0.1:6379/5 REGISTRY_VAR_DIR=… \
        .venv/bin/python bench/verify_quick.py [--calls 500] [--batches 20] [--batch-size 100] [--years 2025]

Calls as in bench/verify_bench.py: a known person with the credits of --years, every 4th a wrong name.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from registry.accounts.models import ApiClient  # noqa: E402
from registry.accounts.services import api_client_create  # noqa: E402
from registry.credits.models import CreditRecord  # noqa: E402
from registry.records.models import Record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--years", default="2025")
    args = parser.parse_args()
    years = [int(y) for y in args.years.split(",") if y]

    settings.API_KEY_RATE_LIMIT = 10**9
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    name = "bench-verify-quick"
    ApiClient.objects.filter(name=name).update(active=False, name=f"{name}-old-{int(time.time())}")
    key = api_client_create(name=name, scope="verify").key

    # Half the sample has credits, so the sums are not all over empty sets.
    with_credits = set(CreditRecord.objects.values_list("record_id", flat=True).distinct()[:300])
    people = list(Record.objects.filter(pk__in=with_credits).values_list("id_number", "name"))
    people += list(Record.objects.exclude(pk__in=with_credits).order_by("pk").values_list("id_number", "name")[:300])
    random.Random(14).shuffle(people)
    print(f"records: {Record.objects.count():,}; sample: {len(people)} ({len(with_credits)} with credits)")
    print(f"database: {connection.vendor}; Redis: {settings.CACHES['default']['BACKEND'].endswith('RedisCache')}")

    client = Client()
    rng = random.Random(14)

    def verify(n):
        id_number, person = people[n % len(people)]
        body = {"id_number": id_number, "name": person if n % 4 else person + "某", "years": years}
        response = client.post("/api/v1/verify", json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key)
        assert response.status_code == 200, response.content

    def batch(n):
        sample = rng.sample(people, args.batch_size)
        body = {"people": [{"id_number": i, "name": p} for i, p in sample], "years": years}
        response = client.post(
            "/api/v1/verify/batch", json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key
        )
        assert response.status_code == 200, response.content

    def measure(label, call, n, per=1):
        for i in range(5):  # warm-up
            call(i)
        counts = []
        for i in range(min(n, 20)):
            with CaptureQueriesContext(connection) as ctx:
                call(i)
            counts.append(len(ctx.captured_queries))
        cpu, wall = [], []
        for i in range(n):
            w, c = time.perf_counter(), time.process_time()
            call(i)
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
        print(
            f"| {label} | {statistics.mean(counts):.1f} (min {min(counts)}, max {max(counts)}) "
            f"| {statistics.mean(cpu) * 1e6:,.0f} | {statistics.median(wall) * 1e3:.2f} | {statistics.mean(wall) * 1e3:.2f} "
            f"| {n} |",
            flush=True,
        )
        if per > 1:
            print(
                f"|   per person | | {statistics.mean(cpu) * 1e6 / per:,.0f} | | {statistics.mean(wall) * 1e3 / per:.3f} | |"
            )

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| call | queries per call | CPU µs per call (mean) | wall ms (median) | wall ms (mean) | calls |")
    print("|---|---|---|---|---|---|")

    def get(path, headers):
        def call(n):
            assert client.get(path, **headers).status_code == 200

        return call

    measure("trivial `/healthz` (reference)", get("/healthz", {}), args.calls)
    measure(
        "`/verify/whoami` (reference: the key check and its audit row)",
        get("/api/v1/verify/whoami", {"HTTP_X_API_KEY": key}),
        args.calls,
    )
    measure(f"verify, years {years}", verify, args.calls)
    if args.batches:
        measure(f"batch of {args.batch_size}", batch, args.batches, per=args.batch_size)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
