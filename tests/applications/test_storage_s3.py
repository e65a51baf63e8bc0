"""Materials on S3-compatible object storage (django-storages) against a real moto_server, and the
three ways a private file leaves after the access check (MATERIALS_DELIVERY): streamed, handed to
nginx (X-Accel-Redirect), or a short-lived presigned URL. Someone else's file stays a 404 in each."""

import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from registry.applications.models import Attachment
from tests import files
from tests.conftest import require_service

from .conftest import post_file

pytestmark = pytest.mark.django_db

MOTO = Path(sys.executable).parent / "moto_server"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    """A standalone moto S3 server on a free port of 127.0.0.1, for this test session."""
    if not MOTO.exists():
        require_service("moto_server", False, "install the dev extras (pip install -c constraints.txt -e '.[dev]')")
    port = _free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    process = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        require_service("moto_server", False, f"it did not answer on {url} within 30 s")
    yield url
    process.terminate()
    process.wait(10)
    log.close()


@pytest.fixture
def s3(moto_endpoint, settings):
    """Materials in a fresh bucket of the moto server; returns (boto3 client, bucket)."""
    import boto3

    bucket = f"materials-{uuid.uuid4().hex[:12]}"
    options = {
        "bucket_name": bucket,
        "endpoint_url": moto_endpoint,
        "access_key": "testing",
        "secret_key": "testing",
        "region_name": "us-east-1",
        "addressing_style": "path",
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
        "signature_version": "s3v4",
    }
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    return client, bucket


def _upload_photo(logged_in, draft) -> tuple[Attachment, bytes]:
    response = post_file(logged_in, draft.pk, "photo", files.photo_jpeg(), "photo.jpg")
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get(pk=response.json()["id"])
    return attachment, attachment.file.read()


def test_material_stored_in_s3_and_read_through_the_access_check(s3, logged_in, draft, api, other_person):
    client, bucket = s3
    attachment, stored = _upload_photo(logged_in, draft)
    body = client.get_object(Bucket=bucket, Key=attachment.file.name)["Body"].read()
    assert body == stored and stored[:2] == b"\xff\xd8"  # the re-encoded JPEG is the object in the bucket

    response = logged_in.get(f"/api/v1/attachments/{attachment.pk}/content")
    assert response.status_code == 200 and b"".join(response.streaming_content) == stored
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"

    api.login(other_person.phone)
    assert api.get(f"/api/v1/attachments/{attachment.pk}/content").status_code == 404


def test_presigned_redirect_after_the_access_check(s3, logged_in, draft, api, other_person, settings):
    settings.MATERIALS_DELIVERY = "redirect"
    settings.STORAGE_S3_URL_SECONDS = 30
    attachment, stored = _upload_photo(logged_in, draft)
    response = logged_in.get(f"/api/v1/attachments/{attachment.pk}/content")
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(s3[0].meta.endpoint_url + "/") and "X-Amz-Expires=30" in url
    with urllib.request.urlopen(url, timeout=10) as fetched:  # what the browser does next
        assert fetched.read() == stored
        assert fetched.headers["Content-Type"] == "image/jpeg"
    api.login(other_person.phone)
    assert api.get(f"/api/v1/attachments/{attachment.pk}/content").status_code == 404


def test_x_accel_redirect_for_nginx(logged_in, draft, api, other_person, settings, _private_media):
    settings.MATERIALS_DELIVERY = "x-accel"
    attachment, stored = _upload_photo(logged_in, draft)
    response = logged_in.get(f"/api/v1/attachments/{attachment.pk}/content")
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected/{attachment.file.name}"
    assert (_private_media / attachment.file.name).read_bytes() == stored  # what nginx's alias serves
    assert response["X-Content-Type-Options"] == "nosniff"
    api.login(other_person.phone)
    assert api.get(f"/api/v1/attachments/{attachment.pk}/content").status_code == 404
