import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from registry.accounts.models import User
from registry.audit.verification import verify_chain
from registry.core.models import Code, Region
from registry.demo.services import DEMO_LOGINS

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_is_idempotent_and_logins_work(capsys):
    call_command("seed_demo")
    counts = (User.objects.count(), Region.objects.count(), Code.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Region.objects.count(), Code.objects.count()) == counts
    assert counts[0] == len(DEMO_LOGINS)
    out = capsys.readouterr().out
    for login in DEMO_LOGINS:
        assert f"{login.phone} / {login.password}" in out
        assert authenticate(username=login.phone, password=login.password) is not None
    reviewer = User.objects.get(phone="13800000002")
    assert list(reviewer.districts.values_list("code", flat=True)) == ["110105"]
    assert User.objects.get(phone="13800000009").is_superuser
    assert verify_chain().ok


def test_seed_demo_keeps_an_admins_contact_edit():
    call_command("seed_demo")
    Region.objects.filter(code="110105").update(contact_phone="010-12345678")
    call_command("seed_demo")
    assert Region.objects.get(code="110105").contact_phone == "010-12345678"


def test_seed_demo_refuses_in_production(tmp_path):
    """The demo superuser's password is in the README: a production deployment must never get it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REGISTRY_", "DATABASE_", "SMS_"))},
        "REGISTRY_ENV": "production",
        "DJANGO_SECRET_KEY": "p" * 50,
        "SMS_BACKEND": "file",
        "REGISTRY_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }

    def manage(*args):
        return subprocess.run(
            [sys.executable, str(root / "manage.py"), *args], env=env, cwd=root, capture_output=True, text=True
        )

    assert manage("migrate", "-v0").returncode == 0
    for args in (["seed_demo"], ["seed_demo", "--people", "5"]):
        result = manage(*args)
        assert result.returncode != 0
        assert "生产环境不能载入演示数据" in result.stderr
        assert "Chaoji2026" not in result.stdout + result.stderr
    counts = manage("shell", "-v0", "-c", "from registry.accounts.models import User; print(User.objects.count())")
    assert counts.returncode == 0 and counts.stdout.strip() == "0"
