"""Anchors: the chain's head, signed and kept outside the database (AUDIT_ANCHOR_DIR).

A scheduled job (`manage.py audit_anchor`, every 15 minutes) writes the latest sequence number and
hash, signed with this deployment's Ed25519 key (the transfer-document key, TRANSFER_KEY_PATH).
`verify_audit` then requires every anchored row to exist with the anchored hash: a rewritten chain,
or a tail cut off with the head row "fixed", no longer matches what was anchored before.
Put the folder on other storage than the database (another host, a write-once bucket by sync).
"""

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.utils import timezone

from .models import AuditEntry

FORMAT = "accountant-registry/audit-anchor"
VERSION = 1


class AnchorRefused(RuntimeError):
    """The chain does not verify: anchoring it now would vouch for a tampered log."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems[:5]))
        self.problems = problems


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    anchored_at: str
    name: str


def anchor_dir() -> Path:
    return Path(settings.AUDIT_ANCHOR_DIR)


def _signing_key():
    # The deployment's one Ed25519 key; development creates it on first use, as for transfers.
    from registry.transfers.documents import load_private_key

    return load_private_key(create=not settings.PRODUCTION)


def _canonical(payload: dict) -> bytes:
    from registry.transfers.documents import canonical

    return canonical(payload)


def _key_id(public_key) -> str:
    from registry.transfers.documents import key_id_of

    return key_id_of(public_key)


def read_anchors() -> tuple[list[Anchor], list[str]]:
    """Every anchor whose signature holds (oldest first), and a problem for every file that does not."""
    folder = anchor_dir()
    files = sorted(folder.glob("anchor-*.json")) if folder.is_dir() else []
    if not files:
        return [], []
    public_key = _signing_key().public_key()
    own_key_id = _key_id(public_key)
    anchors, problems = [], []
    for path in files:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            payload = document["payload"]
            if payload.get("format") != FORMAT or payload.get("signing_key_id") != own_key_id:
                raise ValueError("not signed by this deployment's key")
            public_key.verify(base64.b64decode(document["signature"]), _canonical(payload))
            anchors.append(Anchor(int(payload["seq"]), str(payload["hash"]), str(payload["anchored_at"]), path.name))
        except (OSError, ValueError, KeyError, TypeError, InvalidSignature):
            problems.append(f"锚点文件 {path.name} 的签名无效或格式不符（锚点被篡改或伪造）")
    anchors.sort(key=lambda a: a.seq)
    return anchors, problems


def write_anchor() -> tuple[Anchor | None, bool]:
    """Anchor the current head. Idempotent: returns (anchor, written) — written is False when the
    head is already anchored (or the log is empty). Refuses to anchor a chain that does not verify
    from the previous anchor on (AnchorRefused)."""
    from .verification import verify_chain

    last = AuditEntry.objects.order_by("-seq").only("seq", "hash").first()
    if last is None:
        return None, False
    anchors, problems = read_anchors()
    previous = anchors[-1] if anchors else None
    if previous is not None and (previous.seq, previous.hash) == (last.seq, last.hash):
        return previous, False
    report = verify_chain(since=previous)
    if problems or not report.ok:
        raise AnchorRefused(problems + report.problems)
    key = _signing_key()
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "deployment": settings.REGISTRY_DEPLOYMENT_NAME,
        "seq": last.seq,
        "hash": last.hash,
        "anchored_at": timezone.now().isoformat(),
        "signing_key_id": _key_id(key.public_key()),
    }
    document = {"payload": payload, "signature": base64.b64encode(key.sign(_canonical(payload))).decode()}
    folder = anchor_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"anchor-{last.seq:012d}-{last.hash[:16]}.json"  # sorts by sequence number
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".anchor-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(document, out, ensure_ascii=False, indent=2)
    os.replace(tmp, folder / name)
    return Anchor(last.seq, last.hash, payload["anchored_at"], name), True
