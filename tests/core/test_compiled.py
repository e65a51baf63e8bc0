"""core/compiled.py: a queryset compiled once per shape answers like the queryset itself for other
values, whatever the order of its columns; a shape it cannot safely reuse still answers right."""

import pytest
from django.db import connection
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from registry.core import compiled
from registry.records.models import Record
from tests.stats.conftest import make_person  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(make_person):  # noqa: F811
    return [make_person("110105", name=name) for name in ("甲一", "乙二", "丙三", "丁四")]


def by_id_numbers(ids):
    # a field after an annotation: the row's columns follow the values() order (Django 5.2 `selected`)
    people = Record.objects.filter(id_number__in=ids).annotate(label=Concat(F("name"), Value("/"), F("district_id")))
    return people.values("id_number", "label", "name", "status").order_by("id_number")


def test_a_shape_reused_with_other_values_answers_like_the_queryset(records):
    compiled._shapes.clear()
    first, second = sorted(r.id_number for r in records[:2]), sorted(r.id_number for r in records[2:])
    assert compiled.rows("t", by_id_numbers, first, using="default") == list(by_id_numbers(first))
    with CaptureQueriesContext(connection) as ctx:
        rows = compiled.rows("t", by_id_numbers, second, using="default")
    assert rows == list(by_id_numbers(second)) and sorted(r["label"] for r in rows) == ["丁四/110105", "丙三/110105"]
    assert len(ctx.captured_queries) == 1 and compiled._shapes[("t", "default", 2)].cached
    assert compiled.rows("t", by_id_numbers, ["110105199001010011", second[0]], using="default") == [rows[0]]


def test_a_value_used_twice_is_not_cached_and_still_right(records):
    def twice(ids):
        return Record.objects.filter(Q(id_number__in=ids) | Q(name__in=ids)).values("name").order_by("name")

    compiled._shapes.clear()
    ids = [records[0].id_number, "乙二"]
    assert compiled.rows("twice", twice, ids, using="default") == [{"name": "乙二"}, {"name": "甲一"}]
    assert not compiled._shapes[("twice", "default", 2)].cached
    assert compiled.rows("twice", twice, [records[2].id_number, "丁四"], using="default") == [
        {"name": "丁四"},
        {"name": "丙三"},
    ]


def test_values_of_other_types_go_in_as_the_compiler_puts_them(db):
    """A datetime, a UUID and a date (naive text and hex on SQLite, themselves on PostgreSQL): the
    shape is cached and answers like the queryset for other values."""
    import datetime as dt
    import uuid

    from django.utils import timezone

    from registry.applications.models import Application
    from tests.factories import ApplicationFactory

    start = timezone.now() - dt.timedelta(days=3)
    made = [
        ApplicationFactory(submitted_at=start + dt.timedelta(hours=i), due_on=dt.date(2026, 1, 1 + i)) for i in range(4)
    ]
    ids = sorted(a.pk for a in made)

    def after(values):
        moment, pk, day = values
        found = Application.objects.filter(submitted_at__gte=moment, pk__gt=pk).exclude(due_on=day)
        return found.values("id").order_by("id")

    compiled._shapes.clear()
    for values in [
        [start, uuid.UUID(int=0), dt.date(2026, 1, 2)],
        [made[1].submitted_at, ids[0], dt.date(2026, 1, 4)],
        [made[2].submitted_at + dt.timedelta(microseconds=1), ids[1], dt.date(2020, 5, 6)],
    ]:
        assert compiled.rows("typed", after, values, using="default") == list(after(values))
    assert compiled._shapes[("typed", "default", 3)].cached
    assert compiled.rows("typed", after, [start, uuid.UUID(int=0), dt.date(2026, 1, 2)], using="default") == [
        {"id": pk} for pk in ids if pk != made[1].pk
    ]


def _record_reads(pk) -> list[compiled.Read]:
    from registry.records.models import RecordVersion

    return [
        compiled.Read("together: record", Record, lambda pk: Record.objects.filter(pk=pk), pk, list),
        compiled.Read(
            "together: versions", RecordVersion, lambda pk: RecordVersion.objects.filter(record_id=pk), pk, list
        ),
        compiled.Read("together: none", Record, lambda pk: Record.objects.filter(pk=pk, name="nobody"), pk, list),
    ]


