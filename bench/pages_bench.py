"""Pages against a trivial JSON view on the same gunicorn, interleaved (issue 17).

    createdb -h 127.0.0.1 -U postgres registry_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench .venv/bin/python bench/pages_bench.py --people 100000

Migrates and seeds when the database has fewer generated people than --people (reuses it
otherwise), starts gunicorn (4 workers) with bench/pages_settings.py (the project plus
/bench/trivial, a JSON view without database work), logs in over HTTP as the demo reviewer
(13800000002), admin (13800000003), applicant (13800000001) and one generated person with an
approved record, then runs wrk (-t2 -c32, --duration seconds each) on the trivial view and each
page in turn — trivial, page, trivial, page … — and prints, per page, the median over --repeat
rounds of (page requests/s ÷ trivial requests/s of the run just before), and the queries one
request makes (counted in this process with Django's test client, the second of two requests).
"""

import argparse
import http.cookiejar
import io
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ["DJANGO_SETTINGS_MODULE"] = "pages_settings"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from registry.accounts.models import User  # noqa: E402
from registry.applications.models import Application  # noqa: E402
from registry.demo.people import DEMO_PASSWORD, PHONE_PREFIX  # noqa: E402
from registry.demo.services import DEMO_LOGINS  # noqa: E402

PASSWORDS = {login.phone: login.password for login in DEMO_LOGINS}
REVIEWER, ADMIN, APPLICANT = "13800000002", "13800000003", "13800000001"
DEEP_PAGE = 201
DRAFT_FORM = {"category": 1, "basic": {"name": "张三（演示）", "gender": "M", "email": "bench@example.com"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=0, help="seed up to this many generated people first")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the median ratio is printed")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8917)
    parser.add_argument("--only", default="", help="pages whose name contains one of these |-separated words")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")

    prepare_database(args.people)
    base = f"http://127.0.0.1:{args.port}"
    server = start_gunicorn(args.port, args.workers)
    try:
        pages = prepare_pages(base)
        if args.only:
            pages = [p for p in pages if any(word in p["name"] for word in args.only.split("|"))]
        queries = {p["name"]: count_queries(p) for p in pages}
        results = measure(base, pages, args)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print_table(results, queries, args)


# --- setup ------------------------------------------------------------------------------------------


def prepare_database(people: int) -> None:
    call_command("migrate", verbosity=0)
    have = User.objects.filter(phone__startswith=PHONE_PREFIX).count()
    print(f"# {have} generated people in the database", file=sys.stderr)
    out = io.StringIO()
    call_command("seed_demo", people=max(people, have), stdout=out)  # demo logins reset; seeds the missing
    print("#", out.getvalue().splitlines()[0], file=sys.stderr)


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    gunicorn = ROOT / ".venv/bin/gunicorn"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pages_settings", "DJANGO_DEBUG": "0"}
    log = tempfile.NamedTemporaryFile(prefix="pages_bench_gunicorn_", suffix=".log", delete=False)
    server = subprocess.Popen(
        [str(gunicorn), "--chdir", str(ROOT), "--pythonpath", f"{ROOT},{ROOT / 'bench'}",
         "-w", str(workers), "-b", f"127.0.0.1:{port}", "--access-logfile", "-", "--log-level", "warning",
         "config.wsgi:application"],
        env=env, stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/trivial", timeout=2)
            print(f"# gunicorn up ({workers} workers), log {log.name}", file=sys.stderr)
            return server
        except OSError:
            if server.poll() is not None:
                sys.exit(f"gunicorn exited: see {log.name}")
            time.sleep(0.5)
    server.kill()
    sys.exit(f"gunicorn did not answer: see {log.name}")


def api(base: str, method: str, path: str, token: str | None = None, body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def api_token(base: str, phone: str, password: str) -> str:
    status, body = api(base, "POST", "/api/v1/auth/login", body={"username": phone, "password": password})
    assert status == 200, (phone, status, body)
    return body["token"]


def web_session(base: str, phone: str, password: str) -> str:
    """Log in through the web form (CSRF token from the page) and return the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/", timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": phone, "password": password}).encode()
    opener.open(urllib.request.Request(f"{base}/login/", data=form, headers={"Referer": f"{base}/login/"}))
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, f"web login failed for {phone}"
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def deep_cursor(base: str, token: str, page: int) -> tuple[str, int]:
    """The cursor of page `page` of the queue (or of its last page), by following `next`."""
    cursor, reached = "", 1
    while reached < page:
        query = f"?cursor={cursor}" if cursor else ""
        status, body = api(base, "GET", f"/api/v1/review/applications{query}", token)
        assert status == 200, body
        if not body["next"]:
            break
        cursor, reached = body["next"], reached + 1
    return cursor, reached


def prepare_pages(base: str) -> list[dict]:
    person = (
        Application.objects.filter(
            status="approved", type="first_collection", applicant__phone__startswith=PHONE_PREFIX
        )
        .order_by("applicant__phone")
        .values_list("applicant__phone", "pk")
        .first()
    )
    assert person, "no generated person with an approved record: run with --people N"
    person_phone, person_application = person
    reviewer, admin = api_token(base, REVIEWER, PASSWORDS[REVIEWER]), api_token(base, ADMIN, PASSWORDS[ADMIN])
    applicant = api_token(base, APPLICANT, PASSWORDS[APPLICANT])
    person_token = api_token(base, person_phone, DEMO_PASSWORD)
    status, body = api(base, "POST", "/api/v1/me/applications", applicant, {"type": "first_collection"})
    draft = body["id"] if status == 201 else None
    if draft is None:  # the demo applicant's open application from an earlier run
        draft = Application.objects.filter(applicant__phone=APPLICANT, status="draft").values_list("pk", flat=True)[0]
    status, body = api(base, "PUT", f"/api/v1/me/applications/{draft}/form", applicant, DRAFT_FORM)
    assert status == 200, (status, body)
    reviewer_deep, reviewer_page = deep_cursor(base, reviewer, DEEP_PAGE)
    admin_deep, admin_page = deep_cursor(base, admin, DEEP_PAGE)
    queue = "/api/v1/review/applications"
    return [
        {"name": "/healthz", "path": "/healthz"},
        {"name": "review queue API, 朝阳区 reviewer, first page", "path": queue, "token": reviewer, "user": REVIEWER},
        {"name": f"review queue API, 朝阳区 reviewer, page {reviewer_page}", "path": f"{queue}?cursor={reviewer_deep}",
         "token": reviewer, "user": REVIEWER},
        {"name": "review queue API, admin, first page", "path": queue, "token": admin, "user": ADMIN},
        {"name": f"review queue API, admin, page {admin_page}", "path": f"{queue}?cursor={admin_deep}",
         "token": admin, "user": ADMIN},
        {"name": "/staff/queue/ (web, 朝阳区 reviewer)", "path": "/staff/queue/",
         "cookie": web_session(base, REVIEWER, PASSWORDS[REVIEWER]), "user": REVIEWER},
        {"name": "applicant GET application (API)", "path": f"/api/v1/me/applications/{person_application}",
         "token": person_token, "user": person_phone},
        {"name": "/record/ (web)", "path": "/record/", "cookie": web_session(base, person_phone, DEMO_PASSWORD),
         "user": person_phone},
        {"name": "PUT form draft (API)", "path": f"/api/v1/me/applications/{draft}/form", "method": "PUT",
         "body": DRAFT_FORM, "token": applicant, "user": APPLICANT},
        {"name": "login (API, Argon2)", "path": "/api/v1/auth/login", "method": "POST",
         "body": {"username": person_phone, "password": DEMO_PASSWORD}},
    ]  # fmt: skip


def count_queries(page: dict) -> int:
    """Queries of one request, in this process (the second of two: first-use writes excluded)."""
    client = Client(HTTP_HOST="127.0.0.1")
    headers = {}
    if page.get("token"):
        headers["HTTP_AUTHORIZATION"] = f"Bearer {page['token']}"
    if page.get("cookie"):
        client.force_login(User.objects.get(phone=page["user"]))
    method = getattr(client, page.get("method", "GET").lower())
    kwargs = {"data": json.dumps(page["body"]), "content_type": "application/json"} if "body" in page else {}
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            response = method(page["path"], **kwargs, **headers)
    assert response.status_code == 200, (page["name"], response.status_code)
    return len(ctx.captured_queries)


# --- measuring ----------------------------------------------------------------------------------------


def wrk(base: str, page: dict, args) -> tuple[float, int]:
    """Requests per second, and how many answers were not 2xx/3xx."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        headers = {}
        if page.get("token"):
            headers["Authorization"] = f"Bearer {page['token']}"
        if page.get("cookie"):
            headers["Cookie"] = page["cookie"]
        lines = [f'wrk.method = "{page.get("method", "GET")}"']
        if "body" in page:
            headers["Content-Type"] = "application/json"
            lines.append(f"wrk.body = {json.dumps(json.dumps(page['body'], ensure_ascii=True))}")
        lines += [f'wrk.headers["{k}"] = {json.dumps(v)}' for k, v in headers.items()]
        script.write("\n".join(lines) + "\n")
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "30s", "-s", script.name,
               base + page["path"]]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 60).stdout
    os.unlink(script.name)
    drain(base)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, int(errors.group(1)) if errors else 0


def drain(base: str) -> None:
    """Wait until the workers have finished what the last run left queued (slow pages leave a
    backlog behind wrk's closed connections), so that the next run starts on an idle server."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        start = time.monotonic()
        try:
            urllib.request.urlopen(f"{base}/bench/trivial", timeout=10).read()
        except OSError:
            continue
        if time.monotonic() - start < 0.1:
            break
    time.sleep(0.5)


def measure(base: str, pages: list[dict], args) -> dict:
    trivial = {"name": "trivial", "path": "/bench/trivial"}
    results = {p["name"]: {"ratios": [], "rates": [], "trivial": [], "errors": 0} for p in pages}
    for round_ in range(1, args.repeat + 1):
        for page in pages:
            base_rate, _ = wrk(base, trivial, args)
            rate, errors = wrk(base, page, args)
            entry = results[page["name"]]
            entry["ratios"].append(rate / base_rate if base_rate else float("nan"))
            entry["rates"].append(rate)
            entry["trivial"].append(base_rate)
            entry["errors"] += errors
            print(f"# round {round_}: {page['name']}: {rate:.1f}/s vs trivial {base_rate:.1f}/s"
                  f"{f', {errors} non-2xx' if errors else ''}", file=sys.stderr)  # fmt: skip
    return results


def print_table(results: dict, queries: dict, args) -> None:
    load = os.getloadavg()
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, gunicorn {args.workers} workers, "
          f"median of {args.repeat} interleaved ratios; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"at the end ({os.cpu_count()} cores)\n")  # fmt: skip
    print("| page | share of the trivial view's throughput | page req/s (median) | trivial req/s (median) | queries |")
    print("|---|---|---|---|---|")
    for name, entry in results.items():
        note = f" ({entry['errors']} non-2xx)" if entry["errors"] else ""
        print(
            f"| {name} | {statistics.median(entry['ratios']):.1%}{note} | {statistics.median(entry['rates']):.1f} "
            f"| {statistics.median(entry['trivial']):.1f} | {queries[name]} |"
        )


if __name__ == "__main__":
    main()
