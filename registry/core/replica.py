"""Reads that may go to a PostgreSQL streaming replica (DATABASE_REPLICA_URL; unset = primary only).

Only the reads that can stand a second of lag and are heavy enough to matter go there: statistics,
exports and the verification API, each marked with `replica_reads` (a view decorator or a `with`
block). Everything else, and every read inside a transaction on the primary, stays on the primary,
so a service that reads then writes never decides on a stale row.

Read-your-writes: a request that wrote (anything but bookkeeping: session, token use, audit) sets a short cookie
(REPLICA_PIN_SECONDS); while it lasts that browser's reads stay on the primary, so a reviewer who
just decided sees the decision in the statistics. Within the request that wrote, reads after the
write stay on the primary too.

A replica that cannot be reached is skipped for REPLICA_RETRY_SECONDS in this process; a replica
that fails in the middle of a marked block makes the block run again on the primary (once; the
marked blocks only read before they write), so nobody sees an error for it.
"""

import contextvars
import functools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

logger = logging.getLogger("registry.replica")

REPLICA = "replica"
PIN_COOKIE = "registry_primary"
# Rows written as a side effect of any request pin nobody: nobody reads them back through the marked
# reads. The session (saved on every request), the API token's and key's last use and the per-key
# rate-limit counter, and the audit trail of a read.
_BOOKKEEPING = {"sessions.session", "accounts.apitoken", "accounts.apiclient", "accounts.apikeycall"}
_BOOKKEEPING_APPS = {"audit"}

_wanted: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_wanted", default=False)
_pinned: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_pinned", default=False)
_wrote: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_wrote", default=False)
_in_request: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_in_request", default=False)
_down_until = 0.0  # per process: monotonic time before which the replica is not tried again


def configured() -> bool:
    return REPLICA in connections.settings


def mark_down(reason: str) -> None:
    global _down_until
    _down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
    logger.warning("replica unavailable (%s); reads go to the primary for %ss", reason, settings.REPLICA_RETRY_SECONDS)
    try:
        connections[REPLICA].close()
    except Exception:  # a dead connection may fail to close; it is dropped all the same
        pass


def mark_up() -> None:
    global _down_until
    _down_until = 0.0


def is_down() -> bool:
    return time.monotonic() < _down_until


def _replica_usable() -> bool:
    if time.monotonic() < _down_until:
        return False
    connection = connections[REPLICA]
    if connection.connection is not None:
        return True
    try:
        connection.ensure_connection()
    except (OperationalError, InterfaceError) as exc:
        mark_down(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        return False
    return True


def _use_replica() -> bool:
    if not (_wanted.get() and configured()) or _pinned.get() or _wrote.get():
        return False
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return False  # a read inside a transaction on the primary decides what it writes
    return _replica_usable()


class ReplicaRouter:
    """DATABASE_ROUTERS entry; answers only for the marked reads, leaves the rest to the default."""

    def db_for_read(self, model, **hints):
        return REPLICA if _use_replica() else None

    def db_for_write(self, model, **hints):
        if model._meta.app_label not in _BOOKKEEPING_APPS and model._meta.label_lower not in _BOOKKEEPING:
            _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, **hints):
        return False if db == REPLICA else None


@contextmanager
def replica_scope():
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


@contextmanager
def primary_only():
    token = _wanted.set(False)
    try:
        yield
    finally:
        _wanted.reset(token)


def _replica_failed() -> bool:
    """After a database error in a marked block: did it come from the replica's connection? (Django
    flags the connection whose query failed.)"""
    if not configured():
        return False
    connection = connections[REPLICA]
    if not connection.errors_occurred:
        return False
    mark_down("a query failed")
    return True


def run_on_replica(fn, *args, **kwargs):
    """fn(*args, **kwargs) with its reads on the replica; again on the primary if the replica fails."""
    if not _in_request.get():
        _wrote.set(False)  # a job (or command) starts clean: its own writes count from here
    if configured():
        connections[REPLICA].errors_occurred = False
    try:
        with replica_scope():
            return fn(*args, **kwargs)
    except (OperationalError, InterfaceError):
        if not _replica_failed():
            raise
        logger.warning("replica failed during %s; ran it again on the primary", getattr(fn, "__name__", fn))
        with primary_only():
            return fn(*args, **kwargs)


def replica_reads(fn):
    """Decorator for selectors and services whose reads may go to the replica (see the module docstring).
    A lazy result (the lines of a streamed CSV export) reads each item in the replica scope too."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        result = run_on_replica(fn, *args, **kwargs)
        if isinstance(result, Iterator):
            return _chunks_on_replica(result)
        return result

    return wrapper


def _chunks_on_replica(chunks):
    """A streamed export reads while it is sent, after the view returned: each chunk in the replica scope.
    A replica lost half-way cannot be retried (the first rows are sent): the download breaks, as it
    would for any lost connection, and the next one reads from the primary."""
    iterator = iter(chunks)
    while True:
        if not _in_request.get():
            _wrote.set(False)  # a job's own progress rows do not hold its reads on the primary
        with replica_scope():
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


class ReplicaPinMiddleware:
    """Read-your-writes: a browser whose request wrote reads from the primary for REPLICA_PIN_SECONDS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pinned = _pinned.set(self._pinned(request))
        wrote = _wrote.set(False)
        in_request = _in_request.set(True)
        try:
            response = self.get_response(request)
            if _wrote.get() and configured():
                response.set_cookie(
                    PIN_COOKIE,
                    str(int(time.time()) + settings.REPLICA_PIN_SECONDS),
                    max_age=settings.REPLICA_PIN_SECONDS,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
            return response
        finally:
            _pinned.reset(pinned)
            _wrote.reset(wrote)
            _in_request.reset(in_request)

    @staticmethod
    def _pinned(request) -> bool:
        try:
            return int(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
        except ValueError:
            return False
