"""Continuing-education use cases: provider pushes and file imports (credits_import), declarations
and their review, obligation refresh. Each writes its audit rows; nothing else writes these tables."""

import datetime as dt
import hashlib
import logging
import re
import secrets
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from registry.accounts import access
from registry.applications import storage
from registry.applications.materials import MaterialRejected, check_material, read_limited
from registry.audit.services import audit_record
from registry.core.errors import Conflict, ServiceError
from registry.core.jobs import enqueue
from registry.core.reasons import rejection_reasons_check
from registry.records.models import Record, RecordStatus, RecordVersion

from .models import (
    CreditDeclaration,
    CreditImport,
    CreditObligation,
    CreditProof,
    CreditRecord,
    CreditStatus,
    CreditTranscript,
    DeclarationKind,
    DeclarationStatus,
    ImportStatus,
    Source,
    Subject,
)
from .rules import is_credit_value, round_credits, rules_for
from .selectors import REJECTION_REASONS, current_data, obliged_from_data

logger = logging.getLogger("registry.credits")
MAX_PUSH_RECORDS = 10_000
FIRST_YEAR = 2000
SUBJECT_WORDS = {"professional": Subject.PROFESSIONAL, "public": Subject.PUBLIC, "专业科目": Subject.PROFESSIONAL,
                 "公需科目": Subject.PUBLIC, "专业": Subject.PROFESSIONAL, "公需": Subject.PUBLIC}  # fmt: skip
REJECTION_MESSAGES = {
    "missing_field": "缺少机构记录编号（external_id）",
    "unknown_person": "证件号码未在本系统采集",
    "name_mismatch": "姓名与证件号码不符",
    "bad_year": "年度无效（须为 2000 年至今年的四位年份，完成日期须在该年度内）",
    "bad_credits": "学分无效（须为大于 0 的数，以 0.5 为单位，不超过 999.5）",
    "bad_subject": "科目无效（须为 professional 专业科目 或 public 公需科目）",
    "bad_date": "完成日期无效（格式 YYYY-MM-DD）",
    "future_date": "完成日期晚于今天（只能报送已经完成的学习）",
}


def today() -> dt.date:
    return timezone.localdate()


# --- Provider records: one validation, used by the push API and the file import --------------------


@dataclass
class ImportResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)  # {"index", "code", "row"}

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [{"index": r["index"], "code": r["code"]} for r in self.rejected],
        }


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    return str(value).strip()


NUMBER = re.compile(r"[0-9]{1,4}(\.[0-9]+)?")


def _decimal(value) -> Decimal | None:
    """A plain decimal number (digits, an optional fraction): no signs, exponents or NaN."""
    text = _text(value)
    if not NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _date(value) -> dt.date | None | bool:
    """A date, None when empty, False when unreadable."""
    text = _text(value)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return False


def check_values(row: dict, *, today: dt.date) -> tuple[str | None, dict]:
    """(rejection code or None, normalised fields) for one provider record, before the person is
    looked up. The file import and the push both use it (and imports.CHECKED_SQL says the same)."""
    this_year = today.year
    external_id = _text(row.get("external_id"))
    if not external_id or len(external_id) > 64:
        return "missing_field", {}
    year_text = _text(row.get("year"))
    if not (year_text.isdigit() and len(year_text) == 4 and FIRST_YEAR <= int(year_text) <= this_year):
        return "bad_year", {}
    subject = SUBJECT_WORDS.get(_text(row.get("subject")))
    if subject is None:
        return "bad_subject", {}
    credits = _decimal(row.get("credits"))
    if credits is None or not is_credit_value(credits):
        return "bad_credits", {}
    hours = _decimal(row.get("hours")) if _text(row.get("hours")) else None
    if hours is not None and not 0 <= hours <= 9999:
        return "bad_credits", {}
    completed_on = _date(row.get("completed_on"))
    if completed_on is False:
        return "bad_date", {}
    if completed_on and completed_on.year != int(year_text):
        return "bad_year", {}
    if completed_on and completed_on > today:
        return "future_date", {}
    return None, {
        "id_number": _text(row.get("id_number")).upper(),
        "name": _text(row.get("name")),
        "year": int(year_text),
        "subject": subject,
        "credits": round_credits(credits),
        "hours": hours.quantize(Decimal("0.1")) if hours is not None else None,
        "course": _text(row.get("course"))[:200],
        "completed_on": completed_on,
        "external_id": external_id,
    }


