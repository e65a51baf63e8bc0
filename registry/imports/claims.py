"""Claiming an imported record (API.md "POST /api/v1/me/claim", issue 15 item 2).

A person who registers (or logs in) and whose ID number matches an imported record nobody holds:
- the record's phone is the account's verified phone → the record is theirs at once;
- otherwise a code goes by SMS to the phone on the record, and the code claims it;
- that phone is gone → the district checks the person's identity by hand and replaces the phone on
  the imported record with the person's account phone (audited, the old phone told), after which
  the first rule applies.
Until claimed, nobody logs in as that person (the record has no account). A person holds at most
one record (Record.user is one-to-one), and of two accounts claiming one record at once, exactly one
wins (`records.imported.record_give_to` is a conditional UPDATE).
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.accounts import access
from registry.accounts.models import Role, User
from registry.accounts.sms_codes import normalize_phone, sms_code_consume, sms_code_request
from registry.audit.services import audit_record
from registry.core import refdata
from registry.core.errors import Conflict, RateLimited, ServiceError
from registry.core.masking import mask_phone
from registry.core.ratelimit import record_attempt
from registry.records import imported as records_imported
from registry.records.models import Record
from registry.sms.services import sms_enqueue

from .models import ClaimAttempt, ClaimVia, ImportedPerson

SMS_PURPOSE = "claim"


def _no_record() -> ServiceError:
    # The same answer for an unknown ID number and one somebody already claimed.
    return ServiceError(
        "no_record",
        "没有找到可认领的原有人员信息：证件号码不在导入的存量数据中，或已被认领。",
        status=404,
        field="id_number",
    )


def normalize_id(id_number: str) -> str:
    """The ID number as imported records hold it (typed with spaces or a lower-case x is the same)."""
    return (id_number or "").strip().replace(" ", "").upper()[:18]


def claimable(id_number: str) -> ImportedPerson | None:
    return (
        ImportedPerson.objects.unclaimed()
        .select_related("record", "record__district")
        .filter(id_number=normalize_id(id_number), record__user__isnull=True)
        .first()
    )


def offered_by_phone(user: User) -> bool:
    """An applicant without a record whose verified phone is on an unclaimed imported record: the
    web offers the claim right after login (only the phone's holder learns it)."""
    if not access.is_active_user(user) or user.role != Role.APPLICANT or has_record(user):
        return False
    return ImportedPerson.objects.unclaimed().filter(phone=user.phone, record__user__isnull=True).exists()


def has_record(user: User) -> bool:
    """One record per person: an account with a record has nothing to claim."""
    return Record.objects.filter(user=user).exists()


def _check_account(user: User) -> None:
    if not access.is_active_user(user) or user.role != Role.APPLICANT:
        raise ServiceError("forbidden", "只有会计人员本人的账号可以认领原有人员信息。", status=403)
    if has_record(user):
        raise Conflict("already_has_record", "您的账号已有人员信息；一人只能有一条人员信息，不能再认领。")


def _limit(user: User) -> None:
    record_attempt(
        ClaimAttempt,
        user=user,
        now=timezone.now(),
        limit=settings.CLAIM_HOURLY_LIMIT,
        window=dt.timedelta(hours=1),
        refusal=lambda wait: RateLimited("rate_limited", "认领尝试过于频繁，请稍后再试。", retry_after=wait),
    )


def _give(*, person: ImportedPerson, user: User, via: str, actor=None, ip: str | None = None) -> None:
    try:
        with transaction.atomic():
            won = records_imported.record_give_to(record_id=person.record_id, user=user, actor=actor, via=via, ip=ip)
            if not won:
                raise _no_record()
            ImportedPerson.objects.filter(pk=person.pk, claimed_at__isnull=True).update(
                claimed_at=timezone.now(), claimed_via=via, password_hash=""
            )
    except IntegrityError:
        # This account got another record meanwhile (Record.user and User.id_number are unique).
        raise Conflict("already_has_record", "您的账号已有人员信息；一人只能有一条人员信息，不能再认领。") from None


def claim_start(*, user: User, id_number: str, ip: str | None = None) -> dict:
    """{"claimed": True} at once when the phones match; {"sms_sent_to": masked} when a code went
    to the record's phone; 404 no_record; 409 claim_via_district when the record has no phone."""
    _check_account(user)
    _limit(user)
    person = claimable(id_number)
    if person is None:
        raise _no_record()
    if person.phone and person.phone == user.phone:
        _give(person=person, user=user, via=ClaimVia.PHONE, ip=ip)
        return {"claimed": True}
    if not person.phone:
        raise _via_district(person)
    sms_code_request(phone=person.phone, purpose=SMS_PURPOSE, ip=ip, internal=True)
    audit_record(
        action="record.claim_code_sent",
        actor=user,
        target=person.record,
        district=person.record.district_id,
        ip=ip,
        details={"to": mask_phone(person.phone)},
    )
    return {"sms_sent_to": mask_phone(person.phone)}


def _via_district(person: ImportedPerson) -> Conflict:
    contact = refdata.bureau_contact(person.record.district)
    return Conflict(
        "claim_via_district",
        f"原有信息中没有可用的手机号码。请携带身份证件到{contact}核验身份，由工作人员将您的登录手机号登记到原有信息后再认领。",
    )


def claim_confirm(*, user: User, id_number: str, sms_code: str, ip: str | None = None) -> dict:
    _check_account(user)
    person = claimable(id_number)
    if person is None or not person.phone:
        raise _no_record()
    sms_code_consume(phone=person.phone, purpose=SMS_PURPOSE, code=sms_code)  # counts a wrong guess
    _give(person=person, user=user, via=ClaimVia.SMS, ip=ip)
    return {"claimed": True}


def claim_phone_by_district(
    *, actor: User, id_number: str, new_phone: str, identity_check: str, ip: str | None = None
) -> ImportedPerson:
    """The lost-phone path for an imported record: a reviewer of its district (or an admin) who has
    checked the person's identity by hand puts the person's account phone on the imported record;
    the person then claims it at once. Audited; the old phone, if any, is told."""
    if not access.is_staff_member(actor):
        raise ServiceError("forbidden", "仅区财政局审核员和市财政局管理员可以办理。", status=403)
    identity_check = (identity_check or "").strip()
    if len(identity_check) < 4:
        raise ServiceError("required", "请记录核验身份的方式（如：现场核验身份证原件）。", field="identity_check")
    person = claimable(id_number)
    if person is None or not access.can_act_for_district(actor, person.record.district_id):
        raise ServiceError("not_found", "本区没有该证件号码的未认领原有人员信息。", status=404, field="id_number")
    owner = User.objects.filter(phone=normalize_phone(new_phone)).first()
    access.refuse_own(actor, owner.pk if owner else None, what="原有人员信息认领")
    new_phone = normalize_phone(new_phone)
    if new_phone == person.phone:
        raise ServiceError("same_phone", "新手机号码与原有信息中的号码相同。", field="new_phone")
    with transaction.atomic():
        old = person.phone
        changed = ImportedPerson.objects.filter(pk=person.pk, claimed_at__isnull=True, phone=old).update(
            phone=new_phone
        )
        if not changed:
            raise Conflict("claim_stale", "该原有人员信息刚刚已被认领或修改，请刷新后再试。")
        audit_record(
            action="record.claim_phone_by_district",
            actor=actor,
            target=person.record,
            district=person.record.district_id,
            ip=ip,
            details={
                "identity_check": identity_check,
                "old_phone": mask_phone(old),
                "new_phone": mask_phone(new_phone),
            },
        )
        if old:
            sms_enqueue(
                phone=old,
                text=(
                    f"【会计人员信息管理系统】工作人员已将您原有人员信息中的手机号更换为{mask_phone(new_phone)}。"
                    "如非您本人申请，请立即联系管理区财政局。"
                ),
                purpose="phone_recovery",
            )
    person.phone = new_phone
    return person


def claim_with_old_password(*, id_number: str, password: str) -> User | None:
    """First login with the old system's ID number and password (the hash came with the import):
    an account is opened on the record's phone, the record is claimed, and the password is stored
    again with the current hasher (the old hash is dropped). None if any of it does not hold —
    the login then fails like any wrong password."""
    person = claimable(id_number)
    if person is None or not person.password_hash or not person.phone:
        return None
    if not check_password(password, person.password_hash):
        return None
    try:
        with transaction.atomic():
            if User.objects.filter(phone=person.phone).exists():
                return None  # that phone holds an account: its owner logs in with it and claims
            user = User.objects.create_user(person.phone, password, role=Role.APPLICANT)
            audit_record(
                action="account.register",
                actor=user,
                target=user,
                details={"phone": mask_phone(person.phone), "via": "imported_password"},
            )
            _give(person=person, user=user, via=ClaimVia.OLD_PASSWORD)
    except (ServiceError, IntegrityError):
        return None
    return user
