"""Reference data (regions, code lists) held in each process and reloaded when it is edited.

Nearly every page reads the code lists and regions (choices, names, the district's contact); they
change a few times a year, in the admin. So each process keeps one copy, built from two queries,
and asks once per request whether it is still current by comparing a version stamp with the
shared one (decisions/0014):

- REDIS_URL set (gunicorn workers, possibly on several hosts): the stamp is a key of the Django
  cache, i.e. Redis, which every process shares.
- no Redis (the embedded default, one host): Django's local-memory cache is per process, so the
  stamp is a small file in REGISTRY_VAR_DIR that every process of the host reads.

An edit (post_save / post_delete of Region or Code, `load_code_tables`) drops this process's copy
at once and, when its transaction commits, writes a new stamp; every other process reloads at its
next request. Outside requests (jobs, commands) the stamp is compared at most once a second.
As a net for edits that bypass the ORM signals (raw SQL), a copy is also rebuilt after
REFDATA_MAX_AGE seconds.
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

logger = logging.getLogger("registry.core.refdata")

REFDATA_MAX_AGE = 300  # seconds; the net, not the mechanism
_CHECK_INTERVAL = 1.0  # outside requests
_CACHE_KEY = "registry:refdata:stamp"


@dataclass(frozen=True)
class RegionRow:
    """What the pages need of a Region (read only; a template reads it like the model)."""

    code: str
    name: str
    level: str
    parent_id: str | None
    province_code: str
    valid_to_year: int | None
    is_reviewing_unit: bool
    bureau_name: str
    contact_phone: str
    contact_address: str
    sort_order: int

    @property
    def is_current(self) -> bool:
        return self.valid_to_year is None


@dataclass(frozen=True)
class CodeRow:
    kind: str
    code: str
    name: str
    extra: dict


@dataclass
class Tables:
    regions: dict[str, RegionRow]
    # Active codes in display order (kind, sort_order, code), and every code's name (retired too).
    active_codes: dict[str, dict[str, CodeRow]]
    all_code_names: dict[str, dict[str, str]]
    _memo: dict = field(default_factory=dict)

    def memo(self, key, build):
        """A value derived from the tables, built once per copy."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = build()
            return value


@dataclass
class _Loaded:
    stamp: str
    loaded_at: float
    tables: Tables


_lock = threading.Lock()
_loaded: _Loaded | None = None
_local = threading.local()


def _stamp_path() -> Path:
    return Path(settings.VAR_DIR) / "refdata.stamp"


def _shared_cache():
    """The Django cache when every process shares it (Redis), else None."""
    cache = caches["default"]
    return None if isinstance(cache, (LocMemCache, DummyCache)) else cache


def _shared_stamp() -> str | None:
    """The stamp every process compares with; None when it cannot be read (keep the copy)."""
    try:
        cache = _shared_cache()
        if cache is not None:
            return _read_from(cache)
        return _stamp_path().read_text()
    except FileNotFoundError:
        return "0"
    except Exception:  # Redis away: pages keep working on the copy (REFDATA_MAX_AGE still applies)
        logger.warning("reference data stamp unreadable; using the copy in memory", exc_info=True)
        return None


def _read_from(cache) -> str:
    """cache.get(_CACHE_KEY), through a redis client kept per thread on the cache's own pool: the
    cache's get() builds a client on every call, 170 µs of CPU a request against 56 µs (Django 5.2's
    RedisCache; `caches` hands each thread its own cache object, hence per thread)."""
    reader = getattr(_local, "stamp_reader", None)
    if reader is None or reader[0] is not cache:
        client = cache._cache.get_client(None, write=False)
        reader = _local.stamp_reader = (cache, client, cache.make_and_validate_key(_CACHE_KEY))
    value = reader[1].get(reader[2])
    return str(cache._cache._serializer.loads(value)) if value is not None else "0"


def _publish() -> None:
    global _loaded
    stamp = uuid.uuid4().hex
    with _lock:
        _loaded = None
    try:
        cache = _shared_cache()
        if cache is not None:
            cache.set(_CACHE_KEY, stamp, timeout=None)
        else:
            path = _stamp_path()
            tmp = path.with_name(f".refdata.{stamp}")
            tmp.write_text(stamp)
            tmp.replace(path)
    except Exception as exc:  # e.g. Redis not up yet while a deployment migrates: one line, not a traceback
        logger.warning(
            "could not publish a reference data change (%s: %s); other processes see it within %ss",
            type(exc).__name__,
            exc,
            REFDATA_MAX_AGE,
        )


def changed(**_) -> None:
    """Reference data was edited: this process rereads now, the others after the commit."""
    clear()
    transaction.on_commit(_publish)


def clear() -> None:
    """Forget this process's copy (tests; `changed` for edits)."""
    global _loaded
    with _lock:
        _loaded = None
    _local.checked_at = None


def new_request(**_) -> None:
    """request_started: compare the stamp once in this request."""
    _local.checked_at = None