def check_provider_row(row: dict, people: dict, *, today: dt.date) -> tuple[str | None, dict]:
    """check_values, then the person: `people` maps upper-cased ID numbers to (record id, name)."""
    code, fields = check_values(row, today=today)
    if code:
        return code, {}
    person = people.get(fields.pop("id_number"))
    if person is None:
        return "unknown_person", {}
    if fields.pop("name") != person[1]:
        return "name_mismatch", {}
    return None, {"record_id": person[0], **fields}


def _people_for(id_numbers) -> dict:
    wanted = sorted({_text(n).upper() for n in id_numbers if _text(n)})
    people = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        people.update(
            {
                i: (pk, name)
                for pk, i, name in Record.objects.filter(id_number__in=chunk).values_list("pk", "id_number", "name")
            }
        )
    return people


def _lock_provider(provider: str) -> None:
    """One import or push of a provider at a time (a transaction-scoped advisory lock on PostgreSQL;
    SQLite writers are serialised anyway), so two calls with the same records cannot both count them."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"credits:{provider}".encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _existing_ids(provider: str, external_ids: list[str]) -> set[str]:
    found = set()
    for start in range(0, len(external_ids), 5000):
        chunk = external_ids[start : start + 5000]
        found.update(
            CreditRecord.objects.filter(provider=provider, external_id__in=chunk).values_list("external_id", flat=True)
        )
    return found


def provider_rows_apply(
    *, provider: str, rows, start_index: int = 0, result: ImportResult | None = None, source: str = Source.PROVIDER
) -> ImportResult:
    """Check and insert provider rows (already inside the caller's transaction and provider lock).
    Set-based per call: one person look-up, one duplicate look-up, one bulk insert."""
    rows = list(rows)
    result = result or ImportResult()
    people = _people_for(row.get("id_number") for row in rows)
    on = today()
    good: dict[str, CreditRecord] = {}
    for offset, row in enumerate(rows):
        code, fields = check_provider_row(row, people, today=on)
        if code:
            result.rejected.append({"index": start_index + offset, "code": code, "row": row})
        elif fields["external_id"] in good:
            result.duplicates += 1
        else:
            good[fields["external_id"]] = CreditRecord(
                provider=provider, source=source, status=CreditStatus.ACCEPTED, **fields
            )
    existing = _existing_ids(provider, list(good))
    new = [item for key, item in good.items() if key not in existing]
    CreditRecord.objects.bulk_create(new, batch_size=2000)
    result.accepted += len(new)
    result.duplicates += len(existing)
    return result


def credits_push(*, client, records: list[dict], ip: str | None = None) -> ImportResult:
    """A provider's push (POST /api/v1/providers/credits): at most 10,000 records, idempotent by
    (provider, external_id), each bad record rejected with its index and code, all or nothing."""
    if len(records) > MAX_PUSH_RECORDS:
        raise ServiceError("too_many_records", f"每次最多报送 {MAX_PUSH_RECORDS} 条记录，请分批报送。", status=413)
    with transaction.atomic():
        _lock_provider(client.name)
        result = provider_rows_apply(provider=client.name, rows=records)
        audit_record(
            action="credits.push",
            target=client,
            ip=ip,
            details={
                "provider": client.name,
                "records": len(records),
                **{k: v for k, v in result.as_dict().items() if k != "rejected"},
                "rejected": len(result.rejected),
            },  # fmt: skip
        )
    return result


# --- Obligation -----------------------------------------------------------------------------------


def obligations_refresh(*, record_ids=None, batch: int = 2000) -> int:
    """Recompute CreditObligation.obliged_from for records whose version changed since it was last
    computed (or for `record_ids`). Idempotent; returns how many rows changed."""
    records = Record.objects.all()
    if record_ids is not None:
        records = records.filter(pk__in=list(record_ids))
    known = dict(CreditObligation.objects.values_list("record_id", "record_version"))
    stale = [pk for pk, version in records.values_list("pk", "version") if known.get(pk) != version]
    changed = 0
    for start in range(0, len(stale), batch):
        chunk = Record.objects.filter(pk__in=stale[start : start + batch])
        data = {
            r: d
            for r, d in RecordVersion.objects.filter(record__in=chunk, version=F("record__version")).values_list(
                "record_id", "data"
            )
        }
        rows = [
            CreditObligation(
                record_id=r.pk, obliged_from=obliged_from_data(data.get(r.pk, {})), record_version=r.version
            )
            for r in chunk
        ]
        with transaction.atomic():
            CreditObligation.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["record"], update_fields=["obliged_from", "record_version"]
            )
        changed += len(rows)
    return changed


# --- Declarations ---------------------------------------------------------------------------------


def declaration_credits(*, year: int, kind: str, quantity: Decimal) -> tuple[Decimal, str]:
    """Credits and subject from the year's conversion table: never typed by the person."""
    conversion = rules_for(year).conversions[kind]
    return round_credits(conversion.credits * quantity), conversion.subject


# The most one declaration may claim: the days of a year (conferences), its hours (institute hours).
MAX_DAYS = Decimal(366)
MAX_HOURS = MAX_DAYS * 24


def _quantity(kind: str, details: dict) -> Decimal:
    """Days or hours of a declaration counted per day / hour: more than 0, in 0.5 steps, at most
    a year's worth; each refusal says which of these it broke."""
    from .models import DEFAULT_CONVERSIONS, Unit

    unit = DEFAULT_CONVERSIONS[kind][1]
    if unit == Unit.ITEM:
        return Decimal(1)
    if unit == Unit.DAY:
        key, label, word, most = "days", "天数", "天", MAX_DAYS
    else:
        key, label, word, most = "hours", "学时", "学时", MAX_HOURS
    field = f"details.{key}"
    text = _text(details.get(key))
    if not text:
        raise ServiceError("invalid_quantity", f"请填写{label}（大于 0，以 0.5 为单位）", field=field)
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        raise ServiceError("invalid_quantity", f"{label}须为数字（如 1、1.5、2），以 0.5 为单位", field=field)
    value = Decimal(text)
    if value <= 0:
        raise ServiceError("invalid_quantity", f"{label}须大于 0", field=field)
    if value > most:
        raise ServiceError(
            "invalid_quantity",
            f"{label}最多 {most} {word}（填写的是 {text} {word}）：一次申报不能超过一年的{label}，请核对后重新填写",
            field=field,
        )
    if value != round_credits(value):
        raise ServiceError("invalid_quantity", f"{label}须以 0.5 为单位（如 1、1.5、2），填写的是 {text}", field=field)
    return value


def activity_date_check(value, *, year: int, today: dt.date) -> dt.date | None:
    """The date of a declared activity (None when not given): a real date, not after `today`, and in
    the declared year, since credits count only in their own year (PRODUCT.md)."""
    activity_on = _date(value)
    if activity_on is False:
        raise ServiceError("invalid_date", "活动日期格式应为 YYYY-MM-DD，且须为真实存在的日期。", field="details.date")
    if activity_on is None:
        return None
    if activity_on > today:
        raise ServiceError(
            "future_date",
            f"活动日期 {activity_on:%Y-%m-%d} 晚于今天，不能申报尚未完成的活动；请在活动完成后再申报。",
            field="details.date",
        )
    if activity_on.year != year:
        raise ServiceError(
            "date_outside_year",
            f"活动日期 {activity_on:%Y-%m-%d} 不在申报年度（{year} 年）内：学分只计入活动所在年度，"
            "请核对活动日期或申报年度。",
            field="details.date",
        )
    return activity_on


def declaration_submit(
    *, person: Record, actor, year: int, kind: str, details: dict, ip=None, on: dt.date | None = None
) -> CreditDeclaration:
    """A person declares an activity of the conversion table. Refused after the year's deadline
    (31 March of the next year by default), for a year that has not begun, and for an activity
    dated outside the declared year or after today. `on`: the day it counts as declared (today)."""
    if kind not in DeclarationKind.values:
        raise ServiceError("unknown_code", f"申报类型“{kind}”不存在", field="kind")
    if person.user_id != actor.pk:
        raise ServiceError("not_found", "未找到该人员。", status=404)
    if person.status == RecordStatus.TRANSFERRED_OUT:
        raise Conflict("record_transferred_out", "您的信息已调出本辖区，不能在此申报学分。")
    if kind == DeclarationKind.INSTITUTE_HOURS and not _institute_member(person):
        raise ServiceError(
            "not_institute_member",
            "按学时折算学分仅适用于注册会计师协会、资产评估协会会员（京财会〔2020〕190号）。您的信息中没有注册会计师"
            "或资产评估师资格；如已取得，请先办理“信息变更”登记该资格。",
            field="kind",
        )
    now = on or today()
    if year > now.year or year < FIRST_YEAR:
        raise ServiceError("bad_year", "只能申报今年或以前年度的学分。", field="year")
    rules = rules_for(year)
    if now > rules.declare_until:
        raise Conflict(
            "declaration_closed",
            f"{year} 年度的学分补登已于 {rules.declare_until:%Y年%-m月%-d日} 截止，不能再申报该年度的学分。",
        )
    details = {str(k)[:40]: _text(v)[:500] for k, v in (details or {}).items()}
    if not details.get("title"):
        raise ServiceError("required", "请填写活动名称（如考试科目、会议、课题、论文或书名）", field="details.title")
    activity_on = activity_date_check(details.get("date"), year=year, today=now)
    if activity_on:
        details["date"] = activity_on.isoformat()
    quantity = _quantity(kind, details)
    credits, subject = declaration_credits(year=year, kind=kind, quantity=quantity)
    with transaction.atomic():
        credit = CreditRecord.objects.create(
            record=person, year=year, subject=subject, credits=credits, source=Source.DECLARATION,
            course=details["title"][:200], completed_on=activity_on, status=CreditStatus.PENDING,
        )  # fmt: skip
        declaration = CreditDeclaration.objects.create(
            record=person, district_id=person.district_id, year=year, kind=kind, quantity=quantity,
            details=details, credits=credits, subject=subject, credit=credit,
        )  # fmt: skip
        audit_record(
            action="credits.declare", actor=actor, target=declaration, district=person.district_id, ip=ip,
            details={"year": year, "kind": kind, "credits": str(credits)},
        )  # fmt: skip
    return declaration


# The practicing qualifications whose holders belong to the institutes whose hours convert.
INSTITUTE_KINDS = frozenset({"cpa", "asset_appraiser"})


def _institute_member(person: Record) -> bool:
    return any(entry.get("kind") in INSTITUTE_KINDS for entry in current_data(person).get("practicing") or [])


def proof_add(*, declaration: CreditDeclaration, actor, uploaded) -> CreditProof:
    """Attach a proof (ce_proof) while the declaration waits for review; checked by content."""
    if declaration.record.user_id != actor.pk:
        raise ServiceError("not_found", "未找到该申报。", status=404)
    if declaration.status != DeclarationStatus.SUBMITTED:
        raise Conflict("not_editable", "审核员已受理该申报，不能再补充材料。")
    stored = []
    try:
        checked = check_material(CreditProof.KIND, read_limited(uploaded))
        stored.append(storage.save(f"credits/{declaration.pk}/{uuid.uuid4().hex}.{checked.extension}", checked.content))
        with transaction.atomic():
            locked = CreditDeclaration.objects.select_for_update().get(pk=declaration.pk)
            if locked.status != DeclarationStatus.SUBMITTED:
                raise Conflict("not_editable", "审核员已受理该申报，不能再补充材料。")
            proof = CreditProof.objects.create(
                declaration=declaration, file=stored[0], original_name=(getattr(uploaded, "name", "") or "")[-200:],
                content_type=checked.content_type, size=len(checked.content), sha256=checked.sha256, uploaded_by=actor,
            )  # fmt: skip
            audit_record(action="credits.proof_add", actor=actor, target=declaration, district=declaration.district_id,
                         details={"proof": str(proof.pk), "sha256": checked.sha256})  # fmt: skip
    except MaterialRejected as exc:
        storage.delete_quietly(stored)
        raise ServiceError(exc.code, exc.message, status=exc.status, field="file") from None
    except BaseException:
        storage.delete_quietly(stored)
        raise
    return proof


def _move(
    declaration: CreditDeclaration, *, frm: str, to: str, conflict: str, message: str, **fields
) -> CreditDeclaration:
    """A conditional UPDATE on status and version: of two reviewers acting at once exactly one wins."""
    updated = CreditDeclaration.objects.filter(pk=declaration.pk, status=frm, version=declaration.version).update(
        status=to, version=F("version") + 1, **fields
    )
    if not updated:
        raise Conflict(conflict, message)
    declaration.refresh_from_db()
    return declaration


def _check_staff(actor, declaration: CreditDeclaration) -> None:
    if not access.can_act_for_district(actor, declaration.district_id):
        raise ServiceError("not_found", "未找到该申报，或不属于您负责的区。", status=404)
    access.refuse_own(actor, declaration.record.user_id, what="学分申报")


def declaration_open(*, actor, declaration: CreditDeclaration, ip=None) -> CreditDeclaration:
    _check_staff(actor, declaration)
    audit_record(action="credits.review_open", actor=actor, target=declaration, district=declaration.district_id, ip=ip)
    return declaration


def declaration_claim(*, actor, declaration: CreditDeclaration, ip=None) -> CreditDeclaration:
    _check_staff(actor, declaration)
    with transaction.atomic():
        declaration = _move(declaration, frm=DeclarationStatus.SUBMITTED, to=DeclarationStatus.IN_REVIEW,
                            conflict="already_claimed", message="该申报已被其他审核员受理", claimed_by=actor)  # fmt: skip
        audit_record(
            action="credits.review_claim", actor=actor, target=declaration, district=declaration.district_id, ip=ip
        )
    return declaration


def declaration_decide(
    *,
    actor,
    declaration: CreditDeclaration,
    decision: str,
    reasons: list[str] | None = None,
    comment: str = "",
    ip=None,
) -> CreditDeclaration:
    """Approve (the credits count) or reject with reasons of the code table ce_rejection_reason
    (a credit claim's own, not the collection's). A submitted declaration is claimed by the decision
    itself; a claimed one only by its reviewer or an admin."""
    _check_staff(actor, declaration)
    if decision not in ("approve", "reject"):
        raise ServiceError("invalid_decision", "审核结论只能是 approve 或 reject", field="decision")
    reasons = [r for r in dict.fromkeys(reasons or []) if r]
    if decision == "reject":
        rejection_reasons_check(kind=REJECTION_REASONS, reasons=reasons, comment=comment)
    elif not declaration.proofs.exists():
        raise Conflict("missing_proof", "该申报没有上传证明材料，不能认定；请选择“证明材料不清晰或缺失”不予通过。")
    if (
        declaration.status == DeclarationStatus.IN_REVIEW
        and declaration.claimed_by_id != actor.pk
        and not access.is_admin(actor)
    ):
        raise Conflict("already_claimed", "该申报已被其他审核员受理")
    with transaction.atomic():
        if declaration.status == DeclarationStatus.SUBMITTED:
            declaration = _move(declaration, frm=DeclarationStatus.SUBMITTED, to=DeclarationStatus.IN_REVIEW,
                                conflict="already_decided", message="该申报已经作出审核决定", claimed_by=actor)  # fmt: skip
        to = DeclarationStatus.APPROVED if decision == "approve" else DeclarationStatus.REJECTED
        declaration = _move(
            declaration, frm=DeclarationStatus.IN_REVIEW, to=to, conflict="already_decided",
            message="该申报已经作出审核决定", reasons=reasons if decision == "reject" else [], comment=comment[:1000],
            decided_by=actor, decided_at=timezone.now(),
        )  # fmt: skip
        CreditRecord.objects.filter(pk=declaration.credit_id).update(
            status=CreditStatus.ACCEPTED if decision == "approve" else CreditStatus.REJECTED
        )
        audit_record(
            action=f"credits.declaration_{decision}", actor=actor, target=declaration, district=declaration.district_id,
            ip=ip, details={"reasons": reasons, "comment": comment[:1000], "credits": str(declaration.credits)},
        )  # fmt: skip
    return declaration


# --- Transcript -----------------------------------------------------------------------------------


def transcript_issue(*, person: Record, year: int, actor, ip=None) -> tuple[bytes, CreditTranscript]:
    """Render the year's transcript PDF and keep its verification number and what it states."""
    from django.conf import settings

    from . import transcript
    from .selectors import compliance

    standing = compliance(person, year, with_records=True)
    number = f"CE{year}" + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(12))
    issued = timezone.localdate()
    pdf = transcript.render(standing=standing, record=person, number=number, issued_on=issued,
                            bureau=settings.REGISTRY_BUREAU_NAME)  # fmt: skip
    with transaction.atomic():
        issued_row = CreditTranscript.objects.create(
            number=number, record=person, year=year, name=person.name, total=standing.total,
            professional=standing.professional, public=standing.public, required=standing.required,
            compliant=standing.compliant, sha256=hashlib.sha256(pdf).hexdigest(),
        )  # fmt: skip
        audit_record(action="credits.transcript", actor=actor, target=issued_row, district=person.district_id, ip=ip,
                     details={"year": year, "number": number})  # fmt: skip
    return pdf, issued_row


