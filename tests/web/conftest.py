"""Fixtures the web tests share with the application tests."""

from tests.applications.conftest import draft, person, ready, submitted, valid_form  # noqa: F401
