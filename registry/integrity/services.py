import datetime as dt

from django.db import transaction
from django.utils import timezone

from registry.accounts import access
from registry.audit.services import audit_record
from registry.core.errors import Conflict, ServiceError
from registry.records.models import Record

from .models import IntegrityEntry, IntegrityKind


def _require_staff(actor) -> None:
    if not access.is_staff_member(actor):
        raise ServiceError("forbidden", "仅区财政局审核员和市财政局管理员可以登记诚信记录。", status=403)


def integrity_record(
    *,
    actor,
    id_number: str,
    kind: str,
    summary: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    document_number: str = "",
    ip=None,
) -> IntegrityEntry:
    """Record a reward, penalty or ban for a person managed by one of the actor's districts (a
    reviewer: 403 for a person of another district; nobody: 404 for an unknown ID number)."""
    _require_staff(actor)
    if kind not in IntegrityKind.values:
        raise ServiceError("unknown_code", "类别只能是 reward、penalty 或 ban", field="kind")
    summary = (summary or "").strip()
    if not summary or len(summary) > 500:
        raise ServiceError("required", "请填写事由（500 字以内）", field="summary")
    document_number = (document_number or "").strip()[:100]
    if ends_on is not None and ends_on < starts_on:
        raise ServiceError("date_order", "截止日期不能早于起始日期", field="ends_on")
    record = Record.objects.filter(id_number=(id_number or "").strip().upper()).first()
    if record is None or not access.can_access(actor, owner_id=None, district_code=record.district_id):
        if record is not None and access.is_reviewer(actor):
            raise ServiceError("outside_districts", "该人员不由您负责的区管理，不能登记诚信记录。", status=403)
        raise ServiceError("not_found", "未找到该证件号码的人员信息。", status=404, field="id_number")
    access.refuse_own(actor, record.user_id, what="诚信记录")
    with transaction.atomic():
        entry = IntegrityEntry.objects.create(
            record=record,
            kind=kind,
            summary=summary,
            document_number=document_number,
            starts_on=starts_on,
            ends_on=ends_on,
            district_id=record.district_id,
            created_by=actor,
        )
        audit_record(
            action="integrity.create",
            actor=actor,
            target=entry,
            ip=ip,
            district=record.district_id,
            details={
                "record": record.pk,
                "kind": kind,
                "document_number": document_number,
                "starts_on": starts_on,
                "ends_on": ends_on,
            },
        )
    return entry


def integrity_end(*, actor, entry_id, reason: str, ended_on: dt.date | None = None, ip=None) -> IntegrityEntry:
    """Lift an entry early (e.g. a ban revoked on review); 409 if it already ended."""
    _require_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("required", "请填写解除原因", field="reason")
    with transaction.atomic():
        entry = access.get_visible_or_404(IntegrityEntry.objects.select_for_update(of=("self",)), actor, pk=entry_id)
        if not access.can_act_for_district(actor, entry.record.district_id):
            raise ServiceError("not_found", "未找到该诚信记录。", status=404)
        access.refuse_own(actor, entry.record.user_id, what="诚信记录")
        day = ended_on or timezone.localdate()
        if entry.ended_on is not None or (entry.ends_on is not None and entry.ends_on < day):
            raise Conflict("already_ended", "该诚信记录已到期或已解除。")
        entry.ended_on, entry.ended_by, entry.end_reason = day, actor, reason[:300]
        entry.save(update_fields=["ended_on", "ended_by", "end_reason"])
        audit_record(
            action="integrity.end",
            actor=actor,
            target=entry,
            ip=ip,
            district=entry.record.district_id,
            details={"ended_on": day, "reason": reason[:300]},
        )
    return entry
