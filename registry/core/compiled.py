"""ORM reads compiled once per shape and then run with other values (issue 14: verification; issue
17: the review queue).

Building and compiling a queryset with a dozen subqueries (the verification look-up: current
version, credit sums and rules per year, integrity ban) costs about 4 ms of Python, several times
what the database needs to answer it; from one call to the next only the looked-up values change.
So `rows(key, build, values)` builds the queryset once per `key` and database with unique markers
in place of `values`, compiles it, remembers where the markers are among the SQL's parameters, and
from then on only puts the values there, executes, and converts the columns as the ORM would (JSON,
decimals, UUIDs and datetimes on SQLite). A shape whose markers do not each appear exactly once
among the parameters is not cached: it runs as a plain queryset every time.

`instances(key, model, build, pk)` does the same for a queryset of model instances looked up by
one id (an application's materials, timeline, decision; a record's current data).

Values are strings, UUIDs, integers, datetimes or dates; each marker is of its value's type (a field refuses a
string where it expects a date), and a value goes in adapted for the database the way its marker
was (a UUID as hex and a datetime as naive UTC text on SQLite, unchanged on PostgreSQL).
"""

import datetime as dt
import functools
import secrets
import uuid
from collections.abc import Callable
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models.query import get_related_populators

from registry.core import prepared

_MAX_SHAPES = 256  # per process; a batch of every size from 1 to 1,000 would be 1,000 shapes
_shapes: dict = {}


def _marker(value):
    """A stand-in of the value's type that equals no real value among the query's parameters."""
    if type(value) is int:  # an integer id: far above any real id and any limit, within 32 bits
        return 1_000_000_000 + secrets.randbelow(1_000_000_000)
    if isinstance(value, str):
        return f"marker-{uuid.uuid4().hex}"
    if isinstance(value, uuid.UUID):
        return uuid.uuid4()
    if isinstance(value, dt.datetime):
        return dt.datetime(1111, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=secrets.randbelow(10**15))
    if isinstance(value, dt.date):
        return dt.date(1111, 1, 1) + dt.timedelta(days=secrets.randbelow(10**6))
    raise TypeError(f"no marker for {type(value).__name__}")


def _adapters(connection) -> list:
    """How the compiler may have turned a value into its parameter, most likely first."""
    ops = connection.ops
    return [lambda v: v, lambda v: v.hex, ops.adapt_datetimefield_value, ops.adapt_datefield_value]