def _fields(found: list[list]) -> list[list[dict]]:
    from django.forms.models import model_to_dict

    return [[model_to_dict(obj) for obj in objs] for objs in found]


def test_reads_together_answer_like_each_read_alone_beside_another_person(records):
    """Three reads by one id (one matching nothing) for one person and then for another: the same
    instances as the querysets, in one round trip on PostgreSQL; a known answer in between asks nothing."""
    first, second = records[0], records[1]
    for record in (first, second):
        reads = _record_reads(record.pk)
        expected = [list(r.build(r.pk)) for r in reads]
        with CaptureQueriesContext(connection) as ctx:
            found = compiled.together(reads[0], compiled.Known("known"), *reads[1:])
        assert found[1] == "known"
        found = [found[0], *found[2:]]
        assert _fields(found) == _fields(expected)
        assert found[0][0].name == record.name and found[1] and found[2] == []
        # whole instances: no column left to be loaded later, one query per instance
        assert [obj.get_deferred_fields() for objs in found for obj in objs] == [set()] * (1 + len(found[1]))
        assert {v.record_id for v in found[1]} == {record.pk}
        assert len(ctx.captured_queries) == (1 if connection.vendor == "postgresql" else 3)
        with CaptureQueriesContext(connection) as ctx:  # two reads are sent together too
            pair = compiled.together(*reads[1:])
        assert _fields(pair) == _fields(expected[1:])
        assert len(ctx.captured_queries) == (1 if connection.vendor == "postgresql" else 2)


def test_each_read_is_finished_by_its_own_function(records):
    record = records[3]
    names = compiled.Read("together: names", Record, lambda pk: Record.objects.filter(pk=pk), record.pk, len)
    assert compiled.together(names, compiled.Known(None)) == [1, None]
    assert compiled.read(names._replace(finish=lambda found: found[0].name)) == record.name


def test_reads_together_with_a_shape_that_cannot_be_cached_still_answer_right(records):
    record = records[2]
    twice = compiled.Read(
        "together: twice", Record, lambda pk: Record.objects.filter(Q(pk=pk) | Q(pk=pk)), record.pk, list
    )
    found = compiled.together(_record_reads(record.pk)[0], twice)
    assert [[r.pk for r in objs] for objs in found] == [[record.pk], [record.pk]]


def test_a_statement_is_what_rows_would_run_for_each_person(records):
    """`statement` (the queue sends it along with another in one round trip): its SQL and
    parameters answer like the queryset for one person and then another, this call's values
    are at `varying`; a shape that cannot be cached gives None (the caller runs `rows`)."""
    compiled._shapes.clear()
    for ids in (sorted(r.id_number for r in records[:2]), sorted(r.id_number for r in records[2:])):
        found = compiled.statement("statement", by_id_numbers, ids, using="default")
        assert [found.params[i] for i in found.varying] == ids
        with connection.cursor() as cursor:
            cursor.execute(found.sql, found.params)
            assert found.convert(cursor.fetchall()) == list(by_id_numbers(ids))

    def twice(ids):
        return Record.objects.filter(Q(id_number__in=ids) | Q(name__in=ids)).values("name")

    assert compiled.statement("statement: twice", twice, [records[0].id_number], using="default") is None


def test_a_process_keeps_at_most_256_shapes_and_then_starts_again(records):
    """A shape per batch size would grow without end (every size from 1 to 1,000 is 1,000 shapes):
    the 256th is kept beside the others, the next one starts the cache again — and both answer."""
    compiled._shapes.clear()
    compiled._shapes.update({("another caller", "default", n): None for n in range(255)})
    first, second = [records[0].id_number], [records[1].id_number]
    assert compiled.rows("bounded", by_id_numbers, first, using="default") == list(by_id_numbers(first))
    assert len(compiled._shapes) == 256
    assert compiled.rows("bounded, again", by_id_numbers, second, using="default") == list(by_id_numbers(second))
    assert list(compiled._shapes) == [("bounded, again", "default", 1)]


