"""ORM reads compiled once per shape and then run with other values (issue 14: verification).

Building and compiling a queryset with a dozen subqueries (the verification look-up: current
version, credit sums and rules per year, integrity ban) costs about 4 ms of Python, several times
what the database needs to answer it; from one call to the next only the looked-up values change.
So `rows(key, build, values)` builds the queryset once per `key` and database with unique marker
strings in place of `values`, compiles it, remembers where the markers are among the SQL's
parameters, and from then on only puts the values there, executes, and converts the columns as
the ORM would (JSON, decimals). A shape whose markers do not each appear exactly once among the
parameters is not cached: it runs as a plain queryset every time.
"""

import uuid

from django.db import connections

_MAX_SHAPES = 256  # per process; a batch of every size from 1 to 1,000 would be 1,000 shapes
_shapes: dict = {}


class _Shape:
    def __init__(self, queryset, markers: list[str], using: str):
        self.compiler = queryset.query.get_compiler(using)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        positions = {marker: [i for i, p in enumerate(self.params) if p == marker] for marker in markers}
        self.cached = all(len(found) == 1 for found in positions.values())
        self.positions = [positions[m][0] for m in markers] if self.cached else []
        query = queryset.query
        # the columns' names in the row's order, as QuerySet.values() reads them (ValuesIterable)
        names = query.selected or [*query.extra_select, *query.values_select, *query.annotation_select]
        self.names = list(names)

    def run(self, using: str, values: list) -> list[dict]:
        params = list(self.params)
        for position, value in zip(self.positions, values, strict=True):
            params[position] = value
        with connections[using].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        return [dict(zip(self.names, row, strict=True)) for row in self.compiler.results_iter(results=[rows])]


def rows(key, build, values: list[str], *, using: str) -> list[dict]:
    """The rows (dicts by column name) of `build(values)`, a `.values(...)` queryset over `using`,
    built and compiled once per (`key`, `using`, number of values). `key` must name everything
    else the queryset depends on (years, a date …)."""
    if not values:
        return [dict(row) for row in build(values).using(using)]
    shape_key = (key, using, len(values))
    shape = _shapes.get(shape_key)
    if shape is None:
        markers = [f"marker-{uuid.uuid4().hex}" for _ in values]
        shape = _Shape(build(markers), markers, using)
        if len(_shapes) >= _MAX_SHAPES:
            _shapes.clear()
        _shapes[shape_key] = shape
    if not shape.cached:
        return [dict(row) for row in build(values).using(using)]
    return shape.run(using, values)
