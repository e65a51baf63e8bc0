"""A reviewer's districts must be inside this deployment's jurisdiction (REGISTRY_JURISDICTION)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from registry.accounts.models import User
from registry.accounts.services import staff_create
from registry.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

HEBEI = "130102"  # 石家庄市长安区: a real reviewing unit, of another province


def test_create_staff_refuses_a_district_of_another_province():
    with pytest.raises(ValidationError, match="不是可审核的区（须为本辖区的区县）：130102"):
        staff_create(phone="13911116666", password="Shenhe2026x", role="reviewer", district_codes=["110105", HEBEI])
    with pytest.raises(CommandError, match="须为本辖区的区县"):
        call_command("create_staff", "--phone", "13911116666", "--password", "Shenhe2026x", "--role", "reviewer",
                     "--district", HEBEI)  # fmt: skip
    assert not User.objects.filter(phone="13911116666").exists()


def test_the_jurisdiction_is_the_deployments(settings):
    settings.REGISTRY_JURISDICTION = "130000"
    user = staff_create(phone="13911117777", password="Shenhe2026x", role="reviewer", district_codes=[HEBEI])
    assert list(user.districts.values_list("code", flat=True)) == [HEBEI]
    with pytest.raises(ValidationError, match="110105"):
        staff_create(phone="13911118888", password="Shenhe2026x", role="reviewer", district_codes=["110105"])


def test_admin_cannot_set_a_district_of_another_province(client, municipal_admin, chaoyang_reviewer):
    client.force_login(municipal_admin)
    html = client.post(
        f"/staff/users/{chaoyang_reviewer.pk}/districts/", {"districts": ["110105", HEBEI], "active": "1"}, follow=True
    ).content.decode()
    assert "须为本辖区的区县" in html
    assert list(chaoyang_reviewer.districts.values_list("code", flat=True)) == ["110105"]
    assert not AuditEntry.objects.filter(action="staff.districts").exists()
