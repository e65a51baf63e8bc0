"""The audit chain's HMAC keys, kept outside the database (AUDIT_KEY_PATH).

Someone who can write to the database but cannot read this file cannot produce a row hash that
verifies: editing a row and recomputing every later hash needs the key. The file is a small JSON
keyring, so the key can be rotated: new rows use `current`, old rows keep naming the key they were
hashed with (AuditEntry.key_id), and every key ever used stays in the file for verification.

Rows written before the chain was keyed have key_id "" and a plain SHA-256 hash; they are accepted
only up to `legacy_until`, the sequence number the chain had when the keyring was created — a
number kept here, not in the database, so a database writer cannot extend it.
"""

import base64
import datetime as dt
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

FORMAT = "accountant-registry/audit-keys"


class AuditKeyMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: dict[str, bytes]
    legacy_until: int

    def secret(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)


_cache: dict[str, tuple[tuple[int, int], Keyring]] = {}


def key_path() -> Path:
    return Path(settings.AUDIT_KEY_PATH)


def _new_key_id() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y%m%d}-{secrets.token_hex(4)}"


def _parse(raw: dict) -> Keyring:
    if raw.get("format") != FORMAT:
        raise AuditKeyMissing(f"{key_path()} is not an audit keyring")
    keys = {key_id: base64.b64decode(item["secret"]) for key_id, item in raw["keys"].items()}
    return Keyring(current=raw["current"], keys=keys, legacy_until=int(raw.get("legacy_until", 0)))


def _write(raw: dict, *, exclusive: bool) -> None:
    """Write atomically (a reader never sees half a file); `exclusive`: only if none exists yet."""
    path = key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-keys-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(raw, out, indent=2, sort_keys=True)
        os.chmod(tmp, 0o600)
        if exclusive:
            os.link(tmp, path)  # fails if another process created it first: theirs wins
        else:
            os.replace(tmp, path)
            tmp = None
    except FileExistsError:
        pass
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _entry(secret: bytes) -> dict:
    return {"secret": base64.b64encode(secret).decode(), "created_at": dt.datetime.now(dt.UTC).isoformat()}


def load(*, create_with_legacy_until: int | None = None) -> Keyring:
    """The keyring, re-read when the file changes (a rotation reaches running workers).

    `create_with_legacy_until`: create the keyring if there is none (development, `audit_keys
    --create`), accepting unkeyed rows up to that sequence number."""
    path = key_path()
    try:
        stat = path.stat()
        version = (stat.st_ino, stat.st_mtime_ns)  # a rotation writes a new file: a new inode
    except FileNotFoundError:
        if create_with_legacy_until is None:
            raise AuditKeyMissing(
                f"审计日志密钥文件不存在（AUDIT_KEY_PATH={path}）：请运行 manage.py audit_keys --create。"
            ) from None
        key_id = _new_key_id()
        raw = {
            "format": FORMAT,
            "current": key_id,
            "legacy_until": create_with_legacy_until,
            "keys": {key_id: _entry(secrets.token_bytes(32))},
        }
        _write(raw, exclusive=True)
        return load()
    cached = _cache.get(str(path))
    if cached and cached[0] == version:
        return cached[1]
    keyring = _parse(json.loads(path.read_text(encoding="utf-8")))
    _cache[str(path)] = (version, keyring)
    return keyring


def rotate() -> str:
    """Add a new key and make it current; earlier keys stay for verifying the rows they hashed."""
    raw = json.loads(key_path().read_text(encoding="utf-8"))
    _parse(raw)
    key_id = _new_key_id()
    raw["keys"][key_id] = _entry(secrets.token_bytes(32))
    raw["current"] = key_id
    _write(raw, exclusive=False)
    return key_id


def may_create_automatically() -> bool:
    """Development creates the key on first use; production needs `audit_keys --create`."""
    return not settings.PRODUCTION
