"""The cap on "other" files holds when uploads race over real PostgreSQL connections."""

import pytest

from registry.applications.models import Attachment
from registry.core.errors import ServiceError
from tests import files
from tests.applications.conftest import upload
from tests.review.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_other_uploads_never_pass_the_cap(postgres, code_tables, draft, person, settings, _private_media):
    settings.UPLOAD_OTHER_MAX = 2
    upload(draft, person, "other", files.png_bytes(), "first.png")
    outcomes = race(*[lambda: upload(draft, person, "other", files.png_bytes(), "award.png") for _ in range(4)])
    assert sorted(kind for kind, _ in outcomes) == ["error", "error", "error", "ok"], outcomes
    assert {v.code for k, v in outcomes if k == "error" and isinstance(v, ServiceError)} == {"too_many_attachments"}
    assert Attachment.objects.filter(application=draft, kind="other").count() == 2
    assert len([p for p in _private_media.rglob("*") if p.is_file()]) == 2  # the losers' files are gone
