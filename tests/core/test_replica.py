"""Statistics, exports and verification reads on a real PostgreSQL streaming replica
(registry/core/replica.py): they go there, a person's own write is read back from the primary, and a
replica that is down or fails half-way costs nobody an error.

The replica is a second cluster made by scripts/pg-replica.sh (pg_basebackup -R) on a free port,
once per test session (~15 s). Where it cannot be made the tests skip with the reason; under CI=true
they fail instead. Replay is paused on the replica to make it visibly stale: what a reader then sees
tells which server answered.
"""

import os
import socket
import subprocess
import tempfile
import time
import types

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from registry.core import replica as router
from registry.records.services import record_apply
from registry.stats.services import stats_refresh
from tests.conftest import require_service
from tests.factories import UserFactory
from tests.helpers import ROOT, statement_text
from tests.stats.conftest import person_form


# Django's test case refuses new connections to aliases a test did not declare; the replica alias is
# added by the fixtures below, after that check was installed, and opens its connections as in production.
def _ensure_connection(wrapper):  # BaseDatabaseWrapper.ensure_connection without the test guards
    if wrapper.connection is None:
        with wrapper.wrap_database_errors:
            wrapper.connect()


def attach_replica(settings_dict: dict):
    connections.settings[router.REPLICA] = settings_dict
    wrapper = connections[router.REPLICA]
    wrapper.ensure_connection = types.MethodType(_ensure_connection, wrapper)
    router.mark_up()
    return wrapper


