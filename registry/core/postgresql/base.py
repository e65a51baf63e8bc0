"""Django's PostgreSQL backend with a health check that costs no round trip (issue 17).

With CONN_HEALTH_CHECKS Django's own check sends `SELECT 1` before the first query of every
request on a kept connection: one more round trip on every page that reads anything. A server
that ends a session — restarted or stopped, pg_terminate_backend, idle_session_timeout — sends its
FATAL message and closes the socket, so between queries the socket of a dead connection is
readable, while a live idle one has nothing to read: polling it without waiting tells the two
apart. Seen alike by both checks: nothing. A connection cut without the server closing it (a
network partition) goes unseen here until the first query times out — as SELECT 1 would have.
A message the server sends unasked (a parameter changed by a configuration reload) makes a live
connection look dead: it is simply reopened.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        if self.connection is None or self.connection.closed:
            return False
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable
