import datetime as dt
import hashlib
import hmac
import ipaddress
import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.utils import timezone

from registry.core import compiled

from . import keys
from .models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64


def _stable(value: Any) -> Any:
    """Values every database stores and returns unchanged: PostgreSQL's jsonb rewrites floats
    (1e20, -0.0) and refuses NUL characters, so floats become strings and NULs are dropped."""
    if isinstance(value, dict):
        return {str(k).replace("\x00", ""): _stable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value.replace("\x00", "")
    return value


class _NotPlain(Exception):
    pass


def _plain_copy(value: Any) -> Any:
    """A copy of `value` if it holds only what the JSON round trip below returns unchanged (dicts
    with string keys, lists, strings without NUL, ints, booleans, None); else raises _NotPlain."""
    kind = type(value)
    if kind is str:
        if "\x00" in value:
            raise _NotPlain
        return value
    if value is None or kind is int or kind is bool:
        return value
    if kind is dict:
        copy = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            copy[_plain_copy(key)] = _plain_copy(item)
        return copy
    if kind is list:
        return [_plain_copy(item) for item in value]
    raise _NotPlain


def _canonical(value: Any) -> Any:
    """JSON-safe copy, so the hash computed now equals the one recomputed from the stored row.
    Most details (every API call's) are plain already: copied without the JSON round trip."""
    try:
        return _plain_copy(value)
    except _NotPlain:
        return _stable(json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)))


def normalize_ip(ip: str | None) -> str:
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:1.2.3.4 is the IPv4 client 1.2.3.4
    return str(address)


def entry_payload(
    *, seq, at, actor_id, actor_label, action, target_type, target_id, district, ip, details, prev_hash, key_id=""
) -> bytes:
    """The bytes a row's hash covers: its fields, the previous hash and (keyed rows) its key id,
    so a row cannot be relabelled as an unkeyed one."""
    payload = {
        "seq": seq,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "district": district,
        "ip": ip,
        "details": details,
        "prev_hash": prev_hash,
    }
    if key_id:
        payload["key_id"] = key_id
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_hash(*, key_id: str = "", secret: bytes | None = None, **fields) -> str:
    """HMAC-SHA256 under the key `key_id`; rows from before the chain was keyed (key_id "") keep
    their plain SHA-256, which anyone could recompute (verification limits them: keys.py)."""
    raw = entry_payload(**fields, key_id=key_id)
    if not key_id:
        return hashlib.sha256(raw).hexdigest()
    if secret is None:
        raise keys.AuditKeyMissing(f"no secret for audit key {key_id!r}")
    return hmac.new(secret, raw, hashlib.sha256).hexdigest()


def hash_of_entry(entry: AuditEntry, secret: bytes | None = None) -> str:
    return entry_hash(
        key_id=entry.key_id,
        secret=secret,
        seq=entry.seq,
        at=entry.at,
        actor_id=entry.actor_id,
        actor_label=entry.actor_label,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        district=entry.district,
        ip=entry.ip,
        details=entry.details,
        prev_hash=entry.prev_hash,
    )


