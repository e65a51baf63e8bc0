"""Signed transfer documents between deployments of this product (another province's system).

The source exports the record and its history as JSON, signed with its Ed25519 key; the
destination accepts it only when the signature verifies against a peer key an admin configured,
the person enters the transfer code the document is for (the document carries only a salted hash
of it, so holding the file is not enough), the document is addressed to this jurisdiction, and it
has not been used here before.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from registry.core import refdata
from registry.core.errors import ServiceError

from .models import PeerKey, TransferCode

FORMAT = "accountant-registry/transfer-document"
VERSION = 2  # 1 carried the transfer code itself; refused since the code became the second factor
# The code's hash: scrypt makes an offline search of the ~59-bit code space from a stolen file
# hopeless. The parameters belong to format version 2 (other values are not accepted).
CODE_HASH = {"alg": "scrypt", "n": 2**14, "r": 8, "p": 1}


def canonical(payload: dict) -> bytes:
    return json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder
    ).encode()


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def signing_key_ready() -> bool:
    """Whether this deployment can sign transfer documents (`transfer_keys --create` was run)."""
    return Path(settings.TRANSFER_KEY_PATH).exists()


def load_private_key(path: str | None = None, *, create: bool = False) -> Ed25519PrivateKey:
    key_path = Path(path or settings.TRANSFER_KEY_PATH)
    if not key_path.exists():
        if not create:
            raise ServiceError(
                "no_signing_key", "本系统尚未生成调转签名密钥：请运行 manage.py transfer_keys --create。", status=503
            )
        key = Ed25519PrivateKey.generate()
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_path.chmod(0o600)
        return key
    return serialization.load_pem_private_key(key_path.read_bytes(), password=None)


def export_document(*, code: TransferCode) -> dict:
    """The signed document for a transfer code this deployment issued (the person carries it)."""
    record = code.record
    key = load_private_key()
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "issuer": {
            "name": settings.REGISTRY_DEPLOYMENT_NAME,
            "region": settings.REGISTRY_JURISDICTION,
            "key_id": key_id_of(key.public_key()),
        },
        "issued_at": timezone.now().isoformat(),
        "transfer_code_hash": {
            **CODE_HASH,
            "salt": code.document_salt,
            "hash": code_hash(code.code, code.document_salt),
        },
        "code_expires_at": code.expires_at.isoformat(),
        "destination_region": code.destination_region_id,
        "person": {"id_number": record.id_number, "name": record.name},
        "record": {
            "district": record.district_id,
            "status": record.status,
            "versions": [
                {
                    "version": v.version,
                    "district": v.district_id,
                    "source": v.source,
                    "created_at": v.created_at.isoformat(),
                    "data": v.data,
                }
                for v in record.versions.order_by("version")
            ],
        },
    }
    payload = json.loads(canonical(payload))  # exactly what the signature covers
    signature = base64.b64encode(key.sign(canonical(payload))).decode()
    return {"payload": payload, "signature": signature, "key_id": payload["issuer"]["key_id"]}


def code_hash(code: str, salt: str) -> str:
    """The hash of a normalised transfer code (ZRxxxx-xxxx-xxxx) under a document's salt (hex)."""
    params = {k: CODE_HASH[k] for k in ("n", "r", "p")}
    return hashlib.scrypt(code.encode(), salt=bytes.fromhex(salt), dklen=32, **params).hex()


def not_accepted() -> ServiceError:
    """One answer for a forged or tampered document and for a missing or wrong code: whoever holds
    someone else's file learns nothing from trying."""
    return ServiceError(
        "document_invalid",
        "调转文件或调转编号不正确：请上传原地区系统为您本人导出的调转文件，并填写原地区出具给您的调转编号"
        "（见原地区系统“我的信息”页面及短信）。如确认无误，请联系市财政局管理员核实对端系统是否已登记。",
        field="transfer_document",
    )


def _refuse(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, field="transfer_document")


def verify_signature(document) -> dict:
    """The payload of a version-2 document signed by a registered peer; `not_accepted` for anything
    else (an old version gets its own message: it is the person's to fix, not a forgery)."""
    payload = document.get("payload") if isinstance(document, dict) else None
    if not isinstance(payload, dict) or not isinstance(document.get("signature"), str):
        raise not_accepted()
    if payload.get("format") == FORMAT and payload.get("version") == 1:
        raise _refuse(
            "document_version_unsupported",
            "这是旧版调转文件（第1版），本系统已不再接受：请在原地区系统重新下载调转文件，并与调转编号一并提交。",
        )
    if payload.get("format") != FORMAT or payload.get("version") != VERSION:
        raise not_accepted()
    issuer = payload.get("issuer")
    key_id = str(issuer.get("key_id") or "") if isinstance(issuer, dict) else ""
    peer = PeerKey.objects.filter(key_id=key_id, active=True).select_related("region").first() if key_id else None
    if peer is None:
        raise not_accepted()
    try:
        public_key = serialization.load_pem_public_key(peer.public_key.encode())
        public_key.verify(base64.b64decode(document["signature"], validate=True), canonical(payload))
    except (InvalidSignature, ValueError, TypeError):
        raise not_accepted() from None
    if str(issuer.get("region", ""))[:2] != peer.region_id[:2]:
        raise _refuse("document_wrong_issuer", f"调转文件声称来自其他省份，但签名密钥登记为{peer.region.name}的系统。")
    spec = payload.get("transfer_code_hash")
    if not isinstance(spec, dict) or {k: spec.get(k) for k in CODE_HASH} != CODE_HASH:
        raise not_accepted()
    if not (_is_hex(spec.get("salt"), 32) and _is_hex(spec.get("hash"), 64)):
        raise not_accepted()
    return payload


def _is_hex(value, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and all(c in "0123456789abcdef" for c in value)


def identity(payload: dict) -> tuple[str, str]:
    """What makes a verified document the same document: its signer and its code's hash."""
    return payload["issuer"]["key_id"], payload["transfer_code_hash"]["hash"]


def code_matches(payload: dict, code: str) -> bool:
    """Whether the normalised `code` is the one the verified document was issued for."""
    spec = payload["transfer_code_hash"]
    return hmac.compare_digest(code_hash(code, spec["salt"]), spec["hash"])


def check_addressed(payload: dict) -> None:
    """A genuine document, opened with its code: is it for this jurisdiction and still valid?"""
    if not refdata.in_home_province(str(payload.get("destination_region", ""))):
        raise _refuse("document_wrong_destination", "该调转文件不是调往本地区的。")
    try:
        expires = dt.datetime.fromisoformat(payload["code_expires_at"])
    except (KeyError, TypeError, ValueError):
        raise not_accepted() from None
    if expires <= timezone.now():
        raise _refuse("transfer_code_expired", "该调转文件对应的调转编号已过期，请向原地区重新申请调出。")
