"""The queue's keyset cursor is input like any other: a crafted one is 400 invalid_cursor, never a 500."""

import base64
import datetime as dt

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import problem

pytestmark = pytest.mark.django_db

QUEUE = "/api/v1/review/applications"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Fixed ids: a random one would name the test differently in each xdist worker (collection fails).
SOME_ID = "5b0c4d1e-8f7a-4c2b-9d3e-1a2b3c4d5e6f"
CRAFTED = [
    b64(f"0001-01-01T00:00:00+05:00|{SOME_ID}".encode()),  # OverflowError converting to UTC
    b64(f"9999-12-31T23:59:59-05:00|{SOME_ID}".encode()),
    b64(f"0001-01-01T00:00:00|{SOME_ID}".encode()),  # naive
    b64(b"2026-01-01T00:00:00+00:00|not-a-uuid"),
    b64(b"\xff\xfe|\x00"),
    b64(f"2000-01-01T00:00:00-23:59|{SOME_ID}".encode()),  # PostgreSQL refuses the offset
]

offsets = st.builds(
    dt.timezone,
    st.timedeltas(min_value=-dt.timedelta(hours=23, minutes=59), max_value=dt.timedelta(hours=23, minutes=59)),
)
moments = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.none() | offsets
)
structured = st.builds(lambda m, u: f"{m.isoformat()}|{u}", moments, st.uuids().map(str) | st.text(max_size=40))
cursors = (
    st.text(max_size=200)
    | st.binary(max_size=200).map(b64)
    | st.text(max_size=200).map(lambda t: b64(t.encode("utf-8", "surrogatepass")))
    | structured.map(lambda t: b64(t.encode()))
)


@pytest.mark.parametrize("cursor", CRAFTED)
def test_crafted_cursor_is_invalid_cursor(api, chaoyang_app, chaoyang_reviewer, cursor):
    api.login(chaoyang_reviewer.phone)
    problem(api.get(QUEUE, {"cursor": cursor}), 400, "invalid_cursor")


def test_a_real_cursor_still_pages(api, chaoyang_app, chaoyang_reviewer):
    from tests.review.conftest import make_submitted

    make_submitted(name="张三", id_number="110105199001010010", cert="Z11010516000555")
    from registry.review import selectors

    first = selectors.review_queue(user=chaoyang_reviewer, page_size=1)
    assert first.next
    api.login(chaoyang_reviewer.phone)
    body = api.get(QUEUE, {"cursor": first.next}).json()
    assert [r["id"] for r in body["results"]] != [str(first.results[0].pk)] and len(body["results"]) == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cursor=cursors)
@example(cursor=CRAFTED[0])
def test_fuzzed_cursor_never_500_on_api(api, chaoyang_app, chaoyang_reviewer, cursor):
    api.token = api.token or api.login(chaoyang_reviewer.phone)
    response = api.get(QUEUE, {"cursor": cursor})
    assert response.status_code in (200, 400), (cursor, response.status_code)
    if response.status_code == 400:  # a NUL in the query string is refused before (invalid_input)
        assert response.json()["code"] in ("invalid_cursor", "invalid_input"), response.content


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cursor=cursors)
@example(cursor=CRAFTED[0])
def test_fuzzed_cursor_never_500_on_web_queue(client, chaoyang_app, chaoyang_reviewer, cursor):
    client.force_login(chaoyang_reviewer)
    response = client.get("/staff/queue/", {"cursor": cursor})
    # A NUL in the query string is refused before any view (400, as in the API test above).
    assert response.status_code in ((200, 302, 400) if "\x00" in cursor else (200, 302)), (cursor, response.status_code)
