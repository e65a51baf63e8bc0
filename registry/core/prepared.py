"""Statements PostgreSQL parses and plans once per connection (issues 14 and 17).

Django's psycopg cursor binds parameters on the client, so PostgreSQL parses and plans every
statement anew: for the hot reads (the caller's identity and session, the verification look-up
with its dozen subqueries, the queue's page written as JSON, an application by id) that cost as
much of the server's CPU as running them, or several times more (0.34 → 0.08 ms for the
verification's look-up). So these are sent as SQL `PREPARE name AS …` once per connection and
`EXECUTE name(…)` from then on — plain SQL text through Django's cursor, which keeps its query
logging, error wrapping and its two-statements-in-one-execute (review.selectors).

Not psycopg's own automatic preparing: psycopg answers any ROLLBACK on a connection where it has
prepared something with DEALLOCATE ALL, which would drop these too. Django keeps psycopg's
prepare_threshold at None, so psycopg never does; a name recorded here exists as long as its
connection (a prepared statement outlives a rollback). Off behind pgbouncer in transaction mode
(DATABASE_PGBOUNCER: another client's server connection would not have it) and with
DATABASE_PREPARED_STATEMENTS=false."""

import hashlib
import re
import weakref

from django.conf import settings

# psycopg connection → the names prepared on it
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MAX_PREPARED = 200  # per connection; then DEALLOCATE ALL and start again
_MAX_TEXTS = 512  # per process: (SQL, fixed values) → PREPARE text
_PLACEHOLDER = re.compile(r"%%|%s")
_texts: dict = {}


def may_prepare(connection) -> bool:
    """Session-level prepared statements are allowed on this (Django) connection."""
    return (
        connection.vendor == "postgresql" and settings.DATABASE_PREPARED_STATEMENTS and not settings.DATABASE_PGBOUNCER
    )


def execute(cursor, sql: str, params: list) -> None:
    """`cursor.execute(sql, params)`, as a prepared statement with every parameter a placeholder
    where preparing is allowed — for look-ups by key (a token's hash, an id, ID numbers), whose one
    plan is the index look-up whatever the values."""
    if may_prepare(cursor.db):
        sql, params = execute_prepared(cursor, sql, params, tuple(range(len(params))))
    cursor.execute(sql, params)


def execute_prepared(cursor, sql: str, params: list, varying: tuple[int, ...]) -> tuple[str, list]:
    """`EXECUTE name(…)` and its parameters for `sql` with `params` (psycopg's ClientCursor binds
    them), the statement prepared on this cursor's connection first if it is not yet: the
    parameters at `varying` positions as $1, $2 … (this call's values), the others written into
    the prepared text (a shape's own: districts, statuses, page size — so that PostgreSQL plans
    with them, e.g. picks a partial index for the waiting statuses)."""
    fixed = tuple(p for i, p in enumerate(params) if i not in varying)
    key = (sql, fixed, varying)
    text = _texts.get(key)
    if text is None:
        text = _prepare_text(cursor, sql, params, varying)
        if len(_texts) >= _MAX_TEXTS:
            _texts.clear()
        _texts[key] = text
    name, prepare = text
    raw = cursor.connection
    known = _prepared.setdefault(raw, set())
    if name not in known:
        # On the driver's cursor under Django's: once per connection, like the session set-up Django
        # sends when it connects, so not among a request's logged queries (their counts are pinned).
        with cursor.db.wrap_database_errors:
            if len(known) >= _MAX_PREPARED:
                cursor.cursor.execute("DEALLOCATE ALL")
                known.clear()
            cursor.cursor.execute(prepare)
        known.add(name)
    values = [params[i] for i in varying]
    if not values:
        return f"EXECUTE {name}", []
    return f"EXECUTE {name}({', '.join(['%s'] * len(values))})", values


def _prepare_text(cursor, sql: str, params: list, varying: tuple[int, ...]) -> tuple[str, str]:
    numbers = {position: n for n, position in enumerate(varying, start=1)}
    index = iter(range(len(params)))

    def placeholder(match):
        if match.group() == "%%":
            return "%%"
        position = next(index)
        return f"${numbers[position]}" if position in numbers else "%s"

    template = _PLACEHOLDER.sub(placeholder, sql)
    body = cursor.mogrify(template, [p for i, p in enumerate(params) if i not in numbers])
    name = "registry_" + hashlib.sha1(body.encode()).hexdigest()[:20]
    return name, f"PREPARE {name} AS {body}"
