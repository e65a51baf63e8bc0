"""Verification throughput: POST /api/v1/verify against a trivial JSON view on the same gunicorn
server, in the same run (issue 14 goal: verify ≥ 60 % of the trivial view's requests per second).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_stats   # a seeded database
    .venv/bin/python bench/verify_bench.py [--seconds 15] [--threads 8] [--workers 2]

The server: `gunicorn config.wsgi` with --workers (sync workers), DJANGO_DEBUG=0 and the per-key
limit raised out of the way (API_KEY_RATE_LIMIT). The client: --threads keep-alive connections
for --seconds per endpoint, bounded in time, loopback only. Endpoints, one after another:
- `GET /healthz` — the trivial JSON view (one `SELECT 1`);
- `GET /api/v1/verify/whoami` — trivial too, behind the same API-key check as verify;
- `POST /api/v1/verify` — a known person (ID + name) with one credits year; every 4th call a
  wrong name (`{"found": false}`);
- `POST /api/v1/verify/batch` with 100 people (people checked per second reported too).
"""

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from registry.accounts.models import ApiClient  # noqa: E402
from registry.accounts.services import api_client_create  # noqa: E402
from registry.records.models import Record  # noqa: E402
from tests.helpers import free_port  # noqa: E402


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_DEBUG": "0", "API_KEY_RATE_LIMIT": "1000000000", "LOG_LEVEL": "ERROR"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "error",
        ],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def load(port: int, seconds: float, threads: int, request) -> tuple[float, int, dict]:
    """Requests per second over `seconds` with `threads` keep-alive connections."""
    counts, statuses, lock = [0] * threads, {}, threading.Lock()
    stop = time.monotonic() + seconds

    def run(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = 0
        while time.monotonic() < stop:
            method, path, body, headers = request(n)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
            n += 1
        counts[i] = n
        conn.close()

    started = time.monotonic()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    return sum(counts) / elapsed, sum(counts), statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    name = "bench-verify"
    ApiClient.objects.filter(name=name).update(active=False, name=f"{name}-old-{int(time.time())}")
    key = api_client_create(name=name, scope="verify").key
    people = list(Record.objects.order_by("?").values_list("id_number", "name")[:1000])
    rng = random.Random(14)
    print(f"records: {Record.objects.count():,}; sample: {len(people)}")
    headers = {"X-Api-Key": key, "Content-Type": "application/json"}
    port = free_port()
    server = start_server(port, args.workers)
    try:

        def trivial(n):
            return "GET", "/healthz", None, {}

        def whoami(n):
            return "GET", "/api/v1/verify/whoami", None, headers

        def verify(n):
            id_number, person = people[n % len(people)]
            name = person if n % 4 else person + "某"
            return (
                "POST",
                "/api/v1/verify",
                json.dumps({"id_number": id_number, "name": name, "years": [2025]}),
                headers,
            )

        def batch(n):
            sample = rng.sample(people, 100)
            body = {"people": [{"id_number": i, "name": p} for i, p in sample], "years": [2025]}
            return "POST", "/api/v1/verify/batch", json.dumps(body), headers

        load(port, 3, args.threads, trivial)  # warm-up: workers import and connect
        results = {}
        for label, request in [("trivial", trivial), ("whoami", whoami), ("verify", verify), ("batch", batch)]:
            rps, total, statuses = load(port, args.seconds, args.threads, request)
            results[label] = rps
            print(f"{label:8s} {rps:8.1f} req/s  ({total} requests, statuses {statuses})")
        print(f"verify / trivial JSON view: {results['verify'] / results['trivial']:.0%}")
        print(f"verify / whoami (same key check): {results['verify'] / results['whoami']:.0%}")
        print(f"batch of 100: {results['batch'] * 100:.0f} people/s")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
