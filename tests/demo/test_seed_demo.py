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
