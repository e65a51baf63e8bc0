"""Verification throughput: POST /api/v1/verify against a trivial JSON view on the same gunicorn
server, in the same run (issue 14 goal: verify ≥ 60 % of the trivial view's requests per second).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_stats   # a seeded database
    .venv/bin/python bench/verify_bench.py [--seconds 15] [--threads 8] [--workers 2]
    .venv/bin/python bench/verify_bench.py --wrk [--seconds 15] [--connections 32] [--workers 4]

The server: `gunicorn config.wsgi` with --workers (sync workers), DJANGO_DEBUG=0 and the per-key
limit raised out of the way (API_KEY_RATE_LIMIT). The client: --threads keep-alive connections
for --seconds per endpoint, bounded in time, loopback only — Python threads, which compete with the
server for the CPU and cap the trivial view; `--wrk` drives the same calls with wrk instead
(`wrk -t2 -c32`, gunicorn 4 workers, as bench/pages_bench.py), a Lua script cycling through the
request bodies. Endpoints, one after another:
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
import re
import shutil
import subprocess
import sys
import tempfile
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


WRK_BODIES = 200  # distinct requests per wrk script (batch: 20), cycled through by each wrk thread


def lua_string(text: str) -> str:
    """A Lua string literal of ASCII `text` (LuaJIT knows no \\u escapes: JSON keeps its own)."""
    return json.dumps(text, ensure_ascii=True)


def run_wrk(base: str, request, seconds: float, args) -> tuple[float, int, int]:
    """Requests per second, requests and answers not 2xx/3xx of `request(n)` under wrk: the first
    WRK_BODIES requests (same method and path, their bodies cycled) written into a Lua script."""
    count = 20 if request.__name__ == "batch" else WRK_BODIES
    requests = [request(n) for n in range(count)]
    method, path, _, headers = requests[0]
    lines = [f"wrk.method = {lua_string(method)}", f"wrk.path = {lua_string(path)}"]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()]
    if requests[0][2] is not None:
        bodies = ",\n".join(lua_string(json.dumps(json.loads(body), ensure_ascii=True)) for _, _, body, _ in requests)
        lines += [
            f"local bodies = {{\n{bodies}\n}}",
            "local n = 0",
            "request = function()",
            "  n = n + 1",
            "  return wrk.format(nil, nil, nil, bodies[n % #bodies + 1])",
            "end",
        ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    try:
        command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{max(1, round(seconds))}s",
                   "--timeout", "30s", "-s", script.name, base + path]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, total, int(errors.group(1)) if errors else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--threads", type=int, default=8, help="client threads (wrk: its -t, default 2)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default 2; with --wrk 4)")
    parser.add_argument("--wrk", action="store_true", help="wrk as the load generator instead of Python threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk's -c")
    args = parser.parse_args()
    if args.wrk:
        if not shutil.which("wrk"):
            sys.exit("wrk is not installed: apt-get install -y wrk")
        args.threads = args.threads if "--threads" in sys.argv else 2
    args.workers = args.workers or (4 if args.wrk else 2)

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

        calls = [("trivial", trivial), ("whoami", whoami), ("verify", verify), ("batch", batch)]
        if args.wrk:
            base = f"http://127.0.0.1:{port}"
            run_wrk(base, trivial, 3, args)  # warm-up: workers import and connect
            results = {}
            for label, request in calls:
                rps, total, errors = run_wrk(base, request, args.seconds, args)
                results[label] = rps
                print(f"{label:8s} {rps:8.1f} req/s  ({total} requests, {errors} not 2xx/3xx)")
        else:
            load(port, 3, args.threads, trivial)  # warm-up: workers import and connect
            results = {}
            for label, request in calls:
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
