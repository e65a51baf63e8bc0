"""Shared fixtures.

Code tables are loaded by a data migration, so every test database has them. Tests marked
`django_db(transaction=True)` run against a flushed database: request the `code_tables` fixture
there to load them again.
"""

import os

import pytest
from django.db import connection

from registry.accounts.models import Role
from registry.core import refdata, validators, workdays
from tests.factories import UserFactory


def require_service(name: str, available: bool, how: str) -> None:
    """Skip with a clear message when a service is missing — but fail under CI=true, where it must run."""
    if available:
        return
    message = f"{name} is not available: {how}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


@pytest.fixture
def postgres(db):
    """For tests of PostgreSQL behaviour (row locks, triggers). The SQLite pass skips them with a
    message; the PostgreSQL pass of .ci/run sets REQUIRE_POSTGRES=1, so there they can never skip."""
    if connection.vendor == "postgresql":
        return
    message = "needs PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry (see README)"
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"REQUIRE_POSTGRES=1 but the suite runs on {connection.vendor}; {message}")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Every test stores uploads in its own folder, never in var/media."""
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": media}},
    }
    return media


@pytest.fixture(autouse=True)
def _audit_keys(settings, tmp_path):
    """Every test has its own audit keyring and anchor folder (created on first use), never var/'s."""
    settings.AUDIT_KEY_PATH = str(tmp_path / "audit_keys.json")
    settings.AUDIT_ANCHOR_DIR = str(tmp_path / "audit-anchors")


@pytest.fixture(autouse=True)
def _fresh_caches():
    workdays.clear_cache()
    validators.clear_region_cache()
    refdata.clear()
    yield
    workdays.clear_cache()
    validators.clear_region_cache()
    refdata.clear()


@pytest.fixture
def api(client, django_capture_on_commit_callbacks):
    """JSON API calls through the test client (see tests.helpers.Api)."""
    from tests.helpers import Api

    return Api(client, django_capture_on_commit_callbacks)


@pytest.fixture
def sms_file(settings, tmp_path):
    """SMS go to a JSON-lines file this test reads codes from."""
    from tests.helpers import SmsFile

    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    return SmsFile(tmp_path / "sms.jsonl")


@pytest.fixture
def mail_dir(settings, tmp_path):
    """Email goes through Django's file backend (the development default) into this test's folder
    (pytest-django's own default is the in-memory backend)."""
    from tests.helpers import MailDir

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return MailDir(tmp_path / "mail")


@pytest.fixture
def code_tables(db):
    from registry.core.loaders import load_all
    from registry.core.models import CalendarDay, CalendarYear, Code, Region

    load_all(Region=Region, Code=Code, CalendarDay=CalendarDay, CalendarYear=CalendarYear)


@pytest.fixture
def applicant(db):
    return UserFactory(role=Role.APPLICANT)


@pytest.fixture
def chaoyang_reviewer(db):
    return UserFactory(reviewer=True, district_codes=["110105"])


@pytest.fixture
def haidian_reviewer(db):
    return UserFactory(reviewer=True, district_codes=["110108"])


@pytest.fixture
def municipal_admin(db):
    return UserFactory(admin=True)


# --- The second of everything: a test of a rule about "mine" / "my district" needs one that is not. ---


@pytest.fixture
def other_person(db):
    """Another applicant, with nothing yet."""
    return UserFactory(role=Role.APPLICANT)


@pytest.fixture
def other_district_application(db):
    """A submitted application of another person, managed by 海淀区 (110108), not 朝阳区."""
    from tests.factories import ApplicationFactory

    return ApplicationFactory(district_id="110108")


@pytest.fixture
def other_persons_code(db):
    """A valid transfer code of another (collected) person of 朝阳区."""
    from tests.factories import TransferCodeFactory

    return TransferCodeFactory()


@pytest.fixture(autouse=True)
def _material_checks_off(settings):
    """Materials are read back only where a test asks for it (tests/material_checks): a reading costs
    seconds of CPU, and its thread must not outlive the test's database."""
    settings.MATERIAL_CHECKS = False


@pytest.fixture
def reading_on(settings):
    """Materials are read back (off by default: _material_checks_off above). The OCR engine
    and the face cascade must load here: skipped with the reason on a machine without them, a
    failure under CI=true (scripts/test.sh installs libgl1 libglib2.0-0 opencv-data as root)."""
    from registry.material_checks import engine, faces

    try:
        engine.engine(1)
        why = ""
    except engine.EngineUnavailable as exc:
        why = str(exc)
    require_service("the OCR engine", not why, f"{why} (pip: rapidocr-onnxruntime; apt: libgl1 libglib2.0-0)")
    try:
        faces.cascade()
        why = ""
    except faces.CascadeUnavailable as exc:
        why = str(exc)
    require_service("the face cascade", not why, f"{why} (apt-get install opencv-data)")
    settings.MATERIAL_CHECKS = True
    return settings
