import hashlib
import secrets
import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    APPLICANT = "applicant", "会计人员"
    REVIEWER = "reviewer", "区财政局审核员"
    ADMIN = "admin", "市财政局管理员"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra):
        if not phone:
            raise ValueError("phone is required")
        user = self.model(phone=phone, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra):
        extra.setdefault("role", Role.ADMIN)
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One account per real person. Staff are users with a role other than applicant."""

    phone = models.CharField("手机号码", max_length=11, unique=True)
    # Set when the person's ID number is collected; unique so one person cannot hold two accounts.
    id_number = models.CharField("证件号码", max_length=18, unique=True, null=True, blank=True)
    name = models.CharField("姓名", max_length=50, blank=True)
    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.APPLICANT, db_index=True)
    districts = models.ManyToManyField(
        "core.Region",
        verbose_name="负责的区",
        blank=True,
        related_name="reviewers",
        limit_choices_to={"is_reviewing_unit": True},
        help_text="审核员可审核的区（可多个）；市管理员可见全部区，无需设置。",
    )
    is_active = models.BooleanField("有效", default=True)
    is_staff = models.BooleanField("可进入管理后台", default=False)
    must_change_password = models.BooleanField("首次登录须修改密码", default=False)
    date_joined = models.DateTimeField("注册时间", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    def __str__(self) -> str:
        return f"{self.name or '用户'}（{self.phone}）"

    @property
    def audit_label(self) -> str:
        return f"{self.get_role_display()} {self.name or ''} {self.phone}".strip()


class ApiScope(models.TextChoices):
    VERIFY = "verify", "核验查询（考试、评审系统）"
    PROVIDER = "provider", "继续教育机构报送学分"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiClient(models.Model):
    """An outside system calling the API with `X-Api-Key`. Only a hash of the key is stored."""

    name = models.CharField("名称", max_length=100, unique=True)
    scope = models.CharField("权限范围", max_length=20, choices=ApiScope.choices)
    key_prefix = models.CharField("密钥前缀", max_length=12, db_index=True)
    key_hash = models.CharField("密钥哈希", max_length=64, unique=True)
    active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近调用", null=True, blank=True)
    call_count = models.PositiveBigIntegerField("调用次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "API 客户端"

    def __str__(self) -> str:
        return f"{self.name}（{self.get_scope_display()}）"

    @staticmethod
    def new_key() -> str:
        return "ar_" + secrets.token_urlsafe(32)


class ApiKeyCall(models.Model):
    """One accepted call of a key within the last minute, for the per-key rate limit
    (API_KEY_RATE_LIMIT; core.ratelimit.record_attempt prunes older rows)."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["client", "at"], name="apikeycall_client_at")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.at:%H:%M:%S}"


class SmsPurpose(models.TextChoices):
    REGISTER = "register", "注册"
    RESET_PASSWORD = "reset_password", "找回密码"
    CHANGE_PHONE = "change_phone", "更换手机号"


class SmsCode(models.Model):
    """A 6-digit verification code, stored as a keyed hash; single use, expires after 5 minutes."""

    phone = models.CharField("手机号码", max_length=11)
    purpose = models.CharField("用途", max_length=20, choices=SmsPurpose.choices)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "短信验证码"
        indexes = [
            models.Index(fields=["phone", "purpose", "created_at"], name="smscode_phone_purpose"),
            models.Index(fields=["ip", "created_at"], name="smscode_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class SmsThrottle(models.Model):
    """One row per phone, locked while a code is issued so that two requests at once cannot both
    pass the once-a-minute check."""

    phone = models.CharField(max_length=11, primary_key=True)
    last_sent_at = models.DateTimeField(null=True)
    day = models.DateField(null=True)
    day_count = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return self.phone


class LoginAttempt(models.Model):
    """Every login attempt, for the lockout rule (failures since the last success in the window)."""

    account_key = models.CharField(max_length=40)  # "user:<id>" or "name:<what was typed>"
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    success = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(fields=["account_key", "at"], name="login_account_at"),
            models.Index(fields=["ip", "at"], name="login_ip_at"),
        ]

    def __str__(self) -> str:
        return f"{self.account_key} {self.at:%H:%M:%S} {'ok' if self.success else 'failed'}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Session(AbstractBaseSession):
    """A web session (SESSION_ENGINE registry.accounts.sessions): Django's session row plus the id of
    the user logged in with it, so that a page reads the session and its user in one statement
    (accounts.identity). The id is the one in the signed session data, written with it on every save."""

    # No database constraint: the column is a hint the signed data is checked against, and a save
    # naming a user deleted meanwhile must not fail (Django's create() retries a failed insert with
    # a new key, for ever). Deleting a user through the ORM still deletes their sessions.
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore


class ApiToken(models.Model):
    """A bearer token from POST /api/v1/auth/login. Only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "登录令牌"

    def __str__(self) -> str:
        return f"{self.user_id} {self.expires_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def new_key() -> str:
        return "rt_" + secrets.token_urlsafe(32)


class SmsRequest(models.Model):
    """Every request for a code, refused ones included: the per-address limit counts these, so that
    asking "is this phone registered?" over and over is limited too."""

    ip = models.GenericIPAddressField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["ip", "at"], name="smsrequest_ip_at")]

    def __str__(self) -> str:
        return f"{self.ip} {self.at:%H:%M:%S}"


class PhoneRecoveryStatus(models.TextChoices):
    PENDING = "pending", "待另一名工作人员批准"
    APPLIED = "applied", "已更换"
    CANCELLED = "cancelled", "已取消"
    EXPIRED = "expired", "已过期"


class PhoneRecoveryQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .access import filter_visible

        return filter_visible(self, user, owner_field="person", district_field="district")


class PhoneRecovery(models.Model):
    """A staff member's request to move a person's login to a new phone (the old one is lost).
    Nothing changes until a second staff member approves; the person is told on the old phone and
    on their account page, and the person or any staff member of the district may cancel."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phone_recoveries")
    district = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    old_phone = models.CharField("原手机号码", max_length=11)
    new_phone = models.CharField("新手机号码", max_length=11)
    identity_check = models.CharField("身份核验方式", max_length=200)
    status = models.CharField(
        "状态", max_length=20, choices=PhoneRecoveryStatus.choices, default=PhoneRecoveryStatus.PENDING
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("提交时间", default=timezone.now)
    expires_at = models.DateTimeField("批准期限")
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField("批准/取消时间", null=True, blank=True)

    objects = PhoneRecoveryQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "手机号停用更换申请"
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status="pending"),
                name="one_pending_phone_recovery_per_person",
            )
        ]
        indexes = [models.Index(fields=["district", "status", "requested_at"], name="phonerecovery_queue")]

    def __str__(self) -> str:
        return f"{self.person} → {self.new_phone} {self.get_status_display()}"

    @property
    def old_phone_masked(self) -> str:
        """The lost phone as staff see it on the page (the API masks it the same way)."""
        from registry.core.masking import mask_phone

        return mask_phone(self.old_phone)