def detach_replica():
    connections[router.REPLICA].close()
    del connections[router.REPLICA]
    del connections.settings[router.REPLICA]
    router.mark_up()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def replica_server(django_db_setup, django_db_blocker):
    """(host, port) of a streaming replica of the test database's cluster."""
    default = django_settings.DATABASES["default"]
    if default["ENGINE"] != "registry.core.postgresql":
        message = "needs PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry (see README)"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but the suite runs on SQLite; {message}")
        pytest.skip(message)
    port = _free_port()
    folder = tempfile.mkdtemp(prefix="registry-replica-")
    script = [str(ROOT / "scripts/pg-replica.sh")]
    made = subprocess.run(
        [*script, "start", folder, str(port), str(default.get("PORT") or 5432)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if made.returncode != 0:
        subprocess.run([*script, "remove", folder], capture_output=True, timeout=120)
        require_service(
            "a PostgreSQL streaming replica",
            False,
            f"scripts/pg-replica.sh could not make one ({made.stderr.strip()[-400:]}); it needs pg_basebackup, "
            "the PostgreSQL server binaries of the primary's version, and root or the postgres user",
        )
    try:
        yield "127.0.0.1", port
    finally:
        subprocess.run([*script, "remove", folder], capture_output=True, timeout=120)


@pytest.fixture
def replica(replica_server, transactional_db, code_tables):
    """The `replica` database alias on the real replica, for this test only."""
    host, port = replica_server
    default = connections["default"].settings_dict
    wrapper = attach_replica(
        {**default, "HOST": host, "PORT": port, "OPTIONS": {**default.get("OPTIONS", {}), "connect_timeout": 2}}
    )
    try:
        yield wrapper
    finally:
        replay("resume")
        detach_replica()


def _on_replica(sql: str):
    host, port = connections.settings[router.REPLICA]["HOST"], connections.settings[router.REPLICA]["PORT"]
    with psycopg.connect(host=host, port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        return conn.execute(sql).fetchone()[0]


def replay(what: str) -> None:
    """Pause or resume WAL replay on the replica (what it shows stops at the pause)."""
    _on_replica(f"select pg_wal_replay_{what}()")


def caught_up(timeout: float = 20) -> None:
    with connection.cursor() as cursor:
        cursor.execute("select pg_current_wal_lsn()::text")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _on_replica(f"select pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up")


def person(district="110105", **fields):
    return record_apply(
        user=UserFactory(), district_code=district, data=person_form(**fields), source="first_collection"
    )


def reader(client, api_class, user):
    """A staff member logged in through the API who has not written anything lately."""
    from django.test import Client

    api = api_class(Client(), client)
    api.login(user.phone)
    api.client.cookies.pop(router.PIN_COOKIE, None)  # logging in wrote; REPLICA_PIN_SECONDS have passed
    return api


@pytest.fixture
def make_api(django_capture_on_commit_callbacks):
    from tests.helpers import Api

    return lambda user: reader(django_capture_on_commit_callbacks, Api, user)


def test_statistics_are_read_from_the_replica(replica, make_api):
    admin = UserFactory(admin=True)
    person("110105")
    person("110108")
    stats_refresh()
    caught_up()
    api = make_api(admin)
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connection) as on_primary:
        body = api.get("/api/v1/stats/summary", {"region": "110000"}).json()
    assert body["total"] == 2
    assert any("stats_figure" in q["sql"] for q in on_replica.captured_queries)
    assert not any("stats_figure" in q["sql"] for q in on_primary.captured_queries)

    # Stale replica: a third person counted on the primary is not in what this reader sees — the
    # answer came from the replica — until replay goes on.
    replay("pause")
    person("110105")
    stats_refresh()
    assert api.get("/api/v1/stats/summary", {"region": "110000"}).json()["total"] == 2
    replay("resume")
    caught_up()
    assert api.get("/api/v1/stats/summary", {"region": "110000"}).json()["total"] == 3


def test_a_persons_own_write_is_read_back_from_the_primary(replica, make_api, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 1  # two people: the export becomes a background job (a write)
    admin, other_admin = UserFactory(admin=True), UserFactory(admin=True)
    person("110105")
    person("110108")
    caught_up()
    replay("pause")  # nothing written from here on reaches the replica
    api = make_api(admin)
    created = api.get("/api/v1/exports/people.csv")
    assert created.status_code == 202
    assert api.client.cookies[router.PIN_COOKIE].value  # the write pins this browser to the primary
    job_id = created.json()["id"]
    with CaptureQueriesContext(replica) as on_replica:
        assert api.get(f"/api/v1/exports/jobs/{job_id}").status_code == 200
    assert not on_replica.captured_queries

    # The same person without the pin (another browser) reads the stale replica: no such job yet.
    unpinned = make_api(admin)
    assert unpinned.get(f"/api/v1/exports/jobs/{job_id}").status_code == 404
    # Someone else's reads stay on the replica meanwhile.
    with CaptureQueriesContext(replica) as on_replica:
        assert make_api(other_admin).get("/api/v1/stats/summary").status_code == 200
    assert on_replica.captured_queries
    replay("resume")


def test_verification_reads_on_the_replica(replica):
    from django.test import Client

    from registry.accounts.services import api_client_create

    found = person("110105", name="李四")
    key = api_client_create(name="考试系统", scope="verify").key
    caught_up()
    with CaptureQueriesContext(replica) as on_replica:
        response = Client().post(
            "/api/v1/verify",
            {"id_number": found.id_number, "name": "李四"},
            content_type="application/json",
            HTTP_X_API_KEY=key,
        )
    assert response.status_code == 200 and response.json()["found"] is True
    # the look-up is a prepared statement there too: the SQL it runs is the prepared one's
    assert any("records_record" in statement_text(q["sql"], replica) for q in on_replica.captured_queries)
    assert router.PIN_COOKIE not in response.cookies  # its audit row pins nobody


def test_a_replica_lost_mid_read_falls_back_to_the_primary(replica):
    from registry.stats.selectors import stats_summary

    admin = UserFactory(admin=True)
    person("110105")
    stats_refresh()
    caught_up()
    replica.ensure_connection()
    pid = replica.connection.info.backend_pid
    _on_replica(f"select pg_terminate_backend({pid})")  # as when the replica is stopped
    summary = stats_summary(user=admin, region="110000")
    assert summary["total"] == 1
    assert router.is_down()  # marked down: the next reads go straight to the primary


@pytest.mark.django_db(transaction=True)
def test_a_replica_that_cannot_be_reached_costs_nobody_an_error(code_tables, api):
    """Also on SQLite: a replica alias where nothing listens is skipped, and not tried again for a while."""
    admin = UserFactory(admin=True)
    person("110105")
    stats_refresh()
    attach_replica(
        {
            **connections["default"].settings_dict,
            "ENGINE": "registry.core.postgresql",
            "NAME": "registry",
            "HOST": "127.0.0.1",
            "PORT": _free_port(),
            "USER": "postgres",
            "OPTIONS": {"connect_timeout": 2},
        }
    )
    try:
        api.login(admin.phone)
        api.client.cookies.pop(router.PIN_COOKIE, None)
        assert api.get("/api/v1/stats/summary", {"region": "110000"}).json()["total"] == 1
        assert router.is_down()
    finally:
        detach_replica()


def test_no_replica_configured_means_the_primary(db):
    assert router.REPLICA not in connections.settings
    assert router.ReplicaRouter().db_for_read(None) is None
