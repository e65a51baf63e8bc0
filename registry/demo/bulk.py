"""Bulk writing for generated demo data: rows as dicts of column values, one batch at a time.

PostgreSQL gets COPY (psycopg 3's `cursor.copy()`, values adapted in C; JSON arrives as text
already rendered once per person), SQLite an executemany of the same rows. Ids that other rows
refer to are reserved up front (`reserve_ids`), so every row is complete when it is written:
no second pass, no UPDATE afterwards.
"""

import datetime as dt
import decimal
import uuid
from operator import itemgetter

from django.db import connection, transaction


class Table:
    """One model's columns in `concrete_fields` order; `with_pk=False` lets the database number them."""

    def __init__(self, model, *, with_pk: bool):
        fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.model = model
        self.columns = [f.column for f in fields]
        self.sql_table = model._meta.db_table
        self.values = itemgetter(*self.columns)


class Batch:
    """The rows of one batch, per table, written in the order of `tables` (referenced rows first)."""

    def __init__(self, tables: list[Table]):
        self.rows: dict[Table, list[dict]] = {table: [] for table in tables}

    def add(self, table: Table, row: dict) -> None:
        self.rows[table].append(row)

    def copy_text(self) -> list[tuple[Table, str]]:
        """Each table's rows in COPY's text format (what a worker process hands back to be written)."""
        return [
            (table, "".join([_copy_line(table.values(row)) for row in rows]))
            for table, rows in self.rows.items()
            if rows
        ]


def reserve_ids(model, count: int) -> int:
    """The first of `count` consecutive new primary keys for `model`, taken from its sequence so
    that concurrent writers never get them; the rows are then inserted with these ids."""
    if count <= 0:
        return 0
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, count],
            )
            return cursor.fetchone()[0] - count + 1
        # SQLite: one writer at a time; explicit ids above the maximum also move its AUTOINCREMENT.
        cursor.execute(f'SELECT COALESCE(MAX("id"), 0) + 1 FROM "{table}"')
        return cursor.fetchone()[0]


def write(batch: Batch) -> None:
    """Insert every row of the batch in one transaction (the caller's, if any)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _skip_constraint_triggers(cursor)
            raw = cursor.cursor  # psycopg 3's own cursor: COPY
            for table, rows in batch.rows.items():
                if not rows:
                    continue
                columns = ", ".join(f'"{c}"' for c in table.columns)
                with raw.copy(f'COPY "{table.sql_table}" ({columns}) FROM STDIN') as copy:
                    values = table.values
                    for start in range(0, len(rows), 2000):
                        copy.write("".join([_copy_line(values(row)) for row in rows[start : start + 2000]]))
        else:
            for table, rows in batch.rows.items():
                if not rows:
                    continue
                columns = ", ".join(f'"{c}"' for c in table.columns)
                marks = ", ".join(["%s"] * len(table.columns))
                cursor.executemany(
                    f'INSERT INTO "{table.sql_table}" ({columns}) VALUES ({marks})',
                    [tuple(_sqlite(v) for v in table.values(row)) for row in rows],
                )


def write_copy_text(texts: list[tuple[Table, str]]) -> None:
    """PostgreSQL: COPY text made by Batch.copy_text, in one transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        _skip_constraint_triggers(cursor)
        for table, text in texts:
            columns = ", ".join(f'"{c}"' for c in table.columns)
            with cursor.cursor.copy(f'COPY "{table.sql_table}" ({columns}) FROM STDIN') as copy:
                copy.write(text)


def analyze(tables: list[str]) -> None:
    """PostgreSQL: statistics for the bulk-loaded tables. Until autovacuum gets to them (hours on a
    busy server; never where it is off, as on the benchmark machine) the planner guesses from
    empty tables — at 1M people the verification's look-up and the queue's search took other,
    slower plans. About 15 s at 1M people."""
    if connection.vendor != "postgresql" or not tables:
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in sorted(set(tables))))


def _skip_constraint_triggers(cursor) -> None:
    """Foreign keys are checked by per-row triggers; the generated rows are consistent by
    construction (and the seed test checks them), so a superuser skips them for this transaction.
    Without the privilege the checks simply run."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if cursor.fetchone()[0]:
        cursor.execute("SET LOCAL session_replication_role = replica")
    cursor.execute("SET LOCAL synchronous_commit = off")  # a lost last batch is generated again next run


def _copy_str(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


# COPY's text format by type (psycopg's write_row adapts each value through its dumpers: 4x slower here).
_COPY_TEXT = {
    str: _copy_str,
    int: str,
    bool: lambda v: "t" if v else "f",
    type(None): lambda v: "\\N",
    dt.datetime: dt.datetime.isoformat,
    dt.date: dt.date.isoformat,
    decimal.Decimal: str,
    uuid.UUID: str,
}


def _copy_line(values: tuple) -> str:
    return "\t".join([_COPY_TEXT[type(v)](v) for v in values]) + "\n"


def _sqlite(value):
    """Python values as Django stores them in SQLite (what its field adapters would produce)."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value
