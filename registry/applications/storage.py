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


# --- Delivery of a private file after the access check (MATERIALS_DELIVERY) -------------------------

PRIVATE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}


def delivery_response(*, name: str, stream, content_type: str, disposition: str, filename: str):
    """The answer for a stored file the caller was allowed to read (checked and audited before this):
    `stream` — the app sends the bytes; `x-accel` — nginx sends the file named in X-Accel-Redirect from
    its internal /protected/ location (local storage); `redirect` — a presigned URL of the object
    storage, valid STORAGE_S3_URL_SECONDS (S3). The headers that keep a browser from running a file
    go on every answer (nginx repeats them for x-accel; the redirect target carries its own type and
    disposition)."""
    from urllib.parse import quote

    from django.conf import settings
    from django.http import FileResponse, HttpResponse, HttpResponseRedirect

    content_disposition = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    mode = settings.MATERIALS_DELIVERY
    if mode == "stream":
        response = FileResponse(stream, content_type=content_type)
    else:
        stream.close()
        if mode == "x-accel":
            response = HttpResponse(content_type=content_type)
            response["X-Accel-Redirect"] = settings.MATERIALS_ACCEL_PREFIX + quote(name)
        else:  # redirect
            with storage_errors(f"sign {name}"):
                url = default_storage.url(
                    name,
                    parameters={"ResponseContentType": content_type, "ResponseContentDisposition": content_disposition},
                    expire=settings.STORAGE_S3_URL_SECONDS,
                )
            response = HttpResponseRedirect(url)
    response["Content-Disposition"] = content_disposition
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response
