"""The 30-minute idle timeout without a session write on every request (issue 17): the session holds
when it was last seen, refreshed at most once a minute. The clock is moved by editing that stamp."""

import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry.accounts.models import Session
from registry.web.middleware import IDLE_REFRESH_SECONDS, LAST_SEEN_KEY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _logged_in(person) -> Client:
    client = Client()
    client.force_login(person)
    assert client.get("/record/").status_code == 200  # the first request stamps the session
    return client


def _age_by(client: Client, seconds: int) -> None:
    """As if the last request had been `seconds` ago."""
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()


def _session_writes(queries) -> list[str]:
    return [q["sql"] for q in queries if "accounts_session" in q["sql"] and not q["sql"].startswith("SELECT")]


def test_a_request_within_the_minute_does_not_write_the_session():
    client = _logged_in(UserFactory(password=None))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/record/").status_code == 200
    assert _session_writes(queries) == []


def test_an_idle_session_is_ended_after_30_minutes_and_another_persons_is_not():
    idle, active = UserFactory(password=None), UserFactory(password=None)
    idle_client, active_client = _logged_in(idle), _logged_in(active)
    idle_key = idle_client.session.session_key
    _age_by(idle_client, settings.SESSION_COOKIE_AGE + 1)
    _age_by(active_client, settings.SESSION_COOKIE_AGE - 60)

    response = idle_client.get("/record/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Session.objects.filter(session_key=idle_key).exists()
    assert idle_client.get("/record/").status_code == 302  # stays logged out

    assert active_client.get("/record/").status_code == 200
    assert int(time.time()) - active_client.session[LAST_SEEN_KEY] < 5  # refreshed: another 30 minutes


def test_an_active_user_is_never_logged_out():
    """A request every 10 minutes for an hour and a half: still logged in, the stamp refreshed each time."""
    client = _logged_in(UserFactory(password=None))
    for _ in range(9):
        _age_by(client, 10 * 60)
        assert client.get("/record/").status_code == 200
        assert int(time.time()) - client.session[LAST_SEEN_KEY] < 5


def test_the_stamp_is_refreshed_once_a_minute_with_the_expiry():
    client = _logged_in(UserFactory(password=None))
    _age_by(client, IDLE_REFRESH_SECONDS + 1)
    before = Session.objects.get(session_key=client.session.session_key).expire_date
    time.sleep(0.01)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/record/").status_code == 200
    assert len(_session_writes(queries)) == 1
    assert Session.objects.get(session_key=client.session.session_key).expire_date > before


def test_anonymous_visitors_get_no_session_row():
    Session.objects.all().delete()
    assert Client().get("/").status_code == 200
    assert not Session.objects.exists()
