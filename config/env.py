"""Settings from environment variables, through one helper.

Every variable the product reads is declared here with a default and a help text, so that
`python manage.py settings_reference` can print the full list (docs/settings.md is checked
against it by a test).
"""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class EnvVar:
    name: str
    default: str | None
    help: str


DECLARED: dict[str, EnvVar] = {}


class ImproperlyConfiguredEnv(RuntimeError):
    pass


def env_str(name: str, default: str | None, help: str) -> str | None:
    DECLARED[name] = EnvVar(name, default, help)
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool, help: str) -> bool:
    raw = env_str(name, "true" if default else "false", help)
    value = (raw or "").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredEnv(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int, help: str) -> int:
    raw = env_str(name, str(default), help)
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ImproperlyConfiguredEnv(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str], help: str) -> list[str]:
    raw = env_str(name, ",".join(default), help)
    return [item.strip() for item in (raw or "").split(",") if item.strip()]
