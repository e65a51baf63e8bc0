"""SMS verification codes: issue (rate-limited per phone and per IP) and consume (single use).

Answers never depend on whether a phone is registered, for any purpose: the limits come first, a
code is "issued" and counted either way, and whether the number is registered is told only to
that phone, by SMS (a registration or phone change for a registered number gets a notice instead
of the code; a password reset for an unknown number gets nothing). Whoever holds the phone may
learn it; nobody else can tell the answers apart.
"""

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.core.errors import RateLimited, ServiceError
from registry.core.ratelimit import record_attempt
from registry.core.validators import validate_mobile
from registry.sms.services import sms_enqueue

from .models import SmsCode, SmsPurpose, SmsRequest, SmsThrottle, User

TEXTS = {
    SmsPurpose.REGISTER: "您正在注册会计人员信息管理系统，验证码{code}，{minutes}分钟内有效。如非本人操作请忽略。",
    SmsPurpose.RESET_PASSWORD: "您正在找回会计人员信息管理系统登录密码，验证码{code}，{minutes}分钟内有效。请勿告知他人。",
    SmsPurpose.CHANGE_PHONE: "您正在将此号码设为会计人员信息管理系统登录手机，验证码{code}，{minutes}分钟内有效。",
}
# Purposes only a service asks for (never the public sms-codes endpoint): claiming an imported record.
INTERNAL_TEXTS = {
    "claim": "您正在认领会计人员信息管理系统中的原有人员信息，验证码{code}，{minutes}分钟内有效。如非本人操作请忽略。",
}
# Sent instead of the code when the number already has an account: only its holder learns that.
ALREADY_REGISTERED_TEXTS = {
    SmsPurpose.REGISTER: "该手机号码已注册会计人员信息管理系统，请直接登录；忘记密码可通过“找回密码”重置。如非本人操作请忽略。",
    SmsPurpose.CHANGE_PHONE: "该手机号码已注册会计人员信息管理系统，不能设为其他账号的登录手机。如非本人操作请忽略。",
}


def _digest(phone: str, purpose: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{phone}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def normalize_phone(phone: str) -> str:
    try:
        return validate_mobile(phone)
    except ValidationError as exc:
        raise ServiceError("invalid_phone", exc.messages[0], field="phone") from None


def _seconds_until_tomorrow(now: dt.datetime) -> int:
    local = timezone.localtime(now)
    tomorrow = (local + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((tomorrow - local).total_seconds()) + 1


def _limit_address(ip: str, now: dt.datetime) -> None:
    """Count this request and refuse beyond SMS_IP_HOURLY_LIMIT an hour."""
    record_attempt(
        SmsRequest,
        ip=ip,
        now=now,
        limit=settings.SMS_IP_HOURLY_LIMIT,
        window=dt.timedelta(hours=1),
        refusal=lambda wait: RateLimited("rate_limited", "本网络获取验证码过于频繁，请稍后再试。", retry_after=wait),
    )


def sms_code_request(
    *, phone: str, purpose: str, ip: str | None, user: User | None = None, internal: bool = False
) -> int:
    """Issue a code for (phone, purpose) and queue the SMS. Returns its lifetime in seconds."""
    now = timezone.now()
    if ip:
        _limit_address(ip, now)
    phone = normalize_phone(phone)
    if purpose not in SmsPurpose.values and not (internal and purpose in INTERNAL_TEXTS):
        raise ServiceError(
            "invalid_purpose", "验证码用途只能是 register、reset_password 或 change_phone", field="purpose"
        )
    if purpose == SmsPurpose.CHANGE_PHONE and user is None:
        raise ServiceError("not_authenticated", "请先登录", status=401)

    ttl = settings.SMS_CODE_TTL_SECONDS
    with transaction.atomic():
        SmsThrottle.objects.get_or_create(phone=phone)
        throttle = SmsThrottle.objects.select_for_update().get(phone=phone)
        interval = settings.SMS_PHONE_INTERVAL_SECONDS
        if throttle.last_sent_at and (now - throttle.last_sent_at).total_seconds() < interval:
            wait = interval - (now - throttle.last_sent_at).total_seconds()
            raise RateLimited("rate_limited", f"验证码已发送，请 {int(wait) + 1} 秒后再获取。", retry_after=wait)
        today = timezone.localdate(now)
        if throttle.day != today:
            throttle.day, throttle.day_count = today, 0
        if throttle.day_count >= settings.SMS_PHONE_DAILY_LIMIT:
            raise RateLimited(
                "rate_limited",
                f"该手机号码今天已获取 {throttle.day_count} 次验证码，已达上限，请明天再试。",
                retry_after=_seconds_until_tomorrow(now),
            )
        throttle.last_sent_at = now
        throttle.day_count += 1
        throttle.save()

        registered = User.objects.filter(phone=phone).exists()
        # A code is stored for every number, registered or not, so that later wrong guesses, expiry
        # and "too many attempts" answer alike; for a registered number it is never sent.
        code = f"{secrets.randbelow(10**6):06d}"
        # A new code replaces any earlier unused one for the same purpose.
        SmsCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True).update(used_at=now)
        SmsCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_digest(phone, purpose, code),
            ip=ip,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=ttl),
        )
        if registered and purpose in ALREADY_REGISTERED_TEXTS:
            sms_enqueue(phone=phone, text=ALREADY_REGISTERED_TEXTS[purpose], purpose=purpose)
        elif purpose != SmsPurpose.RESET_PASSWORD or registered:
            text = (TEXTS | INTERNAL_TEXTS)[purpose].format(code=code, minutes=ttl // 60)
            sms_enqueue(phone=phone, text=text, purpose=purpose, code=code)
    return ttl


INVALID = "验证码不正确，请核对短信中的6位数字，或重新获取。"


def sms_code_consume(*, phone: str, purpose: str, code: str, rest_of_proof_holds: bool = True) -> None:
    """Use up the latest code for (phone, purpose). Call it outside any enclosing transaction:
    a wrong guess must be counted even though the caller's action fails.

    With `rest_of_proof_holds=False` (the caller's other proof failed, e.g. an ID number not
    matching the phone) the code is never used up and the answer is the wrong-code answer, right
    code or not; the try counts against the code's attempts, so a phone's holder cannot try ID
    numbers without end on one code."""
    code = (code or "").strip()
    now = timezone.now()
    wrong = False
    with transaction.atomic():
        latest = (
            SmsCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if latest is None:
            raise ServiceError("sms_code_invalid", INVALID, field="sms_code")
        if latest.expires_at <= now:
            raise ServiceError("sms_code_expired", "验证码已过期（有效期5分钟），请重新获取。", field="sms_code")
        if latest.failed_attempts >= settings.SMS_CODE_MAX_ATTEMPTS:
            raise ServiceError("sms_code_invalid", "验证码错误次数过多，已失效，请重新获取。", field="sms_code")
        if rest_of_proof_holds and hmac.compare_digest(_digest(phone, purpose, code), latest.code_hash):
            latest.used_at = now
            latest.save(update_fields=["used_at"])
        else:
            latest.failed_attempts += 1
            latest.save(update_fields=["failed_attempts"])
            wrong = True
    if wrong:
        raise ServiceError("sms_code_invalid", INVALID, field="sms_code")
