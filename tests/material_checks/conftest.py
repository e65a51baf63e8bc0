import pytest

from tests.applications.conftest import draft, logged_in, person, post_file, upload, valid_form  # noqa: F401


@pytest.fixture
def reading_on(settings):
    """Materials are read back (the suite turns it off elsewhere: tests/conftest.py)."""
    settings.MATERIAL_CHECKS = True
    return settings
