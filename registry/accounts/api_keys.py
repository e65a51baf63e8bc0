"""The per-call state of API keys, kept cheap (issue 14: verification throughput).

With Redis (REDIS_URL, the default cache): a key is looked up by its hash once and then kept in
this process for KEY_CACHE_SECONDS; every call reads one shared *generation* number from Redis in
the same round trip as its rate-limit counter, and any change of a client (revoke, rotate, scope,
the Django admin) bumps that number after its commit, so every process drops its copies at its next
call — a revoked or rotated key stops working at once, everywhere. The rate limit is a fixed window
per clock minute: one Redis INCR per call, atomic, so parallel calls of one key are counted exactly
without any database lock.

Without Redis (development, SQLite, the test suite by default) the database is the truth on every
call: the key is read by its hash each time, and the limit is the sliding window of ApiKeyCall rows
counted under the key's row lock (accounts.services)."""

import copy
import logging
import time
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import ApiClient

logger = logging.getLogger("registry.accounts")
KEY_CACHE_SECONDS = 30  # a safety net only: the generation check makes revocation immediate
_MAX_CACHED = 1000
WINDOW_SECONDS = 60


@dataclass
class ApiCall:
    """One call of a known key: what its single audit row will say (accounts.services.api_call_audit)."""

    required_scope: str
    path: str
    ip: str | None
    audited: bool = False


@dataclass
class _Entry:
    client: ApiClient
    generation: str | None
    fetched: float = field(default_factory=time.monotonic)


_local: dict[str, _Entry] = {}


_redis: tuple | None = None  # (the cache's client object, its redis-py client, the cache backend)


def _redis_state() -> tuple | None:
    global _redis
    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        return None
    backend = cache._cache
    if _redis is None or _redis[0] is not backend:
        # thread-safe: it draws on the shared pool
        _redis = (backend, backend.get_client(write=True), caches["default"])
    return _redis


def redis_client():
    """The redis-py client behind the default cache, or None when the cache is not Redis. Kept
    while the cache is the same object: Django's get_client() builds a new redis.Redis (and its
    table of ~170 reply callbacks) every time, a quarter of a millisecond on every call."""
    state = _redis_state()
    return None if state is None else state[1]


def _generation_key() -> str:
    return _make_key("apikey:generation")


def _window_key(client_id: int, window: int) -> str:
    return _make_key(f"apikey:calls:{client_id}:{window}")


def _make_key(key: str) -> str:
    state = _redis_state()
    return (cache if state is None else state[2]).make_key(key)


def _round_trip(r, *commands: tuple) -> list:
    """The replies of these commands, sent in one write: what a redis-py pipeline does, without
    its Python per command (reply callbacks, command stack, retry wrapper) on every API call."""
    pool = r.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        return [connection.read_response() for _ in commands]
    except BaseException:
        connection.disconnect()  # replies may be left unread: never hand this connection out so
        raise
    finally:
        pool.release(connection)


def _from_db(key_hash: str) -> ApiClient | None:
    return ApiClient.objects.filter(key_hash=key_hash).only("pk", "name", "scope", "active", "call_count").first()


@dataclass
class Lookup:
    client: ApiClient | None
    calls_in_window: int | None = None  # None: not counted here (no Redis) — the database counts
    retry_after: float = 0.0


def lookup(key_hash: str) -> Lookup:
    """The client of this key hash (None: unknown) and, with Redis, this call counted in its window.
    Redis unreachable: the database answers this call (as without Redis) and this process forgets
    its copies, since a revocation meanwhile could not bump the generation."""
    r = redis_client()
    if r is None:
        return Lookup(_from_db(key_hash))
    try:
        return _lookup_redis(r, key_hash)
    except redis.RedisError:
        logger.warning("Redis unreachable: API keys checked against the database", exc_info=True)
        _local.clear()
        return Lookup(_from_db(key_hash))


def _lookup_redis(r, key_hash: str) -> Lookup:
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    retry_after = (window + 1) * WINDOW_SECONDS - now
    entry = _local.get(key_hash)
    if entry is not None and time.monotonic() - entry.fetched < KEY_CACHE_SECONDS:
        counter = _window_key(entry.client.pk, window)
        generation, count, _ = _round_trip(
            r, ("GET", _generation_key()), ("INCR", counter), ("EXPIRE", counter, WINDOW_SECONDS * 2)
        )
        if generation == entry.generation:
            return Lookup(_copy(entry.client), count, retry_after)
        # The clients changed since this copy was read: read again (this call is already counted).
        client = _cached(key_hash, generation)
        if client is not None and client.pk != entry.client.pk:
            count = _count(r, client.pk, window)
        return Lookup(client, count, retry_after)
    client = _cached(key_hash, r.get(_generation_key()))  # generation first, then the row
    if client is None:
        return Lookup(None)
    return Lookup(client, _count(r, client.pk, window), retry_after)


def _count(r, client_id: int, window: int) -> int:
    counter = _window_key(client_id, window)
    return _round_trip(r, ("INCR", counter), ("EXPIRE", counter, WINDOW_SECONDS * 2))[0]


def _copy(client: ApiClient) -> ApiClient:
    """The call's own copy of a cached client (it gets the call's state): Model.__reduce__'s copy
    (the attributes, the _state copied), without copy.copy's generic machinery."""
    new = ApiClient.__new__(ApiClient)
    attributes = client.__dict__.copy()
    state = attributes["_state"] = copy.copy(attributes["_state"])
    state.fields_cache = state.fields_cache.copy()
    new.__dict__ = attributes
    return new


def _cached(key_hash: str, generation) -> ApiClient | None:
    client = _from_db(key_hash)
    if client is None:
        _local.pop(key_hash, None)
        return None
    if len(_local) >= _MAX_CACHED:
        _local.clear()
    _local[key_hash] = _Entry(client, generation)
    return _copy(client)


def clients_changed() -> None:
    """Every process's cached keys are stale from now on (after the change's commit)."""
    _local.clear()
    r = redis_client()
    if r is not None:
        # robust: the change is committed whatever Redis says; a process that missed the bump
        # drops its copy after KEY_CACHE_SECONDS at the latest.
        transaction.on_commit(lambda: r.incr(_generation_key()), robust=True)


@receiver(post_save, sender=ApiClient)
@receiver(post_delete, sender=ApiClient)
def _client_saved(sender, **kwargs):
    # Counting a call uses an UPDATE without save(), so this runs only for real changes
    # (create, revoke, rotate, scope, the Django admin).
    clients_changed()
