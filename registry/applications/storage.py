"""Materials in the file storage (local folder or S3): every failure of the backend becomes one
error people understand — 503 `storage_unavailable` — and a logged traceback for the operator."""

import logging
from collections.abc import Iterable
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from registry.core.errors import ServiceError

logger = logging.getLogger("registry.storage")

try:  # S3 (STORAGE_BACKEND=s3): network, credential and bucket errors come from botocore
    from botocore.exceptions import BotoCoreError, ClientError

    STORAGE_ERRORS: tuple[type[BaseException], ...] = (OSError, BotoCoreError, ClientError)
except ImportError:  # pragma: no cover - botocore is installed with django-storages[s3]
    STORAGE_ERRORS = (OSError,)


class StorageUnavailable(ServiceError):
    status = 503

    def __init__(self):
        super().__init__("storage_unavailable", "文件存储暂时不可用，本次操作未完成，请稍后再试。", field="")


@contextmanager
def storage_errors(what: str):
    """Turn a storage failure inside the block into StorageUnavailable (503), logged with its traceback."""
    try:
        yield
    except STORAGE_ERRORS:
        logger.exception("file storage failed: %s", what)
        raise StorageUnavailable() from None


def save(name: str, content: bytes) -> str:
    """Store bytes under `name`; returns the name the storage used."""
    with storage_errors(f"save {name}"):
        return default_storage.save(name, ContentFile(content))


def read(name: str) -> bytes:
    with storage_errors(f"read {name}"):
        with default_storage.open(name, "rb") as fh:
            return fh.read()


def open_for_reading(name: str):
    with storage_errors(f"open {name}"):
        return default_storage.open(name, "rb")


def delete_quietly(names: Iterable[str]) -> None:
    """Remove files nobody refers to any more. A failure leaves an orphan file, logged, never an error
    for the person: their action is already committed (or already refused)."""
    for name in names:
        try:
            default_storage.delete(name)
        except STORAGE_ERRORS:
            logger.exception("file storage failed: delete %s (orphan file left)", name)
