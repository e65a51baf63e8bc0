"""schemathesis against the live server, as an applicant and as a reviewer: every operation of the
OpenAPI schema is called with generated valid and invalid input (examples, coverage and fuzzing
phases), and the run fails on any server error or any status code the schema does not document.

The server is a separate `runserver` process on a database seeded for it (demo accounts and people,
a draft of the applicant's), so nothing the fuzzing writes leaks into other tests. When the suite runs
on PostgreSQL the server does too (a throw-away database beside the test database): NUL characters
and oversized values fail differently there than on SQLite."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import running_server

pytestmark = pytest.mark.schemathesis
ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
EXAMPLES_PER_OPERATION = 8

SEED = """
from registry.accounts.auth import token_issue
from registry.accounts.models import User
from registry.applications import services
applicant = User.objects.get(phone="13800000001")
services.application_create(applicant=applicant, type="first_collection")
for phone in ("13800000001", "13800000002"):
    print("TOKEN", phone, token_issue(user=User.objects.get(phone=phone))[0])
"""


def _database_url(tmp_path):
    """A fresh database for the server: SQLite in tmp_path, or a new PostgreSQL database when the suite
    runs on PostgreSQL. Returns (url, cleanup)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'schemathesis.sqlite3'}", lambda: None
    import psycopg

    base, name = url.rsplit("/", 1)
    target = f"{name}_schemathesis"

    def run(sql):
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(sql)

    run(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    run(f'CREATE DATABASE "{target}"')
    return f"{base}/{target}", lambda: run(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("schemathesis")
    database_url, drop_database = _database_url(home)
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "REGISTRY_", "DATABASE_", "REDIS_", "CELERY_", "SMS_"))
        },
        "DATABASE_URL": database_url,
        "REGISTRY_VAR_DIR": str(home / "var"),
        "TRANSFER_KEY_PATH": str(home / "transfer.pem"),
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(home / "sms.jsonl"),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    tokens = {}
    for args in (["migrate", "-v0"], ["transfer_keys", "--create"], ["seed_demo", "--people", "40"]):
        subprocess.run(manage + args, env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)
    seeded = subprocess.run(
        manage + ["shell", "-c", SEED], env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=120
    )
    for line in seeded.stdout.splitlines():
        if line.startswith("TOKEN "):
            _, phone, token = line.split()
            tokens[phone] = token
    try:
        with (
            open(home / "server.log", "w") as log,
            running_server(env, what="the server for schemathesis", output=log) as base,
        ):
            yield {"base": base, "applicant": tokens["13800000001"], "reviewer": tokens["13800000002"], "log": home}
    finally:
        drop_database()


# The reviewer's run leaves out what cannot differ by role (the open /auth/ and reference data) and
# the applicant's own form and files, so the two runs together stay within a few minutes.
REVIEWER_SKIPS = ["--exclude-path-regex", "^/api/v1/(auth/|codes/|regions|me/applications)"]


def run_schemathesis(base: str, token: str, report: Path, extra: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(SCHEMATHESIS),
            "run",
            f"{base}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error,status_code_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--workers",
            "1",  # hypothesis' lambda-source cache is not thread safe (runtime errors with more workers)
            "--seed",
            "20261127",
            "--generation-database",
            "none",
            # logging out would revoke the token the rest of the run uses
            "--exclude-path",
            "/api/v1/auth/logout",
            "--no-color",
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
            *extra,
        ],
        cwd=report.parent,  # its crash cache (.schemathesis/) goes there, not into the checkout
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def refused_operations(output: str) -> list[str]:
    """The operations schemathesis says answered only 401/403 (its "Authentication failed" warning)."""
    if "Authentication failed:" not in output:
        return []
    section = output.split("Authentication failed:", 1)[1].split("💡", 1)[0]
    return re.findall(r"- (?:GET|POST|PUT|PATCH|DELETE) (\S+)", section)


def test_no_server_errors_and_no_undocumented_statuses(server, tmp_path):
    # both roles at once: the server is the same, the run takes half as long
    runs = {
        role: run_schemathesis(server["base"], server[role], tmp_path / f"{role}.xml", extra)
        for role, extra in (("applicant", []), ("reviewer", REVIEWER_SKIPS))
    }
    outputs = {role: run.communicate(timeout=600)[0] for role, run in runs.items()}
    for role, run in runs.items():
        summary = [line for line in outputs[role].splitlines() if "generated" in line or "Operations" in line]
        print(role, summary)
        assert run.returncode == 0, f"schemathesis as {role} found problems:\n{outputs[role][-8000:]}"
        # The token worked: only staff operations may refuse it (an applicant gets 403 there, as documented)
        refused = refused_operations(outputs[role])
        # approving a phone recovery is staff work; an applicant only lists and cancels their own
        staff_only = (
            "/api/v1/review/",
            "/api/v1/staff/",
            "/api/v1/phone-recoveries/{recovery_id}/approve",
            "/api/v1/stats/",
            "/api/v1/exports/",
        )
        staff_only += ("/api/v1/admin/",)  # notices, campaigns, integrity (staff)
        # outside systems' endpoints take an API key (X-Api-Key), never an account's token
        key_only = ("/api/v1/providers/", "/api/v1/verify")
        # opening and closing a campaign is the municipal admin's; a district reviewer gets 403
        allowed = staff_only + key_only if role == "applicant" else key_only + ("/api/v1/admin/campaigns",)
        assert all(path.startswith(allowed) for path in refused), refused
