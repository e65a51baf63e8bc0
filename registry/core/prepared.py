"""A cursor whose statements PostgreSQL plans once per connection (issue 17 and 14).

Django's psycopg cursor binds parameters on the client, so PostgreSQL parses and plans every
statement again: 0.1–0.35 ms of the server's CPU for each of the hot statements (the caller's
identity, the verification look-up — a dozen subqueries —, the queue's page), as much as running
them. `cursor()` is Django's cursor (query logging, error wrapping) over a psycopg cursor that
binds on the server, which psycopg turns into a prepared statement once the same SQL has run
DATABASE_PREPARE_THRESHOLD times on the connection. Used only for SQL written once per process
(core.compiled, accounts.identity); everywhere else, and whenever preparing is off (pgbouncer in
transaction mode cannot route prepared statements; the setting at 0), it is the plain cursor."""

from contextlib import contextmanager

from django.db import connections


@contextmanager
def cursor(using: str):
    connection = connections[using]
    with connection.cursor() as wrapper:
        if connection.vendor != "postgresql" or connection.connection.prepare_threshold is None:
            yield wrapper
            return
        from django.db.backends.postgresql.base import ServerBindingCursor

        client_side = wrapper.cursor
        wrapper.cursor = ServerBindingCursor(connection.connection)
        try:
            yield wrapper
        finally:
            wrapper.cursor.close()
            wrapper.cursor = client_side
