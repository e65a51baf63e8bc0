"""On PostgreSQL the API's queue page is written as JSON by the database, counts and page in one
round trip (issue 17); elsewhere Python writes it. Both must give the very same bytes."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from registry.api.review import queue_item
from registry.applications.counts import rebuild
from registry.applications.models import Application, ApplicationCertificate
from registry.core.masking import mask_id_number
from registry.review import selectors
from tests.factories import UserFactory
from tests.review.test_queue_rows import _waiting

pytestmark = pytest.mark.django_db

QUEUE = "/api/v1/review/applications"


def _both(api, monkeypatch, params: dict) -> tuple[list[bytes], list[bytes]]:
    """Every page of the queue as PostgreSQL writes it and as Python writes it (the cursors followed)."""
    written = []
    cursor = None
    while True:
        response = api.get(QUEUE, {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        written.append(response.content)
        cursor = json.loads(response.content)["next"]
        if not cursor:
            break
    with monkeypatch.context() as patched:
        patched.setattr(selectors, "review_queue_json", lambda **kwargs: None)
        python = [api.get(QUEUE, {**params, **({"cursor": c} if c else {})}).content for c in _cursors(written)]
    return written, python


def _cursors(pages: list[bytes]) -> list[str | None]:
    return [None, *(json.loads(page)["next"] for page in pages[:-1])]


@pytest.fixture
def queue_data(db):
    """Two districts interleaved in time, claimed rows shown by name and by phone, overdue rows, no
    due date, times on a whole second and below a millisecond, and names JSON must escape."""
    named = UserFactory(reviewer=True, district_codes=["110105"], name="张审核", password=None)
    unnamed = UserFactory(reviewer=True, district_codes=["110105"], name="", password=None)
    start = timezone.now() - dt.timedelta(days=40)
    rows = _waiting("110105", 70, claimer=named, start=start)
    rows += _waiting("110105", 12, claimer=unnamed, start=start + dt.timedelta(seconds=7))
    rows += _waiting("110108", 60, start=start + dt.timedelta(seconds=30))
    odd = [
        ('引号"和\\反斜杠', "110105199001011234", start.replace(microsecond=0)),
        ("控制\t字符\n\x01\x7f", "1101051990", start.replace(microsecond=999)),
        ("表情😀𠮷", "110105900101123", start.replace(microsecond=1000)),
        ("é ü ß", "12", start.replace(microsecond=999999)),
        ("", "", start.replace(microsecond=123456)),
        (', {"id": "x', "110105199001019", start.replace(microsecond=5)),  # where the last item starts
    ]
    for a, (name, number, moment) in zip(rows[1:], odd, strict=False):
        a.applicant_name, a.id_number, a.submitted_at = name, number, moment
    rows[6].due_on = None
    Application.objects.bulk_update(rows, ["applicant_name", "id_number", "submitted_at", "due_on"])
    ApplicationCertificate.objects.create(application=rows[9], number="Z11010516000777")
    rebuild()
    return rows


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "in_review"},
        {"status": "submitted", "type": "change"},
        {"type": "first_collection"},
        {"district": "110105"},
        {"district": "110108"},
        {"overdue": "true"},
        {"overdue": "true", "status": "in_review", "district": "110105"},
        {"q": "申请人110105-3"},
        {"q": "11010519900101003x"},  # an ID number, lower case
        {"q": "Z11010516000777"},
        {"q": "申请人110108-4"},
        {"q": "nobody", "status": "submitted"},
    ],
)
def test_postgresql_writes_the_same_bytes_as_python(
    postgres, api, monkeypatch, queue_data, chaoyang_reviewer, municipal_admin, params
):
    for user in [chaoyang_reviewer, municipal_admin]:
        api.login(user.phone)
        written, python = _both(api, monkeypatch, params)
        assert written == python
    if not params:
        assert len(written) == 3  # the admin's 142 rows: pages 1 to 3
        everything = b"".join(written).decode()
        assert "\\u5f20\\u5ba1\\u6838" in everything and "\\ud83d\\ude00" in everything and "\\u007f" in everything


def test_counts_and_page_are_one_round_trip(postgres, queue_data, chaoyang_reviewer):
    selectors.review_queue_json(user=chaoyang_reviewer)  # compiled
    with CaptureQueriesContext(connection) as queries:
        page = selectors.review_queue_json(user=chaoyang_reviewer)
    assert len(queries.captured_queries) == 1
    assert page.counts == selectors.review_queue(user=chaoyang_reviewer).counts
    assert page.next == selectors.review_queue(user=chaoyang_reviewer).next


def test_nobody_to_review_takes_the_ordinary_way(postgres, api, queue_data):
    nobody = UserFactory(reviewer=True)
    assert selectors.review_queue_json(user=nobody) is None
    api.login(nobody.phone)
    assert api.get(QUEUE).content == b'{"results": [], "next": null, "counts": {}}'


def test_sqlite_takes_the_ordinary_way(db, chaoyang_reviewer):
    if connection.vendor == "postgresql":
        pytest.skip("the PostgreSQL path is tested above")
    assert selectors.review_queue_json(user=chaoyang_reviewer) is None


# One row through PostgreSQL's JSON and through queue_item: any text, ID number, time and day.
TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12)
ROW = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["submitted", "in_review", "approved", "rejected"]),
        "applicant_name": TEXT,
        "id_number": TEXT | st.text("0123456789X", max_size=19),
        "round": st.integers(0, 2**31 - 1),
        "submitted_at": st.none()
        | st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31), timezones=st.just(dt.UTC)),
        "due_on": st.none() | st.dates(),
        "claimed": st.booleans(),
        "claimer_name": st.none() | TEXT,
        "claimer_phone": st.none() | TEXT,
    }
)


def _through_postgresql(row: dict, today: dt.date) -> bytes:
    page = "SELECT %s::uuid, %s, %s, %s, %s, %s, %s::int, %s::timestamptz, %s::date, %s::uuid, %s, %s"
    values = [
        row["id"],
        "first_collection",
        row["status"],
        "110105",
        row["applicant_name"],
        row["id_number"],
        row["round"],
        row["submitted_at"],
        row["due_on"],
        row["claimed_by_id"],
        row["claimer_name"],
        row["claimer_phone"],
    ]
    with connection.cursor() as cursor:
        cursor.execute(selectors._JSON_PAGE.replace("__PAGE__", page), [50, 50, today, *values])
        (text, *_) = cursor.fetchone()
    return b"[%s]" % selectors._ascii(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=ROW, today=st.dates())
@example(
    row={
        "status": "submitted",
        "applicant_name": "李明",
        "id_number": "110105199003070033",
        "round": 1,
        "submitted_at": dt.datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=dt.UTC),
        "due_on": dt.date(2026, 1, 1),
        "claimed": True,
        "claimer_name": "",
        "claimer_phone": "13800000002",
    },
    today=dt.date(2026, 1, 2),
)
def test_a_row_written_by_postgresql_is_the_row_written_by_python(postgres, row, today):
    import uuid

    row = {**row, "id": uuid.uuid4(), "claimed_by_id": uuid.uuid4() if row.pop("claimed") else None}
    python = selectors.QueueRow(
        id=row["id"],
        type="first_collection",
        status=row["status"],
        district_id="110105",
        applicant_name=row["applicant_name"],
        id_number=row["id_number"],
        round=row["round"],
        submitted_at=row["submitted_at"],
        due_on=row["due_on"],
        claimed_by_id=row["claimed_by_id"],
        claimed_by_name=row["claimer_name"],
        claimed_by_phone=row["claimer_phone"],
    )
    from django.core.serializers.json import DjangoJSONEncoder

    assert _through_postgresql(row, today) == json.dumps([queue_item(python, today)], cls=DjangoJSONEncoder).encode()


@pytest.mark.parametrize("length", range(0, 20))
def test_the_masking_expression_is_mask_id_number(postgres, length):
    number = "1101051990030700339X"[:length]
    row = {
        "id": "00000000-0000-0000-0000-000000000001",
        "status": "submitted",
        "applicant_name": "x",
        "id_number": number,
        "round": 1,
        "submitted_at": None,
        "due_on": None,
        "claimed_by_id": None,
        "claimer_name": None,
        "claimer_phone": None,
    }
    written = json.loads(_through_postgresql(row, dt.date.today()))
    assert written[0]["id_number"] == mask_id_number(number)


def test_prepared_once_per_connection_and_never_behind_pgbouncer(postgres, queue_data, chaoyang_reviewer, settings):
    from registry.core import prepared

    first = selectors.review_queue_json(user=chaoyang_reviewer)
    selectors.review_queue_json(user=chaoyang_reviewer, cursor=first.next)
    for cursor in [None, first.next]:  # the statements are prepared: each call is one EXECUTE of both
        with CaptureQueriesContext(connection) as queries:
            again = selectors.review_queue_json(user=chaoyang_reviewer, cursor=cursor)
        [sql] = [q["sql"] for q in queries.captured_queries]
        assert sql.startswith("EXECUTE registry_") and "; EXECUTE registry_" in sql
    assert again.results == selectors.review_queue_json(user=chaoyang_reviewer, cursor=first.next).results

    assert prepared.may_prepare(connection)
    settings.DATABASE_PGBOUNCER = True
    assert not prepared.may_prepare(connection)
    with CaptureQueriesContext(connection) as queries:
        plain = selectors.review_queue_json(user=chaoyang_reviewer, cursor=first.next)
    assert "EXECUTE" not in queries.captured_queries[0]["sql"] and plain == again


def test_a_search_is_not_prepared(postgres, queue_data, chaoyang_reviewer):
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            selectors.review_queue_json(user=chaoyang_reviewer, q="申请人110105-3")
    assert [q["sql"] for q in queries.captured_queries if "EXECUTE" in q["sql"] or "PREPARE" in q["sql"]] == []
