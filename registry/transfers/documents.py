"""Signed transfer documents between deployments of this product (another province's system).

The source exports the record and its history as JSON, signed with its Ed25519 key; the
destination accepts it only when the signature verifies against a peer key an admin configured,
the document is addressed to this jurisdiction, and it has not been used here before.
"""

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from registry.core.errors import ServiceError

from .models import PeerKey, TransferCode

FORMAT = "accountant-registry/transfer-document"
VERSION = 1


def canonical(payload: dict) -> bytes:
    return json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder
    ).encode()


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


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
        "transfer_code": code.code,
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


def _refuse(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, field="transfer_document")


def verify_document(document) -> dict:
    """The payload of a genuine document addressed to us; a clear error for anything else."""
    if not isinstance(document, dict) or not isinstance(document.get("payload"), dict) or "signature" not in document:
        raise _refuse("document_invalid", "调转文件格式不正确：请上传原地区系统导出的调转文件（JSON）。")
    payload = document["payload"]
    if payload.get("format") != FORMAT or payload.get("version") != VERSION:
        raise _refuse("document_invalid", "调转文件格式或版本不受支持。")
    key_id = str((payload.get("issuer") or {}).get("key_id") or document.get("key_id") or "")
    peer = PeerKey.objects.filter(key_id=key_id, active=True).first()
    if peer is None:
        raise _refuse(
            "document_unknown_signer",
            "调转文件不是由已登记的对端系统签发的（未配置该系统的公钥），请联系市财政局管理员核实。",
        )
    try:
        public_key = serialization.load_pem_public_key(peer.public_key.encode())
        public_key.verify(base64.b64decode(document["signature"]), canonical(payload))
    except (InvalidSignature, ValueError, TypeError):
        raise _refuse(
            "document_bad_signature", "调转文件签名校验失败：文件内容被修改过，或不是对端系统签发的。"
        ) from None
    if str((payload.get("issuer") or {}).get("region", ""))[:2] != peer.region_id[:2]:
        raise _refuse("document_wrong_issuer", f"调转文件声称来自其他省份，但签名密钥登记为{peer.region.name}的系统。")
    if payload.get("destination_region", "")[:2] != settings.REGISTRY_JURISDICTION[:2]:
        raise _refuse("document_wrong_destination", "该调转文件不是调往本地区的。")
    expires = dt.datetime.fromisoformat(payload["code_expires_at"])
    if expires <= timezone.now():
        raise _refuse("transfer_code_expired", "该调转文件对应的调转编号已过期，请向原地区重新申请调出。")
    return payload
