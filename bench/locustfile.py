"""Deadline-day load test against the nginx entry point of scripts/prod-up.sh (docs/performance.md).

    bench/locust_setup.py ... --out $VAR/locust.json          # accounts, ready drafts, API keys
    LOCUST_DATA=$VAR/locust.json LOCUST_SUBMITTED=$VAR/submitted.txt LOCUST_PEOPLE_FROM=0 \
      .venv/bin/locust -f bench/locustfile.py --headless -H https://127.0.0.1:8480 \
        -u 30 -r 5 -t 3m --csv $VAR/locust --only-summary Applicant Reviewer Verifier StatsReader
    .venv/bin/locust -f bench/locustfile.py --headless -H https://127.0.0.1:8480 -u 10 -r 10 -t 1m Trivial

Only 127.0.0.1 (the host is refused otherwise). The mix, per simulated person and why:
  Applicant (weight 12): the deadline crowd. Per person: 1 login, status polls ×10 (people re-check
    after every step and after submitting — the commonest request), form saves ×3 (autosave while
    typing), a photo upload ×1 (each person uploads ~6 files over a session that saves ~20 times),
    submit ×1 then the next person logs in (so logins ≈ submits, as on the day).
  Reviewer (weight 1): ~1 reviewer per 12 active applicants at the peak: queue pages ×5, open-claim-
    approve one application ×2.
  Verifier (weight 2): exam-registration systems verifying candidates (POST /verify), the steady
    machine traffic that goes to the replica; one key per system, under API_KEY_RATE_LIMIT.
  StatsReader (weight 1): the municipal dashboard's summary, also a replica read.
Expected answers that are not errors: 409 when two reviewers claim the same application.
A submit cut off by a dying worker (502/connection error) is retried, as a person clicks again; the
ids of submissions that were answered 200 (or found submitted on retry) go to LOCUST_SUBMITTED so the
run can be checked for lost submissions against the database afterwards.
"""

import itertools
import json
import os
import random
import sys
import threading
from urllib.parse import urlsplit

import urllib3
from locust import HttpUser, between, events, task

urllib3.disable_warnings()  # the local stack's self-signed certificate
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tests import files  # noqa: E402

PHOTO = files.photo_jpeg()  # a valid ID photo (358×441, white background), as the tests upload

DATA = json.loads(open(os.environ.get("LOCUST_DATA", "var/prod/locust.json"), encoding="utf-8").read())
# Each person's draft is submitted once: a later run on the same data starts past the people an
# earlier run used (LOCUST_PEOPLE_FROM), or their form saves and uploads are refused with 409.
_pool = iter(DATA["people"][int(os.environ.get("LOCUST_PEOPLE_FROM", "0")) :])
_lock = threading.Lock()
_reviewers = itertools.cycle(DATA["reviewers"])
_submitted_path = os.environ.get("LOCUST_SUBMITTED")


@events.test_start.add_listener
def _local_only(environment, **kwargs):
    host = urlsplit(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"this load test runs against 127.0.0.1 only, not {host!r}")


def _record_submitted(application_id: str) -> None:
    if _submitted_path:
        with _lock, open(_submitted_path, "a", encoding="utf-8") as fh:
            fh.write(application_id + "\n")


class _ApiUser(HttpUser):
    abstract = True

    def login(self, phone: str, password: str) -> None:
        self.client.verify = False
        response = self.client.post("/api/v1/auth/login", json={"username": phone, "password": password}, name="login")
        response.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {response.json()['token']}"


class Applicant(_ApiUser):
    weight = 12
    wait_time = between(1, 3)

    def on_start(self):
        self.next_person()

    def next_person(self):
        with _lock:
            self.person = next(_pool, None)
        self.submitted = self.person is None
        if self.person is None:  # the pool is used up: keep polling as someone who has submitted
            self.person = random.choice(DATA["people"])
        self.login(self.person["phone"], DATA["password"])

    @property
    def app_url(self):
        return f"/api/v1/me/applications/{self.person['application']}"

    @task(10)
    def status_poll(self):
        self.client.get(self.app_url, name="status poll")

    @task(3)
    def form_save(self):
        if not self.submitted:
            self.client.put(self.app_url + "/form", json=self.person["form"], name="form save")

    @task(1)
    def upload(self):
        if not self.submitted:
            self.client.post(
                self.app_url + "/attachments",
                data={"kind": "photo"},
                files={"file": ("photo.jpg", PHOTO, "image/jpeg")},
                name="upload",
            )

    @task(1)
    def submit(self):
        if self.submitted:
            return
        for _attempt in range(3):
            with self.client.post(self.app_url + "/submit", name="submit", catch_response=True) as response:
                if response.status_code == 200:
                    _record_submitted(self.person["application"])
                    break
                if response.status_code in (502, 503, 0):
                    response.failure(f"submit cut off ({response.status_code}); retrying")
                    continue
                if response.status_code == 409:  # an earlier attempt landed after all
                    state = self.client.get(self.app_url, name="status poll").json().get("status")
                    if state and state != "draft":
                        response.success()
                        _record_submitted(self.person["application"])
                        break
                response.failure(f"submit {response.status_code}: {response.text[:200]}")
                break
        self.next_person()


class Reviewer(_ApiUser):
    weight = 1
    wait_time = between(2, 5)

    def on_start(self):
        self.login(next(_reviewers), DATA["password"])

    @task(5)
    def queue_page(self):
        self.client.get("/api/v1/review/applications", name="review queue")

    @task(2)
    def decide(self):
        queue = self.client.get("/api/v1/review/applications?status=submitted", name="review queue").json()
        items = [i for i in queue.get("results", []) if i.get("status") == "submitted" and not i.get("claimed_by")]
        if not items:
            return
        app_id = random.choice(items[:10])["id"]
        base = f"/api/v1/review/applications/{app_id}"
        with self.client.post(base + "/claim", name="review claim", catch_response=True) as response:
            if response.status_code == 409:  # another reviewer was first: expected
                response.success()
                return
        self.client.get(base, name="review detail")
        self.client.post(base + "/decision", json={"decision": "approve"}, name="review decision")


class Verifier(HttpUser):
    weight = 2
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.verify = False
        self.key = random.choice(DATA["keys"])

    @task
    def verify(self):
        id_number, name = random.choice(DATA["verify"])
        self.client.post(
            "/api/v1/verify",
            json={"id_number": id_number, "name": name},
            headers={"X-Api-Key": self.key},
            name="verify",
        )


class StatsReader(_ApiUser):
    weight = 1
    wait_time = between(3, 8)

    def on_start(self):
        self.login("13800000003", "Guanli2026")  # the demo municipal admin (PROD_DEMO_PEOPLE)

    @task
    def summary(self):
        self.client.get("/api/v1/stats/summary", name="stats summary")


class Trivial(HttpUser):
    """The trivial view through the same nginx: the ceiling of the stack itself."""

    weight = 1  # run alone: name it on the command line (`... Trivial`)
    wait_time = between(0, 0)

    def on_start(self):
        self.client.verify = False

    @task
    def healthz(self):
        self.client.get("/healthz", name="healthz")
