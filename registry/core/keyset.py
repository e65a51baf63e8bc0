"""Keyset pages ordered by (a time, the primary key), oldest first: the cursor text, and the
"strictly after" condition both as an index range bound. Used by the review queue and the credit
declarations queue."""

import base64
import datetime as dt
import uuid

from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLookupMixin


class BadCursor(ValueError):
    pass


def encode(moment: dt.datetime, pk) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{pk}".encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[dt.datetime, str]:
    """Only what `encode` writes: base64 of a UTC ISO timestamp (the database hands back UTC) and a
    UUID, re-encoding to the same text. Anything else — a crafted `0001-01-01…+05:00` that overflows
    when converted to UTC, an offset PostgreSQL refuses, a naive time, stray bytes — is BadCursor
    → 400, never a 500."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4)).decode("ascii")
        moment_text, pk_text = raw.split("|", 1)
        moment = dt.datetime.fromisoformat(moment_text)
        pk = uuid.UUID(pk_text)
        if moment.utcoffset() != dt.timedelta(0):
            raise ValueError("not UTC")
        if f"{moment.isoformat()}|{pk}" != raw:
            raise ValueError("not canonical")
    except (ValueError, UnicodeError, TypeError):
        raise BadCursor("cursor") from None
    return moment, str(pk)


class RowAfter(TupleGreaterThan):
    """`(a, b) > (x, y)` as a row value on PostgreSQL and SQLite (≥ 3.15) alike. Both take it as one
    index range bound; the OR that Django writes for SQLite (and the queues used to write by hand) is
    only a filter on PostgreSQL, so a deep page read and dropped every row before it."""

    def as_sql(self, compiler, connection):
        return super(TupleLookupMixin, self).as_sql(compiler, connection)


def after(time_field: str, moment: dt.datetime, pk: str) -> RowAfter:
    """Rows strictly after (time_field, pk) = (moment, pk) in (time_field, pk) ascending order."""
    return RowAfter(Tuple(F(time_field), F("pk")), (moment, pk))