# --- Provider files -------------------------------------------------------------------------------


FILE_SOURCES = (Source.PROVIDER, Source.EXAM)  # whose files the admin imports


def _file_origin(provider: str, source: str) -> str:
    """Who sent the file, checked: the provider's (or exam body's) name as stored, and its source."""
    if source not in FILE_SOURCES:
        raise ServiceError("unknown_code", "来源只能是 provider（培训机构报送）或 exam（考试合格）", field="source")
    provider = (provider or "").strip()[:100]
    if not provider:
        raise ServiceError("required", "请填写培训机构或考试机构名称", field="provider")
    return provider


def credits_import_path(*, path, provider: str, source: str = Source.PROVIDER, actor=None, progress=None):
    """Import a CSV/XLSX file of a training provider, or of an exam body's subjects passed (the
    command and the background job); audited."""
    from . import imports

    provider = _file_origin(provider, source)
    try:
        outcome = imports.import_file(path=path, provider=provider, source=source, progress=progress)
    except imports.BadFile as exc:
        raise ServiceError("bad_file", str(exc), field="file") from None
    audit_record(
        action="credits.import", actor=actor,
        details={"provider": provider, "source": source, "rows": outcome.rows, "accepted": outcome.result.accepted,
                 "duplicates": outcome.result.duplicates, "rejected": len(outcome.result.rejected)},
    )  # fmt: skip
    return outcome


