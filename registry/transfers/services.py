"""Transfer codes: issued when the source district approves a transfer out, claimed by one
transfer-in application of the same person, revocable by the source district."""

import datetime as dt
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.accounts import access
from registry.accounts.models import User
from registry.applications.models import Application
from registry.audit.services import audit_record
from registry.core import refdata
from registry.core.errors import Conflict, RateLimited, ServiceError
from registry.core.ratelimit import record_attempt
from registry.records.models import Record, RecordStatus
from registry.records.services import record_set_status
from registry.sms.services import sms_enqueue

from . import documents
from .models import DocumentCodeAttempt, ImportedDocument, PeerKey, TransferCode

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone without mistakes


def new_code() -> str:
    """ZR + 12 characters (~59 bits): unguessable, short enough to type."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"ZR{body[:4]}-{body[4:8]}-{body[8:]}"


def normalize_code(code: str | None) -> str:
    raw = "".join(c for c in (code or "").upper() if c.isalnum())
    return f"{raw[:6]}-{raw[6:10]}-{raw[10:]}" if len(raw) == 14 else (code or "").strip().upper()


def _matching(code: str | None):
    """The codes a typed code can match: none for what cannot be a code (empty, longer than the
    column, or with a NUL, which PostgreSQL refuses to compare: that was a 500, not "not found")."""
    code = normalize_code(code)
    if not code or len(code) > TransferCode._meta.get_field("code").max_length or "\x00" in code:
        return TransferCode.objects.none()
    return TransferCode.objects.filter(code=code)


def transfer_code_issue(*, application: Application, actor: User) -> TransferCode:
    """Called inside the approval of a transfer out: the record is marked 调出中 and a code issued."""
    record = Record.objects.select_for_update().get(user=application.applicant)
    now = timezone.now()
    code = TransferCode.objects.create(
        code=new_code(),
        record=record,
        person=application.applicant,
        source_district_id=record.district_id,
        destination_region_id=application.destination_region,
        transfer_out=application,
        issued_at=now,
        issued_by=actor,
        expires_at=now + dt.timedelta(days=settings.TRANSFER_CODE_DAYS),
    )
    record_set_status(record=record, status=RecordStatus.TRANSFERRING_OUT, actor=actor, reason="transfer_out")
    # The code is the second factor of the transfer document: it reaches the person by SMS and on
    # their own page, never inside the document.
    sms_enqueue(
        phone=application.applicant.phone,
        text=(
            f"您的调出申请已通过，调转编号 {code.code}（调往{code.destination_region.name}，"
            f"{timezone.localtime(code.expires_at):%Y-%m-%d} 前有效）。办理调入时须填写此编号，请勿告知他人。"
        ),
        purpose="transfer_code",
    )
    audit_record(
        action="transfer.code_issued",
        actor=actor,
        target=record,
        district=record.district_id,
        details={"destination": application.destination_region, "expires_at": code.expires_at.isoformat()},
    )
    return code


def _invalid() -> ServiceError:
    return ServiceError(
        "transfer_code_invalid",
        "调转编号不正确，或不是您本人的调转编号。请核对原地区出具的编号。",
        field="transfer_code",
    )


def transfer_code_claim(*, code: str, applicant: User, application: Application) -> TransferCode:
    """Reserve the code for this transfer-in application. Works once, only for its person, only
    before expiry; of two concurrent claims exactly one succeeds (conditional UPDATE)."""
    found = _matching(code).select_related("record").first()
    if found is None or found.person_id != applicant.pk:
        raise _invalid()
    if not refdata.in_home_province(found.destination_region_id):
        raise ServiceError(
            "transfer_code_wrong_destination", "该调转编号不是调往本地区的，请到调入地系统办理。", field="transfer_code"
        )
    now = timezone.now()
    if found.revoked_at:
        raise ServiceError(
            "transfer_code_revoked", "该调转编号已被原地区财政部门撤销，请联系原地区。", field="transfer_code"
        )
    if found.expires_at <= now:
        raise ServiceError(
            "transfer_code_expired",
            f"该调转编号已于 {timezone.localtime(found.expires_at):%Y-%m-%d} 过期（有效期90天），请向原地区重新申请调出。",
            field="transfer_code",
        )
    claimed = TransferCode.objects.filter(pk=found.pk, used_at__isnull=True, revoked_at__isnull=True).update(
        used_at=now, used_by=application
    )
    if not claimed:
        raise Conflict("transfer_code_used", "该调转编号已经使用过。", field="transfer_code")
    found.used_at, found.used_by = now, application
    audit_record(
        action="transfer.code_claimed",
        actor=applicant,
        target=found.record,
        details={"code_id": found.pk, "application": str(application.pk), "used_at": {"old": None, "new": now}},
    )
    return found


def transfer_code_release(*, application: Application, actor: User | None = None) -> None:
    """A withdrawn transfer-in gives its code back (it has not moved anyone)."""
    for code in TransferCode.objects.select_for_update().filter(used_by=application).select_related("record"):
        TransferCode.objects.filter(pk=code.pk).update(used_at=None, used_by=None)
        audit_record(
            action="transfer.code_released",
            actor=actor,
            target=code.record,
            details={
                "code_id": code.pk,
                "application": str(application.pk),
                "used_at": {"old": code.used_at, "new": None},
            },
        )


@transaction.atomic
def transfer_code_revoke(*, actor: User, code: str) -> TransferCode:
    """The source district takes a code back; the record returns to 正常 in its district."""
    found = _matching(code).select_for_update().first()
    if found is None or not access.can_act_for_district(actor, found.source_district_id):
        raise ServiceError("not_found", "未找到该调转编号，或不属于您负责的区。", status=404)
    access.refuse_own(actor, found.person_id, what="调转编号")
    if found.revoked_at:
        raise Conflict("transfer_code_revoked", "该调转编号已撤销。")
    if found.used_at:
        raise Conflict("transfer_code_used", "该调转编号已被调入申请使用，不能撤销；请与调入地联系。")
    found.revoked_at, found.revoked_by = timezone.now(), actor
    found.save(update_fields=["revoked_at", "revoked_by"])
    record = found.record
    if record.status == RecordStatus.TRANSFERRING_OUT:
        record_set_status(record=record, status=RecordStatus.NORMAL, actor=actor, reason="transfer_code_revoked")
    audit_record(action="transfer.code_revoked", actor=actor, target=record, district=found.source_district_id)
    return found


def document_export(*, person: User, code: str, ip: str | None = None) -> dict:
    """The person downloads the signed document of their own valid code (audited)."""
    found = TransferCode.objects.visible_to(person).filter(code=normalize_code(code), person=person).first()
    if found is None:
        raise ServiceError("not_found", "没有这个调转编号。", status=404)
    state = code_state(found)
    if state != "valid":
        raise Conflict(f"transfer_code_{state}", "该调转编号已失效，不能再导出调转文件。")
    audit_record(action="transfer.document_export", actor=person, target=found.record, ip=ip)
    return documents.export_document(code=found)


def code_state(code: TransferCode) -> str:
    if code.revoked_at:
        return "revoked"
    if code.used_at:
        return "used"
    if code.expires_at <= timezone.now():
        return "expired"
    return "valid"


def _count_wrong_code(*, key_id: str, hashed: str, now: dt.datetime) -> DocumentCodeAttempt:
    """Count this try as a wrong one until the code proves right, or refuse it beyond the limit
    (a refused try checks nothing and does not extend the wait)."""
    with transaction.atomic():
        # Tries on one peer's documents are counted one at a time (a short lock on its key row),
        # so guesses sent in parallel cannot get past the limit together.
        PeerKey.objects.select_for_update().filter(key_id=key_id).first()
        return record_attempt(
            DocumentCodeAttempt,
            key_id=key_id,
            code_hash=hashed,
            now=now,
            limit=settings.TRANSFER_DOCUMENT_CODE_TRIES,
            window=dt.timedelta(hours=1),
            refusal=lambda wait: RateLimited(
                "transfer_code_tries",
                "该调转文件的调转编号输错次数过多，已暂停核验，请稍后再试。请核对原地区出具的调转编号（见原地区系统“我的信息”页面及短信）。",
                retry_after=wait,
            ),
        )


def document_verify(*, document, code: str, applicant: User) -> dict:
    """A peer's signed document opened with its transfer code, before anything is created: the
    payload, or one answer for a forged or tampered document and a missing or wrong code. Wrong
    codes are counted per document (signer + code hash) and limited. Runs outside the transaction
    that creates the application, so the count survives the refusal."""
    payload = documents.verify_signature(document)
    code = normalize_code(code)[:40]
    if not code:
        raise documents.not_accepted()
    key_id, hashed = documents.identity(payload)
    now = timezone.now()
    attempt = _count_wrong_code(key_id=key_id, hashed=hashed, now=now)
    if not documents.code_matches(payload, code):
        audit_record(
            action="transfer.document_code_refused",
            actor=applicant,
            details={"key_id": key_id, "code_hash": hashed, "issuer": payload["issuer"].get("name", "")},
        )
        raise documents.not_accepted()
    attempt.delete()
    documents.check_addressed(payload)
    return payload


def document_claim(*, payload: dict, applicant: User, application: Application) -> dict:
    """Reserve a verified document (`document_verify`) for this application, once per deployment.
    The person must be who the document is about: the account's ID number, if it has one, must
    match, and no other account here may hold that ID number."""
    id_number = payload["person"]["id_number"]
    if applicant.id_number and applicant.id_number != id_number:
        raise ServiceError(
            "document_wrong_person", "调转文件中的身份证号码与您账号的身份证号码不一致。", field="transfer_document"
        )
    if (
        User.objects.filter(id_number=id_number).exclude(pk=applicant.pk).exists()
        # The applicant's own record, left here when they moved away earlier, does not count.
        or Record.objects.filter(id_number=id_number)
        .exclude(user=applicant, status__in=[RecordStatus.TRANSFERRING_OUT, RecordStatus.TRANSFERRED_OUT])
        .exists()
    ):
        raise Conflict(
            "already_collected", "该身份证号码已在本系统采集，请用原账号办理（手机号停用可到区财政局更换）。"
        )
    key_id, hashed = documents.identity(payload)
    try:
        with transaction.atomic():
            ImportedDocument.objects.create(key_id=key_id, code_hash=hashed, application=application)
    except IntegrityError:
        raise Conflict("transfer_code_used", "该调转文件已在本系统使用过。", field="transfer_document") from None
    audit_record(
        action="transfer.document_claimed",
        actor=applicant,
        target=application,
        details={"key_id": key_id, "code_hash": hashed, "issuer": payload["issuer"].get("name", "")},
    )
    return payload


def document_release(*, application: Application, actor: User | None = None) -> None:
    """A withdrawn transfer-in gives its document back: it may be used once again."""
    released = [(d.key_id, d.code_hash) for d in ImportedDocument.objects.filter(application=application)]
    ImportedDocument.objects.filter(application=application).delete()
    for key_id, hashed in released:
        audit_record(
            action="transfer.document_released",
            actor=actor,
            target=application,
            details={"key_id": key_id, "code_hash": hashed},
        )
