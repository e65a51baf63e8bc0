"""Fixtures the API tests share with the application tests."""

from tests.applications.conftest import draft, person, valid_form  # noqa: F401