def test_markers_are_always_values_of_their_type_unlike_the_value(db):
    """A marker is drawn at random: every draw must be a valid value of the value's type (a date
    within year 9999, an integer within 32 bits) that is not the value itself."""
    import datetime as dt
    import uuid

    from django.utils import timezone

    for value in (7, "110105199001010011", uuid.uuid4(), timezone.now(), dt.date(2026, 1, 1)):
        for _ in range(200):
            marker = compiled._marker(value)
            assert type(marker) is type(value) and marker != value
    assert all(0 < compiled._marker(7) < 2**31 for _ in range(200))
    with pytest.raises(TypeError):
        compiled._marker(1.5)


def test_on_postgresql_reads_by_key_are_prepared_when_asked(postgres, records, settings):
    """`rows(prepare=True)` and `together` send `EXECUTE` of a statement prepared on the
    connection (core.prepared), for one person and then another; `rows` without it sends the SQL."""
    settings.DATABASE_PREPARED_STATEMENTS, settings.DATABASE_PGBOUNCER = True, False
    compiled._shapes.clear()
    for record in records[:2]:
        with CaptureQueriesContext(connection) as ctx:
            found = compiled.rows("prepared", by_id_numbers, [record.id_number], using="default", prepare=True)
            together = compiled.together(*_record_reads(record.pk))
        assert found == list(by_id_numbers([record.id_number])) and together[0] == [record]
        assert ctx.captured_queries[0]["sql"].startswith("EXECUTE registry_")
        assert ctx.captured_queries[1]["sql"].count("EXECUTE registry_") == 3
    with CaptureQueriesContext(connection) as ctx:
        compiled.rows("prepared", by_id_numbers, [records[2].id_number], using="default")
    assert "EXECUTE" not in ctx.captured_queries[0]["sql"]


def test_several_statements_go_in_one_execute_only_on_postgresql_with_client_side_binding(records):
    """`sends_together` (the web and API queues and the audit row ask it too): no on SQLite, which
    runs one statement per execute; yes on PostgreSQL through Django's default cursor, where psycopg
    writes the parameters into the text; no for a cursor that binds on the server."""
    with connection.cursor() as cursor:
        assert compiled.sends_together(cursor) is (connection.vendor == "postgresql")
    if connection.vendor == "postgresql":
        import psycopg
        from django.db.backends.utils import CursorWrapper

        server_side = CursorWrapper(psycopg.Cursor(connection.connection), connection)
        try:
            assert compiled.sends_together(server_side) is False
        finally:
            server_side.close()


def test_on_postgresql_statements_sent_together_each_give_their_own_rows(postgres, records):
    """`execute_together`: one round trip, each statement's rows in its own list — two rows, none,
    one — with each statement's parameters in its place (a parameter holding "; " stays a value),
    for one person and then another."""
    table = Record._meta.db_table
    for record, other in ((records[0], records[1]), (records[2], records[3])):
        statements = [
            (f"SELECT name FROM {table} WHERE id IN (%s, %s) ORDER BY name", [record.pk, other.pk]),
            (f"SELECT name FROM {table} WHERE name = %s", ["甲一; SELECT 1"]),
            (f"SELECT id_number, %s FROM {table} WHERE id = %s", ["; ", record.pk]),
        ]
        with CaptureQueriesContext(connection) as ctx, connection.cursor() as cursor:
            fetched = compiled.execute_together(cursor, statements)
        assert [[tuple(row) for row in rows] for rows in fetched] == [
            sorted([(record.name,), (other.name,)]),
            [],
            [(record.id_number, "; ")],
        ]
        assert len(ctx.captured_queries) == 1


def test_on_postgresql_with_server_side_binding_reads_together_go_one_by_one(postgres, records, monkeypatch, settings):
    """With `OPTIONS["server_side_binding"]` (the cursor Django then makes binds on the server, where
    one execute carries one statement) `together` sends the reads one after another and still
    answers like each queryset, for one person and then another. (Prepared statements off: core.prepared's
    `EXECUTE name(%s)` needs the client-side binding — PostgreSQL takes no parameter in an EXECUTE.)"""
    from django.db.backends.postgresql.base import ServerBindingCursor

    settings.DATABASE_PREPARED_STATEMENTS = False
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "cursor_factory", ServerBindingCursor)  # what the option sets
    for record in records[:2]:
        reads = _record_reads(record.pk)
        with CaptureQueriesContext(connection) as ctx:
            found = compiled.together(*reads)
        assert _fields(found) == _fields([list(r.build(r.pk)) for r in reads]) and found[0] == [record]
        assert len(ctx.captured_queries) == 3
