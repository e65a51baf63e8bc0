"""Quick interleaved ratios of the read pages, the draft save and login against /healthz (issue 17).

Needs a running server (gunicorn) on the same database and `wrk`. For each page, in turn: /healthz
for S seconds, then the page for S seconds, R times; the ratio is the page's requests/s over the
/healthz run just before it, and the median of the R ratios is printed. Sessions, tokens and a draft
are made here through Django, for the demo applicant (13800000001) and two generated people (one
with a record, one with a submitted application), the 朝阳区 reviewer and the admin.

    DATABASE_URL=postgres://… REGISTRY_VAR_DIR=… PYTHONPATH=. .venv/bin/python bench/pages_quick.py \
        --url http://127.0.0.1:8781 --seconds 5 --rounds 3 [--only record,status]

`--cpu N` instead measures each page's CPU time in this process (Django test client, median of N
calls, PostgreSQL's CPU not included): less sensitive to a busy machine than throughput.
`--cpu N --profile` prints each page's cProfile (N calls) after its line: the top PROFILE_TOP (35)
functions by PROFILE_SORT (tottime; cumulative shows where a page's time goes), and with
PROFILE_CALLERS=pattern the callers of the functions it matches (e.g. "functional.py:276").
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def setup():
    import django

    django.setup()
    from django.test import Client

    from registry.accounts import auth
    from registry.accounts.models import User
    from registry.applications import services
    from registry.applications.models import Application

    def cookie(user) -> str:
        client = Client()
        client.force_login(user)
        return f"sessionid={client.cookies['sessionid'].value}"

    def bearer(user) -> str:
        return f"Bearer {auth.token_issue(user=user)[0]}"

    demo = User.objects.get(phone="13800000001")
    reviewer = User.objects.get(phone="13800000002")
    admin = User.objects.get(phone="13800000003")
    with_record = User.objects.filter(record__isnull=False, role="applicant").exclude(phone__startswith="138000000")
    with_record = with_record.order_by("pk").first()
    submitted = (
        Application.objects.filter(status__in=["submitted", "in_review"])
        .exclude(applicant__phone__startswith="138000000")
        .order_by("pk")
        .first()
    )
    draft = Application.objects.filter(applicant=demo, status="draft").first()
    if draft is None:
        draft = services.application_create(applicant=demo, type="first_collection")
    csrf = "b" * 32
    demo_cookie = cookie(demo)
    return [
        ("healthz", "GET", "/healthz", {}, None),
        ("record (web)", "GET", "/record/", {"Cookie": cookie(with_record)}, None),
        ("status (web)", "GET", f"/apply/{submitted.pk}/", {"Cookie": cookie(submitted.applicant)}, None),
        (
            "applicant GET application (API)",
            "GET",
            f"/api/v1/me/applications/{submitted.pk}",
            {"Authorization": bearer(submitted.applicant)},
            None,
        ),
        ("form step (web)", "GET", f"/apply/{draft.pk}/basic/", {"Cookie": demo_cookie}, None),
        (
            "step autosave (web)",
            "POST",
            f"/apply/{draft.pk}/employment/autosave/",
            {
                "Cookie": f"{demo_cookie}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            "employment.position=p1",
        ),
        (
            "PUT form draft (API)",
            "PUT",
            f"/api/v1/me/applications/{draft.pk}/form",
            {"Authorization": bearer(demo), "Content-Type": "application/json"},
            json.dumps(draft.form),
        ),
        ("staff queue (web)", "GET", "/staff/queue/", {"Cookie": cookie(reviewer)}, None),
        ("queue api reviewer", "GET", "/api/v1/review/applications", {"Authorization": bearer(reviewer)}, None),
        ("queue api admin", "GET", "/api/v1/review/applications", {"Authorization": bearer(admin)}, None),
        (
            "login (API)",
            "POST",
            "/api/v1/auth/login",
            {"Content-Type": "application/json"},
            json.dumps({"username": "13800000001", "password": "Kuaiji2026"}),
        ),
    ]


def wrk(url, method, path, headers, body, seconds, connections) -> float:
    script = f"wrk.method = {json.dumps(method)}\n"
    if body is not None:
        script += f"wrk.body = {json.dumps(body)}\n"
    for name, value in headers.items():
        script += f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", f.name, url + path],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        print(f"  !! {path}: {non2xx.group(1)} non-2xx/3xx answers", file=sys.stderr)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def cpu(targets, n: int, only: list[str], profile: bool = False) -> None:
    import cProfile
    import pstats
    import time

    from django.test import Client

    print(f"| page | CPU ms per request (median of {n}) |")
    print("|---|---|")
    for name, method, path, headers, body in targets:
        if only and name != "healthz" and not any(o in name for o in only):
            continue
        client = Client()
        meta = {}
        for header, value in headers.items():
            if header == "Cookie":
                for part in value.split("; "):
                    key, _, val = part.partition("=")
                    client.cookies[key] = val
            elif header != "Content-Type":
                meta["HTTP_" + header.upper().replace("-", "_")] = value
        content_type = headers.get("Content-Type", "application/octet-stream")

        def call(client=client, method=method, path=path, body=body, meta=meta, content_type=content_type, name=name):
            response = client.generic(method, path, data=body or "", content_type=content_type, **meta)
            assert response.status_code == 200, (name, response.status_code)

        for _ in range(3):
            call()
        times = []
        for _ in range(n):
            start = time.process_time()
            call()
            times.append(time.process_time() - start)
        print(f"| {name} | {statistics.median(times) * 1000:.1f} |", flush=True)
        if profile:
            profiler = cProfile.Profile(time.process_time)  # CPU, as the line above: waits left out
            profiler.runcall(lambda: [call() for _ in range(n)])
            stats = pstats.Stats(profiler, stream=sys.stdout).sort_stats(os.environ.get("PROFILE_SORT", "tottime"))
            stats.print_stats(int(os.environ.get("PROFILE_TOP", "35")))
            if os.environ.get("PROFILE_CALLERS"):  # who calls the functions matching this pattern
                stats.print_callers(os.environ["PROFILE_CALLERS"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8781")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--only", default="")
    parser.add_argument("--cpu", type=int, default=0, help="in-process CPU per request, median of N calls")
    parser.add_argument("--profile", action="store_true", help="with --cpu: each page's cProfile")
    args = parser.parse_args()
    targets = setup()
    health = targets[0]
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    if args.cpu:
        cpu([t for t in targets if t[0] != "login (API)"], args.cpu, only, args.profile)
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print(f"| page | requests/s | /healthz requests/s | share of /healthz (median of {args.rounds}) |")
    print("|---|---|---|---|")
    for name, method, path, headers, body in targets[1:]:
        if only and not any(o in name for o in only):
            continue
        ratios, rates, bases = [], [], []
        for _ in range(args.rounds):
            base = wrk(args.url, *health[1:], args.seconds, args.connections)
            rate = wrk(args.url, method, path, headers, body, args.seconds, args.connections)
            bases.append(base)
            rates.append(rate)
            ratios.append(rate / base)
        print(
            f"| {name} | {statistics.median(rates):.1f} | {statistics.median(bases):.1f} | "
            f"{statistics.median(ratios) * 100:.1f} % |",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
