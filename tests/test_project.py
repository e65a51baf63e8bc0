"""Project-level guards: migrations current, settings documented, production refuses unsafe config."""

import json
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


PRINT_SECURITY = (
    "; from django.conf import settings as s; import json; print(json.dumps([s.SECURE_SSL_REDIRECT, "
    "s.SECURE_REDIRECT_EXEMPT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_PROXY_SSL_HEADER, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE]))"
)
PRODUCTION_ENV = {
    "REGISTRY_ENV": "production",
    "DJANGO_SECRET_KEY": "x" * 50,
    "DJANGO_DEBUG": "false",
    "SMS_BACKEND": "file",
}


def _security_settings(env: dict) -> list:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REGISTRY_"))}
    result = subprocess.run(
        [sys.executable, "-c", SETUP + PRINT_SECURITY],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_turns_on_https_redirect_hsts_and_the_proxy_header():
    redirect, exempt, hsts, subdomains, proxy_header, session_secure, csrf_secure = _security_settings(PRODUCTION_ENV)
    assert redirect is True and exempt == ["^healthz$"]
    assert hsts == 365 * 24 * 3600 and subdomains is False
    assert proxy_header == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert session_secure is True and csrf_secure is True


def test_production_https_settings_are_configurable():
    values = _security_settings(
        {
            **PRODUCTION_ENV,
            "DJANGO_SECURE_HSTS_SECONDS": "600",
            "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
            "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Scheme",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
        }
    )
    assert values[0] is False and values[2] == 600 and values[3] is True
    assert values[4] == ["HTTP_X_FORWARDED_SCHEME", "https"]
    assert _security_settings({**PRODUCTION_ENV, "DJANGO_SECURE_PROXY_SSL_HEADER": "off"})[4] is None


def test_development_has_no_https_redirect_or_hsts():
    redirect, _, hsts, _, proxy_header, *_ = _security_settings({})
    assert redirect is False and hsts == 0 and proxy_header is None


@pytest.mark.django_db
def test_https_redirect_exempts_healthz_and_hsts_is_sent_over_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    plain = client.get("/contacts/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/contacts/"
    health = client.get("/healthz")
    assert health.status_code == 200 and "Strict-Transport-Security" not in health  # HSTS only over HTTPS

    secure = client.get("/contacts/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # a client cannot claim HTTPS through another header
    assert client.get("/contacts/", HTTP_X_FORWARDED_SCHEME="https").status_code == 301


def test_production_refuses_the_console_sms_backend():
    """The console backend writes every code into the server log."""
    production = {"REGISTRY_ENV": "production", "DJANGO_SECRET_KEY": "x" * 50}
    refused = _settings_import(production)  # SMS_BACKEND defaults to console
    assert refused.returncode != 0 and "SMS_BACKEND=console is for development" in refused.stderr
    explicit = _settings_import({**production, "SMS_BACKEND": "console"})
    assert explicit.returncode != 0 and "SMS_BACKEND=console" in explicit.stderr
    assert _settings_import({**production, "SMS_BACKEND": "file"}).returncode == 0


def test_env_template_lists_every_setting():
    """deploy/env.template (the production environment file) names every variable the product reads."""
    from config.env import DECLARED

    template = (ROOT / "deploy" / "env.template").read_text(encoding="utf-8")
    named = {line.lstrip("#").split("=", 1)[0] for line in template.splitlines() if "=" in line}
    assert not set(DECLARED) - named, "add them to deploy/env.template"