def _load() -> Tables:
    from .models import Code, Region

    regions = {
        row[0]: RegionRow(*row)
        for row in Region.objects.order_by("code").values_list(
            "code",
            "name",
            "level",
            "parent_id",
            "province_code",
            "valid_to_year",
            "is_reviewing_unit",
            "bureau_name",
            "contact_phone",
            "contact_address",
            "sort_order",
        )
    }
    active: dict[str, dict[str, CodeRow]] = {}
    names: dict[str, dict[str, str]] = {}
    for kind, code, name, extra, is_active in Code.objects.order_by("kind", "sort_order", "code").values_list(
        "kind", "code", "name", "extra", "active"
    ):
        names.setdefault(kind, {})[code] = name
        if is_active:
            active.setdefault(kind, {})[code] = CodeRow(kind, code, name, extra or {})
    return Tables(regions=regions, active_codes=active, all_code_names=names)


def tables() -> Tables:
    global _loaded
    now = time.monotonic()
    current = _loaded
    if current is not None and now - current.loaded_at > REFDATA_MAX_AGE:
        current = None
    if current is not None:
        checked_at = getattr(_local, "checked_at", None)
        if checked_at is None or now - checked_at > _CHECK_INTERVAL:
            _local.checked_at = now
            stamp = _shared_stamp()
            if stamp is not None and stamp != current.stamp:
                current = None
    if current is None:
        stamp = _shared_stamp() or ""  # read before the rows: an edit in between only costs a reload
        current = _Loaded(stamp=stamp, loaded_at=now, tables=_load())
        _local.checked_at = now
        with _lock:
            _loaded = current
    return current.tables


# --- What the pages ask ---------------------------------------------------------------------------


def region(code: str | None) -> RegionRow | None:
    return tables().regions.get(code) if code else None


def current_region_codes() -> frozenset[str]:
    t = tables()
    return t.memo("current", lambda: frozenset(c for c, r in t.regions.items() if r.valid_to_year is None))


def provinces() -> list[tuple[str, str]]:
    """Current provinces by code: [(code, name)]."""
    t = tables()
    return t.memo(
        "provinces",
        lambda: [(r.code, r.name) for r in t.regions.values() if r.is_current and r.level == "province"],
    )


def in_home_province(region_code: str) -> bool:
    """Whether a region lies in this deployment's own province (Beijing by default): moving inside it
    is a change of district, not a transfer between provinces."""
    return region_code[:2] == settings.REGISTRY_JURISDICTION[:2]


def other_provinces() -> list[tuple[str, str]]:
    """Every current province but this deployment's own: where a transfer comes from or goes to."""
    return [(code, name) for code, name in provinces() if not in_home_province(code)]


def bureau_of(region) -> str:
    """The finance bureau a district's people deal with (a Region or a RegionRow): its own name,
    else "<district>财政局"."""
    return region.bureau_name or f"{region.name}财政局"


def bureau_contact(region) -> str:
    """The bureau with its phone where it has one: "朝阳区财政局（010-…）"."""
    name = bureau_of(region)
    return f"{name}（{region.contact_phone}）" if region.contact_phone else name


def counties_of(province_code: str) -> list[tuple[str, str]]:
    """Current county-level units (and management units) of a province by code, without 市辖区."""
    t = tables()

    def build():
        table: dict[str, list[tuple[str, str]]] = {}
        for r in t.regions.values():
            if r.is_current and r.level in ("county", "management_unit") and r.name != "市辖区":
                table.setdefault(r.province_code, []).append((r.code, r.name))
        return table

    return list(t.memo("counties", build).get(province_code[:2], []))


def jurisdiction_units() -> list[RegionRow]:
    """This deployment's reviewing units in display order (core.selectors.jurisdiction_units, cached)."""
    t = tables()
    province = settings.REGISTRY_JURISDICTION[:2]
    return t.memo(
        ("units", province),
        lambda: sorted(
            (r for r in t.regions.values() if r.is_reviewing_unit and r.is_current and r.province_code == province),
            key=lambda r: (r.sort_order, r.code),
        ),
    )


def jurisdiction_unit_codes() -> frozenset[str]:
    t = tables()
    return t.memo(
        ("unit_codes", settings.REGISTRY_JURISDICTION[:2]), lambda: frozenset(r.code for r in jurisdiction_units())
    )


def active_codes() -> dict[str, dict[str, CodeRow]]:
    """{kind: {code: CodeRow}} of the active codes, in display order. Read only."""
    return tables().active_codes


def code_choices() -> dict[str, list[tuple[str, str]]]:
    """{kind: [(code, name)]} of the active codes, in display order."""
    t = tables()
    return t.memo(
        "choices", lambda: {kind: [(c.code, c.name) for c in rows.values()] for kind, rows in t.active_codes.items()}
    )


def code_names() -> dict[str, dict[str, str]]:
    """{kind: {code: name}} of every code, retired ones too. Read only."""
    return tables().all_code_names


def full_region_name(code: str) -> str | None:
    """ "河北省石家庄市长安区"; a Beijing district as "北京市朝阳区" (labels.region_names)."""
    t = tables()
    node = t.regions.get(code)
    if node is None:
        return None
    chain: list[str] = []
    seen = 0
    while node is not None and seen < 3:  # province → prefecture → county
        if node.name not in ("市辖区", "县") and node.name not in chain:
            chain.insert(0, node.name)
        node = t.regions.get(node.parent_id) if node.parent_id else None
        seen += 1
    return "".join(chain)
