"""The web session: Django's database sessions (SESSION_ENGINE), read with one statement written once
per process instead of an ORM query built for every page (issue 17). Same table, same rows, same
expiry, written the same way: sessions survive what they survived before (a restart, a Redis that
is down or flushed), and a session deleted at logout is gone on the very next request, in every
process. Not cached in Redis on purpose: a cache could hold a logged-out session a while longer."""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from registry.core import prepared

_sql: dict[str, str] = {}


class SessionStore(DatabaseSessionStore):
    def _session_data(self) -> str | None:
        """The row's data if the session exists and has not expired (read from the primary, like
        everything that says who is calling)."""
        connection = connections[DEFAULT_DB_ALIAS]
        sql = _sql.get(connection.vendor)
        if sql is None:
            q = connection.ops.quote_name
            sql = _sql[connection.vendor] = (
                f"SELECT {q('session_data')} FROM {q(self.model._meta.db_table)}"
                f" WHERE {q('session_key')} = %s AND {q('expire_date')} > %s"
            )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            prepared.execute(cursor, sql, [self.session_key, now])
            row = cursor.fetchone()
        return row[0] if row is not None else None

    def load(self):
        data = self._session_data()
        if data is None:
            self._session_key = None  # as Django's: a missing or expired session starts afresh
            return {}
        return self.decode(data)
