"""Staff phone recovery with a second approval (issue 9, item 8).

A person whose phone is lost cannot reset their password by SMS. A reviewer checks their identity by
hand and *requests* a new login phone; nothing changes until a second staff member (another reviewer
of the district, or a municipal admin — never the requester) approves. The old phone is told by SMS
and the person's account page shows the request, so a reviewer cannot take an account over silently:
the person (on login, from the account page) or any staff member of the district can cancel.
Request, approval and cancellation are audited.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from registry.audit.services import audit_record
from registry.core import refdata
from registry.core.errors import Conflict, ServiceError
from registry.core.masking import mask_phone
from registry.sms.services import sms_enqueue

from . import access, auth
from .models import PhoneRecovery, PhoneRecoveryStatus, User
from .services import can_reset_by_sms
from .sms_codes import normalize_phone

# Long enough for a colleague to be found, short enough that a forgotten request does not linger.
PENDING_FOR = dt.timedelta(days=3)
SMS_PURPOSE = "phone_recovery"


def _not_found() -> ServiceError:
    return ServiceError("not_found", "未找到该手机号更换申请，或不属于您负责的区。", status=404)


def _expire_stale(person: User) -> None:
    PhoneRecovery.objects.filter(
        person=person, status=PhoneRecoveryStatus.PENDING, expires_at__lte=timezone.now()
    ).update(status=PhoneRecoveryStatus.EXPIRED)


def recovery_for(*, user, recovery_id) -> PhoneRecovery:
    """A recovery this user may see (the person, staff of its district, admins) or 404."""
    try:
        return access.get_or_404(
            PhoneRecovery.objects.visible_to(user).select_related("person", "district", "requested_by"),
            pk=recovery_id,
        )
    except Http404:
        raise _not_found() from None


def pending_recoveries(user):
    """Pending requests this user sees: staff, those of their districts; a person, their own."""
    return (
        PhoneRecovery.objects.visible_to(user)
        .filter(status=PhoneRecoveryStatus.PENDING, expires_at__gt=timezone.now())
        .select_related("person", "district", "requested_by")
        .order_by("requested_at")
    )


def pending_recovery_of(person: User) -> PhoneRecovery | None:
    return pending_recoveries(person).filter(person=person).first()


def phone_recovery_request(
    *, actor: User, id_number: str, new_phone: str, identity_check: str, ip: str | None = None
) -> PhoneRecovery:
    """A reviewer records the identity check and asks for a new login phone for a person of their
    district. The old phone is told at once; the change waits for a second staff member."""
    from registry.records.selectors import person_for_staff

    if not access.is_staff_member(actor):
        raise ServiceError("forbidden", "仅区财政局审核员和市财政局管理员可以处理手机号停用。", status=403)
    identity_check = (identity_check or "").strip()
    if len(identity_check) < 4:
        raise ServiceError("required", "请记录核验身份的方式（如：现场核验身份证原件）。", field="identity_check")
    record = person_for_staff(actor=actor, id_number=(id_number or "").strip())
    # Staff accounts are never recovered this way (a reviewer must not take over a colleague's).
    if record is None or not can_reset_by_sms(record.user):
        raise ServiceError("not_found", "本区没有该证件号码的人员。", status=404, field="id_number")
    person = record.user
    new_phone = normalize_phone(new_phone)
    if new_phone == person.phone:
        raise ServiceError("same_phone", "新手机号码与当前号码相同。", field="new_phone")
    if User.objects.filter(phone=new_phone).exists():
        raise Conflict("phone_taken", "该手机号码已被其他账号使用。", field="new_phone")
    now = timezone.now()
    try:
        with transaction.atomic():
            _expire_stale(person)
            recovery = PhoneRecovery.objects.create(
                person=person,
                district_id=record.district_id,
                old_phone=person.phone,
                new_phone=new_phone,
                identity_check=identity_check,
                requested_by=actor,
                requested_at=now,
                expires_at=now + PENDING_FOR,
            )
            audit_record(
                action="account.phone_recovery_request",
                actor=actor,
                target=person,
                district=record.district_id,
                ip=ip,
                details={
                    "recovery": str(recovery.pk),
                    "identity_check": identity_check,
                    "old_phone": mask_phone(person.phone),
                    "new_phone": mask_phone(new_phone),
                },
            )
            sms_enqueue(
                phone=person.phone,
                text=(
                    f"【会计人员信息管理系统】{refdata.bureau_contact(recovery.district)}工作人员申请将您的登录手机号更换为"
                    f"{mask_phone(new_phone)}，须另一名工作人员批准后生效。如非您本人申请，请登录系统在"
                    "“我的账号”中取消，或致电财政局。"
                ),
                purpose=SMS_PURPOSE,
            )
    except IntegrityError:
        # one_pending_phone_recovery_per_person: a request is already waiting for approval.
        raise Conflict(
            "recovery_pending", "该人员已有一项待批准的手机号更换申请，请先批准或取消该申请。", field="id_number"
        ) from None
    return recovery


def phone_recovery_approve(*, actor: User, recovery_id, ip: str | None = None) -> PhoneRecovery:
    """The second staff member approves: the phone changes, every session and token of the person
    ends, and the person sets a new password by SMS on the new phone."""
    if not access.is_staff_member(actor):
        raise _not_found()
    recovery = recovery_for(user=actor, recovery_id=recovery_id)
    person = recovery.person
    if recovery.requested_by_id == actor.pk:
        raise ServiceError(
            "second_approval_required", "须由另一名工作人员批准：提交申请的工作人员不能批准自己的申请。", status=403
        )
    if recovery.status != PhoneRecoveryStatus.PENDING:
        raise Conflict("recovery_not_pending", f"该申请{recovery.get_status_display()}，不能再批准。")
    now = timezone.now()
    if recovery.expires_at <= now:
        PhoneRecovery.objects.filter(pk=recovery.pk, status=PhoneRecoveryStatus.PENDING).update(
            status=PhoneRecoveryStatus.EXPIRED
        )
        raise Conflict("recovery_expired", "该申请已超过批准期限，请重新核验身份后再次提交。")
    try:
        return _apply_recovery(recovery=recovery, person=person, actor=actor, now=now, ip=ip)
    except IntegrityError:
        # The new number was registered (or recovered to) by someone else in the meantime.
        raise _phone_taken() from None


def _phone_taken() -> Conflict:
    return Conflict("phone_taken", "新手机号码已被其他账号使用，请取消该申请。", field="new_phone")


def _apply_recovery(*, recovery, person, actor, now, ip):
    with transaction.atomic():
        # Conditional on "still pending" and unexpired (no join: PostgreSQL re-checks only this
        # row's own columns after a concurrent commit), so of an approval and a cancellation at
        # once, one wins.
        won = PhoneRecovery.objects.filter(
            pk=recovery.pk, status=PhoneRecoveryStatus.PENDING, expires_at__gt=now
        ).update(status=PhoneRecoveryStatus.APPLIED, decided_by=actor, decided_at=now)
        if not won:
            raise Conflict("recovery_not_pending", "该申请已被处理或取消。")
        # The person may have changed their phone themselves meanwhile (their row is locked now).
        person = User.objects.select_for_update().get(pk=person.pk)
        if person.phone != recovery.old_phone:
            raise Conflict("recovery_stale", "该人员的手机号已另行更换，本申请不再适用，请取消。")
        if User.objects.filter(phone=recovery.new_phone).exclude(pk=person.pk).exists():
            raise _phone_taken()
        person.phone = recovery.new_phone
        # Whoever holds the lost phone may be logged in: end every session (the session hash
        # changes with the password) and every token. The person sets a new password by SMS.
        person.set_unusable_password()
        person.save(update_fields=["phone", "password"])
        revoked = auth.tokens_revoke_all(user=person)
        audit_record(
            action="account.phone_recovery_approve",
            actor=actor,
            target=person,
            district=recovery.district_id,
            ip=ip,
            details={
                "recovery": str(recovery.pk),
                "requested_by": recovery.requested_by_id,
                "old_phone": mask_phone(recovery.old_phone),
                "new_phone": mask_phone(recovery.new_phone),
                "tokens_revoked": revoked,
            },
        )
        sms_enqueue(
            phone=recovery.old_phone,
            text=(
                f"【会计人员信息管理系统】您的登录手机号已由工作人员更换为{mask_phone(recovery.new_phone)}。"
                f"如非您本人申请，请立即联系{refdata.bureau_contact(recovery.district)}。"
            ),
            purpose=SMS_PURPOSE,
        )
        sms_enqueue(
            phone=recovery.new_phone,
            text="【会计人员信息管理系统】您的登录手机号已更换为本号码，请通过“找回密码”获取验证码并设置新密码。",
            purpose=SMS_PURPOSE,
        )
    recovery.refresh_from_db()
    return recovery


def phone_recovery_cancel(*, actor: User, recovery_id, ip: str | None = None) -> PhoneRecovery:
    """The person (it was not them, or they found their phone) or a staff member of the district
    withdraws a pending request."""
    recovery = recovery_for(user=actor, recovery_id=recovery_id)
    with transaction.atomic():
        won = PhoneRecovery.objects.filter(pk=recovery.pk, status=PhoneRecoveryStatus.PENDING).update(
            status=PhoneRecoveryStatus.CANCELLED, decided_by=actor, decided_at=timezone.now()
        )
        if not won:
            raise Conflict("recovery_not_pending", "该申请已被处理或取消。")
        audit_record(
            action="account.phone_recovery_cancel",
            actor=actor,
            target=recovery.person,
            district=recovery.district_id,
            ip=ip,
            details={"recovery": str(recovery.pk), "by_person": actor.pk == recovery.person_id},
        )
    recovery.refresh_from_db()
    return recovery
