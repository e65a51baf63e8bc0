import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from registry.accounts.models import ApiClient, Role, User, hash_api_key
from registry.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_create_staff_reviewer_with_districts(capsys):
    call_command(
        "create_staff",
        "--phone",
        "13911112222",
        "--password",
        "Shenhe2026x",
        "--role",
        "reviewer",
        "--district",
        "110105",
        "--district",
        "11YS00",
    )
    user = User.objects.get(phone="13911112222")
    assert user.role == Role.REVIEWER and not user.is_staff
    assert sorted(user.districts.values_list("code", flat=True)) == ["110105", "11YS00"]
    assert authenticate(username="13911112222", password="Shenhe2026x") == user
    assert "朝阳区" in capsys.readouterr().out
    assert AuditEntry.objects.filter(action="staff.create", target_id=str(user.pk)).exists()


def test_create_staff_takes_several_districts_after_one_flag_as_api_md_writes_it():
    """API.md: `--district 110105 ...`; only a repeated flag used to work."""
    call_command(
        "create_staff", "--phone", "13911113333", "--password", "Shenhe2026x", "--role", "reviewer",
        "--district", "110105", "110108", "--district", "11YS00",
    )  # fmt: skip
    user = User.objects.get(phone="13911113333")
    assert sorted(user.districts.values_list("code", flat=True)) == ["110105", "110108", "11YS00"]


def test_create_staff_admin_gets_code_table_permissions():
    call_command("create_staff", "--phone", "13911113333", "--password", "Guanli2026x", "--role", "admin")
    user = User.objects.get(phone="13911113333")
    assert user.is_staff and user.has_perm("core.change_region") and user.has_perm("core.add_calendarday")
    assert not user.has_perm("accounts.change_user")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--district", "999999"], "不是可审核的区"),
        (["--district", "110103"], "不是可审核的区"),  # 崇文区, merged in 2010
        ([], "至少需要负责一个区"),
    ],
)
def test_create_staff_refuses_bad_districts(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_staff", "--phone", "13911114444", "--password", "Shenhe2026x", "--role", "reviewer", *args)
    assert not User.objects.filter(phone="13911114444").exists()


@pytest.mark.parametrize("password", ["short1a", "onlyletters", "1234567890", "a13911115555b"])
def test_create_staff_refuses_weak_passwords(password):
    with pytest.raises(CommandError):
        call_command("create_staff", "--phone", "13911115555", "--password", password, "--role", "admin")
    assert not User.objects.filter(phone="13911115555").exists()


def test_create_staff_twice_needs_update():
    call_command("create_staff", "--phone", "13911116666", "--password", "Guanli2026x", "--role", "admin")
    with pytest.raises(CommandError, match="已注册"):
        call_command("create_staff", "--phone", "13911116666", "--password", "Guanli2026y", "--role", "admin")
    call_command("create_staff", "--phone", "13911116666", "--password", "Guanli2026y", "--role", "admin", "--update")
    assert authenticate(username="13911116666", password="Guanli2026y") is not None


def test_login_by_id_number_once_collected():
    from tests.factories import PASSWORD, UserFactory

    user = UserFactory(id_number="11010519491231002X")
    assert authenticate(username="11010519491231002x", password=PASSWORD) == user
    assert authenticate(username=user.phone, password=PASSWORD) == user
    assert authenticate(username=user.phone, password="wrong-password1") is None


def test_create_api_client_prints_key_once_and_stores_only_its_hash(capsys):
    call_command("create_api_client", "--name", "会计资格考试报名系统", "--scope", "verify")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("ar_") and len(key) > 40
    client = ApiClient.objects.get(name="会计资格考试报名系统")
    assert client.key_hash == hash_api_key(key) and key not in (client.key_hash, client.key_prefix)
    assert client.scope == "verify"
    assert AuditEntry.objects.filter(action="api_client.create").count() == 1
    with pytest.raises(CommandError, match="已存在"):
        call_command("create_api_client", "--name", "会计资格考试报名系统", "--scope", "verify")