def credits_import_start(*, provider: str, uploaded, actor, source: str = Source.PROVIDER) -> CreditImport:
    """An admin's upload: store the file privately and run the import as a background job."""
    from .tasks import run_credit_import

    if not access.is_admin(actor):
        raise ServiceError("forbidden", "只有市财政局管理员可以导入学分文件。", status=403)
    provider = _file_origin(provider, source)
    name = (getattr(uploaded, "name", "") or "").lower()
    if not name.endswith((".csv", ".xlsx")):
        raise ServiceError("unsupported_type", "只能导入 CSV 或 XLSX 文件（请使用模板）。", field="file")
    stored = storage.save(f"credit-imports/{uuid.uuid4().hex}.{name.rsplit('.', 1)[-1]}", uploaded.read())
    with transaction.atomic():
        job = CreditImport.objects.create(
            provider=provider, source=source, file=stored, original_name=name[-200:], created_by=actor
        )
        audit_record(
            action="credits.import_start",
            actor=actor,
            target=job,
            details={"provider": provider, "source": source, "file": name},
        )
        enqueue(run_credit_import, str(job.pk), background=True)
    return job


def credits_import_run(import_id) -> str:
    """The background job: idempotent (a finished import is not run again; a re-delivered one runs
    again and finds its rows already there)."""
    import tempfile
    from pathlib import Path

    from . import imports

    job = CreditImport.objects.filter(pk=import_id).first()
    if job is None or job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return job.status if job else "missing"
    suffix = "." + job.file.name.rsplit(".", 1)[-1]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"import{suffix}"
        path.write_bytes(storage.read(job.file.name))
        total = imports.count_rows(path)
        CreditImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, total=total, processed=0)

        def progress(done: int) -> None:
            CreditImport.objects.filter(pk=job.pk).update(processed=min(done, total) if total else done)

        try:
            outcome = credits_import_path(
                path=path, provider=job.provider, source=job.source, actor=job.created_by, progress=progress
            )
        except ServiceError as exc:
            CreditImport.objects.filter(pk=job.pk).update(
                status=ImportStatus.FAILED, error=exc.message, finished_at=timezone.now()
            )
            return ImportStatus.FAILED
        except Exception:
            # nothing was written (the merge is one transaction): say so instead of "running" forever
            logger.exception("credit import %s failed", job.pk)
            CreditImport.objects.filter(pk=job.pk).update(
                status=ImportStatus.FAILED,
                error="导入失败（系统错误，未写入任何记录），请稍后重新上传或联系运维。",
                finished_at=timezone.now(),
            )
            raise
    rejected_name = ""
    if outcome.result.rejected:
        rejected_name = storage.save(
            f"credit-imports/{job.pk.hex}-rejected.xlsx", imports.rejected_xlsx(outcome.result.rejected)
        )
    CreditImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, processed=outcome.rows, total=outcome.rows, accepted=outcome.result.accepted,
        duplicates=outcome.result.duplicates, rejected=len(outcome.result.rejected), rejected_file=rejected_name,
        finished_at=timezone.now(),
    )  # fmt: skip
    return ImportStatus.DONE


# --- Reads of personal data by staff (audited) -----------------------------------------------------


def proof_open(*, proof: CreditProof, actor, ip: str | None = None):
    """The stored proof file, opened for reading; a read by anyone but its owner is audited."""
    if actor.pk != proof.declaration.record.user_id:
        audit_record(action="credits.proof_read", actor=actor, target=proof.declaration,
                     district=proof.declaration.district_id, ip=ip, details={"proof": str(proof.pk)})  # fmt: skip
    return storage.open_for_reading(proof.file.name)


def noncompliant_list_read(
    *, actor, year: int, district: str, rows: int, cursor: str | None = None, ip: str | None = None
) -> None:
    """Staff looked at a page of non-compliant people (names and ID numbers): one audit row per page
    (`cursor`: which page; none for the first)."""
    audit_record(action="credits.noncompliant_list", actor=actor, ip=ip,
                 details={"year": year, "district": district or "", "rows": rows, "cursor": cursor or ""})  # fmt: skip