class _Shape:
    def __init__(self, queryset, markers: list, using: str):
        self.using = using
        self.compiler = queryset.query.get_compiler(using)
        try:
            self.sql, params = self.compiler.as_sql()
        except EmptyResultSet:  # nothing can match (e.g. no district to review): the ORM answers []
            self.cached, self.positions = False, []
            return
        self.params = list(params)
        adapters = _adapters(connections[using])
        self.positions = []  # (index among the parameters, adapter) per marker
        for marker in markers:
            found = []
            for adapter in adapters:
                try:
                    adapted = adapter(marker)
                except (AttributeError, TypeError, ValueError):
                    continue
                found = [(i, adapter) for i, p in enumerate(self.params) if type(p) is type(adapted) and p == adapted]
                if found:
                    break
            if len(found) != 1:
                self.cached, self.positions = False, []
                return
            self.positions.append(found[0])
        self.cached = True
        query = queryset.query
        # the columns' names in the row's order, as QuerySet.values() reads them (ValuesIterable)
        names = query.selected or [*query.extra_select, *query.values_select, *query.annotation_select]
        self.names = list(names)
        # the ORM's converters for these columns, found once (results_iter looks them up every time)
        compiler = self.compiler
        self.converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])

    def bind(self, values: list) -> list:
        """The SQL's parameters with these values in the markers' places."""
        params = list(self.params)
        for (position, adapter), value in zip(self.positions, values, strict=True):
            params[position] = adapter(value)
        return params

    def convert(self, rows, as_tuples: bool) -> list:
        """Fetched rows converted as the ORM would, as tuples or as dicts by column name."""
        converted = self.compiler.apply_converters(rows, self.converters) if self.converters else rows
        if as_tuples:
            return list(converted)
        return [dict(zip(self.names, row, strict=True)) for row in converted]

    @functools.cached_property
    def _model_plan(self) -> tuple:
        """What the ORM's ModelIterable works out to turn a row into a model instance (the model's
        columns, deferred fields, select_related populators, annotations), found once."""
        select, klass_info = self.compiler.select, self.compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return (
            klass_info["model"],
            start,
            end,
            [f[0].target.attname for f in select[start:end]],
            get_related_populators(klass_info, select, self.using),
            list(self.compiler.annotation_col_map.items()),
        )

    def instances(self, rows) -> list:
        """Fetched rows as model instances, as the ORM would make them."""
        model, start, end, init_list, populators, annotations = self._model_plan
        out = []
        for row in self.compiler.apply_converters(rows, self.converters) if self.converters else rows:
            obj = model.from_db(self.using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations:
                setattr(obj, name, row[position])
            out.append(obj)
        return out

    def run(self, using: str, values: list, as_tuples: bool, prepare: bool = False):
        with connections[using].cursor() as cursor:
            if prepare:
                prepared.execute(cursor, self.sql, self.bind(values))
            else:
                cursor.execute(self.sql, self.bind(values))
            rows = cursor.fetchall()
        return self.convert(rows, as_tuples)


def _shape(key, build, values: list, using: str) -> _Shape:
    shape_key = (key, using, len(values))
    shape = _shapes.get(shape_key)
    if shape is None:
        markers = [_marker(value) for value in values]
        shape = _Shape(build(markers), markers, using)
        if len(_shapes) >= _MAX_SHAPES:
            _shapes.clear()
        _shapes[shape_key] = shape
    return shape


def rows(key, build, values: list, *, using: str, as_tuples: bool = False, prepare: bool = False) -> list:
    """The rows (dicts by column name) of `build(values)`, a `.values(...)` queryset over `using`,
    built and compiled once per (`key`, `using`, number of values). `key` must name everything
    else the queryset depends on (years, a date, the caller's districts …). `as_tuples`: each row
    as a sequence of its values in the order `.values(...)` names them (no dict per row).

    `prepare=True`: prepared on PostgreSQL (core.prepared), every parameter a placeholder in the
    one plan PostgreSQL then reuses — only for look-ups by key (the verification's ID numbers),
    where that plan is the index look-up; a date or status as a parameter can lose a partial index
    (the queue's overdue page: 0.9 → 4.9 ms; review.selectors prepares its own way)."""
    shape = _shape(key, build, values, using)
    if not shape.cached:
        found = build(values).using(using)
        return [tuple(row.values()) for row in found] if as_tuples else [dict(row) for row in found]
    return shape.run(using, values, as_tuples, prepare)


def instances(key, model, build, pk) -> list:
    """The `model` instances of `build(pk)` — a queryset of `model` whose only varying value is
    `pk`, a UUID or an integer id (an application's rows, a record's) — built and compiled once
    per `key` and database, and prepared (a look-up by id: its one plan is the index's). `key`
    must name everything else the queryset depends on."""
    return _instances(*_instances_shape(key, model, build, pk), build, pk)


def _instances_shape(key, model, build, pk) -> tuple[_Shape, str]:
    using = router.db_for_read(model)
    return _shape(("instances", key), lambda values: build(values[0]), [pk], using), using


def _instances(shape: _Shape, using: str, build, pk) -> list:
    if not shape.cached:
        return list(build(pk).using(using))
    with connections[using].cursor() as cursor:
        prepared.execute(cursor, shape.sql, shape.bind([pk]))
        return shape.instances(cursor.fetchall())


class Read(NamedTuple):
    """An `instances(key, model, build, pk)` read and what its caller makes of the instances
    (`finish`), so that a page can send several in one round trip (`together`)."""

    key: str
    model: type
    build: Callable
    pk: object
    finish: Callable[[list], object]


class Known(NamedTuple):
    """A read's answer known without asking the database (an inactive account sees nothing)."""

    value: object


def read(spec: Read | Known):
    """One read's finished answer."""
    return together(spec)[0]


def together(*specs: Read | Known) -> list:
    """Each read's finished answer, the reads sent in one round trip where the database lets: on
    PostgreSQL with psycopg's client-side binding the statements go in one execute (as the queue's
    counts and page do); one after another elsewhere, or while a shape is not cached. A round trip
    costs about a quarter of a millisecond of the machine's CPU under load (issue 17): a page
    reading an application's materials, timeline and decision, or a person's record, open
    application, transfer codes and integrity entries, saves all but one."""
    reads = [spec for spec in specs if isinstance(spec, Read)]
    found = iter(_instances_together(reads))
    return [spec.value if isinstance(spec, Known) else spec.finish(next(found)) for spec in specs]


def _instances_together(reads: list[Read]) -> list[list]:
    shapes = [_instances_shape(r.key, r.model, r.build, r.pk) for r in reads]

    def one_by_one():
        return [_instances(shape, using, r.build, r.pk) for (shape, using), r in zip(shapes, reads, strict=True)]

    usings = {using for _s, using in shapes}
    connection = connections[usings.pop()] if len(usings) == 1 else None
    alone = len(reads) < 2 or connection is None or connection.vendor != "postgresql"
    if alone or not all(shape.cached for shape, _using in shapes):
        return one_by_one()
    with connection.cursor() as cursor:
        if not sends_together(cursor):
            return one_by_one()
        statements = []
        for (shape, _using), r in zip(shapes, reads, strict=True):
            sql, bound = shape.sql, shape.bind([r.pk])
            if prepared.may_prepare(connection):
                sql, bound = prepared.execute_prepared(cursor, sql, bound, tuple(range(len(bound))))
            statements.append((sql, bound))
        fetched = execute_together(cursor, statements)
    return [shape.instances(rows) for (shape, _using), rows in zip(shapes, fetched, strict=True)]


def sends_together(cursor) -> bool:
    """Whether one execute on this (Django) cursor may carry several statements: PostgreSQL through
    psycopg's client-side binding (Django's default), which writes the parameters into the text."""
    if cursor.db.vendor != "postgresql":
        return False
    from psycopg import ClientCursor  # PostgreSQL only

    return isinstance(cursor.cursor, ClientCursor)


def execute_together(cursor, statements: list[tuple[str, list]]) -> list[list]:
    """Each statement's fetched rows, the statements sent in ONE execute — a round trip costs about
    a quarter of a millisecond of the machine's CPU under load (issue 17). Only where
    `sends_together(cursor)`."""
    cursor.execute("; ".join(sql for sql, _params in statements), [p for _sql, params in statements for p in params])
    fetched = []
    for n in range(len(statements)):
        if n:
            cursor.nextset()
        fetched.append(cursor.fetchall())
    return fetched


class Statement(NamedTuple):
    """A compiled read with this call's values, to be sent along with other statements."""

    sql: str
    params: list
    convert: Callable[[list], list]  # the fetched rows → what `rows(...)` would return
    varying: tuple[int, ...] = ()  # where this call's values are among `params` (the rest is the shape's)


def statement(key, build, values: list, *, using: str, as_tuples: bool = False) -> Statement | None:
    """What `rows(key, build, values, ...)` would execute, for a caller that sends several
    statements in one round trip; None when the shape is not cached (run `rows` instead)."""
    shape = _shape(key, build, values, using)
    if not shape.cached:
        return None
    varying = tuple(position for position, _adapter in shape.positions)
    return Statement(shape.sql, shape.bind(values), lambda fetched: shape.convert(fetched, as_tuples), varying)