def client_ip(request) -> str | None:
    """The client's address. Behind reverse proxies listed in REGISTRY_TRUSTED_PROXIES, the last
    X-Forwarded-For hop that is not one of them (docs/deployment.md); otherwise REMOTE_ADDR."""
    if request is None:
        return None
    remote = normalize_ip(request.META.get("REMOTE_ADDR"))
    trusted = set(settings.REGISTRY_TRUSTED_PROXIES)
    if remote in trusted:
        hops = [normalize_ip(h) for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        for hop in reversed([h for h in hops if h]):
            if hop not in trusted:
                return hop
    return remote or None


def audit_record(
    *,
    action: str,
    actor=None,
    target=None,
    target_type: str = "",
    target_id: str = "",
    district: str = "",
    ip: str | None = None,
    request=None,
    details: dict | None = None,
    savepoint: bool = True,
    then_sql: tuple[str, list] | None = None,
    own_transaction: bool = False,
) -> AuditEntry:
    """Append one audit entry. The only writer of the audit log.

    Call it inside the transaction of the action it records: if that action rolls back, so does
    its entry. `target` (a model instance) fills target_type/target_id.

    `then_sql=(sql, params)`: one more UPDATE or INSERT of the caller's (no result, `%s`
    placeholders), run right after the entry in the same transaction — on PostgreSQL inside the
    entry's own statement (accounts.services.api_call_audit: the key's call counter, one round trip
    instead of two).

    `own_transaction=True`: the entry is all its transaction holds, committed when this returns
    (accounts.services.api_call_audit). Outside any transaction on PostgreSQL that takes two round
    trips instead of four (_append_committed); inside one, it is a savepoint as usual.
    """
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    if request is not None:
        ip = ip or client_ip(request)
        if actor is None and getattr(request, "user", None) is not None and request.user.is_authenticated:
            actor = request.user
    actor_id = actor.pk if actor is not None else None
    actor_label = str(getattr(actor, "audit_label", "") or (actor or "")) if actor is not None else ""
    fields = dict(
        actor_id=actor_id,
        actor_label=actor_label[:100],
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        district=district or "",
        ip=normalize_ip(ip),
        details=_canonical(details or {}),
    )
    if own_transaction:
        entry = _append_committed(fields, then_sql)
        if entry is not None:
            return entry
    # savepoint=False: a caller that owns the transaction and would never carry on after a failed
    # entry saves the savepoint's two round trips.
    with transaction.atomic(savepoint=savepoint):
        head = _locked_head()
        entry = _new_entry(head.seq, head.last_hash, fields)
        _append(entry, head, then_sql)
    return entry


def _new_entry(seq: int, last_hash: str, fields: dict) -> AuditEntry:
    """The entry after the head (seq, last_hash), hashed under the current key."""
    keyring = keys.load(create_with_legacy_until=seq if keys.may_create_automatically() else None)
    fields = dict(fields, seq=seq + 1, at=timezone.now(), prev_hash=last_hash)
    key_id = keyring.current
    return AuditEntry(**fields, key_id=key_id, hash=entry_hash(**fields, key_id=key_id, secret=keyring.secret(key_id)))


_statements: dict[str, tuple[str, str]] = {}  # per database: the head's SELECT, the entry's WITH


def _sql(using: str) -> tuple[str, str]:
    """The two PostgreSQL statements of an append, written once per process from the models."""
    if using not in _statements:
        qn = connections[using].ops.quote_name
        meta, head = AuditEntry._meta, AuditChainHead._meta
        seq, last_hash = qn(head.get_field("seq").column), qn(head.get_field("last_hash").column)
        columns = [qn(f.column) for f in _entry_fields()]
        _statements[using] = (
            f"SELECT {seq}, {last_hash} FROM {qn(head.db_table)} WHERE {qn(head.pk.column)} = 1 FOR UPDATE",
            f"WITH entry AS (INSERT INTO {qn(meta.db_table)} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING {qn(meta.pk.column)}), "
            f"head AS (UPDATE {qn(head.db_table)} SET {seq} = %s, {last_hash} = %s WHERE {qn(head.pk.column)} = 1)",
        )
    return _statements[using]


def _entry_fields():
    return [f for f in AuditEntry._meta.local_concrete_fields if not f.primary_key]


# Fields whose column value is the attribute as it stands (str, int, an aware datetime, a key's id):
# the cursor adapts those itself. Any other field (the JSON details) goes through its own adapter.
_AS_IS = (models.CharField, models.IntegerField, models.DateTimeField, models.ForeignKey)
_plans: dict[str, list] = {}


def _entry_params(entry: AuditEntry, connection) -> list:
    """The INSERT's parameters, as `f.get_db_prep_save(f.pre_save(entry, True), connection)` for
    each field would give them (none of the fields has a pre_save of its own)."""
    plan = _plans.get(connection.alias)
    if plan is None:
        plan = _plans[connection.alias] = [(f.attname, None if isinstance(f, _AS_IS) else f) for f in _entry_fields()]
    return [
        getattr(entry, name) if field is None else field.get_db_prep_save(getattr(entry, name), connection)
        for name, field in plan
    ]


def _append_statement(entry: AuditEntry, connection, then_sql) -> tuple[str, list]:
    """The ONE PostgreSQL statement of an append: the entry inserted and the head moved to it (a
    data-modifying WITH, whose parts all run or none), then the caller's statement if any."""
    statement = _sql(connection.alias)[1]
    params = _entry_params(entry, connection)
    params += [entry.seq, entry.hash]
    if then_sql is not None:
        statement += f", then_sql AS ({then_sql[0]})"
        params += list(then_sql[1])
    return f"{statement} SELECT {connection.ops.quote_name(AuditEntry._meta.pk.column)} FROM entry", params


def _append_committed(fields: dict, then_sql) -> AuditEntry | None:
    """The entry in a transaction of its own on PostgreSQL, in TWO round trips: `BEGIN` with the
    head's lock, then the entry's statement with `COMMIT` — instead of four (BEGIN, lock, entry,
    COMMIT). Committed, so durable, when this returns. Only where Django has no transaction open
    (autocommit, no atomic block) and the cursor binds parameters client-side, which lets one
    execute carry several statements; None: not done here, the caller takes the ordinary way."""
    using = router.db_for_write(AuditEntry)
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block or not connection.get_autocommit():
        return None
    with connection.cursor() as cursor:
        if not compiled.sends_together(cursor):
            return None
        try:
            cursor.execute(f"BEGIN; {_sql(using)[0]}")
            cursor.nextset()
            row = cursor.fetchone()
            if row is None:  # no head yet: the chain's first entry goes the ordinary way
                _rollback(connection)
                return None
            entry = _new_entry(row[0], row[1], fields)
            statement, params = _append_statement(entry, connection, then_sql)
            cursor.execute(f"{statement}; COMMIT", params)
            entry.pk = cursor.fetchone()[0]
        except BaseException:
            _rollback(connection)
            raise
    entry._state.adding, entry._state.db = False, using
    return entry


def _rollback(connection) -> None:
    """End the transaction _append_committed opened (psycopg's rollback sends ROLLBACK only when one
    is open). A connection that cannot is closed: it must never serve a request mid-transaction."""
    try:
        connection.connection.rollback()
    except Exception:
        connection.close()


def _locked_head() -> AuditChainHead:
    """The chain's head, locked until the transaction ends (created on first use). On PostgreSQL a
    plain SELECT … FOR UPDATE: the same statement as the ORM's, without its Python on every
    audited call."""
    using = router.db_for_write(AuditChainHead)
    if connections[using].vendor == "postgresql":
        with connections[using].cursor() as cursor:
            cursor.execute(_sql(using)[0])
            row = cursor.fetchone()
        if row is not None:
            head = AuditChainHead(pk=1, seq=row[0], last_hash=row[1])
            head._state.adding, head._state.db = False, using
            return head
    head, _ = (
        AuditChainHead.objects.using(using)
        .select_for_update()
        .get_or_create(pk=1, defaults={"seq": 0, "last_hash": GENESIS_HASH})
    )
    return head


def _append(entry: AuditEntry, head: AuditChainHead, then_sql=None) -> None:
    """INSERT the entry and move the (locked) head to it, then the caller's statement if any.

    On PostgreSQL that is ONE statement (_append_statement), so an audited call waits for one round
    trip here instead of two or three; elsewhere one statement each. The row and the head are the
    same either way (tests/audit)."""
    head.seq, head.last_hash = entry.seq, entry.hash
    using = router.db_for_write(AuditEntry)
    connection = connections[using]
    if connection.vendor != "postgresql":
        entry.save(using=using)
        head.save(using=using, update_fields=["seq", "last_hash"])
        if then_sql is not None:
            with connection.cursor() as cursor:
                cursor.execute(*then_sql)
        return
    with connection.cursor() as cursor:
        cursor.execute(*_append_statement(entry, connection, then_sql))
        entry.pk = cursor.fetchone()[0]
    entry._state.adding, entry._state.db = False, using


def audit_search(*, actor, q: str, where: str, district: str | None = None, ip: str | None = None) -> None:
    """A staff search by name, ID number or certificate number looks people up, so it is audited
    with what was searched (PRODUCT.md: every read of personal data in review). Paging or filtering
    a list, which shows masked ID numbers only, is not. `where`: the list searched."""
    q = q.strip()
    if q:
        audit_record(
            action="staff.search", actor=actor, district=district or "", ip=ip, details={"q": q[:100], "where": where}
        )
