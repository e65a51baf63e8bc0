"""Project-level guards: migrations current, settings documented, production refuses unsafe config."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_migrations_are_current():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_settings_reference_is_current():
    from registry.core.management.commands.settings_reference import render

    documented = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert documented == render(), "run: python manage.py settings_reference > docs/settings.md"


def test_committed_openapi_schema_is_current():
    from registry.api.management.commands.openapi_schema import render

    committed = (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert committed == render(), "run: python manage.py openapi_schema > docs/openapi.json"


@pytest.mark.django_db
def test_served_schema_is_the_committed_one(client):
    import json

    assert client.get("/api/v1/openapi.json").json() == json.loads((ROOT / "docs" / "openapi.json").read_text())


SETUP = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup()"


def _settings_import(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REGISTRY_"))}
    return subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _settings_import({"REGISTRY_ENV": "production"})
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_debug():
    result = _settings_import({"REGISTRY_ENV": "production", "DJANGO_SECRET_KEY": "x" * 50, "DJANGO_DEBUG": "true"})
    assert result.returncode != 0 and "DJANGO_DEBUG must be false" in result.stderr


def test_production_refuses_the_console_sms_backend():
    """The console backend writes every code into the server log."""
    production = {"REGISTRY_ENV": "production", "DJANGO_SECRET_KEY": "x" * 50}
    refused = _settings_import(production)  # SMS_BACKEND defaults to console
    assert refused.returncode != 0 and "SMS_BACKEND=console is for development" in refused.stderr
    explicit = _settings_import({**production, "SMS_BACKEND": "console"})
    assert explicit.returncode != 0 and "SMS_BACKEND=console" in explicit.stderr
    assert _settings_import({**production, "SMS_BACKEND": "file"}).returncode == 0
