from django.db import transaction

from registry.accounts.models import User
from registry.audit.services import audit_record

from .models import Record, RecordMove, RecordStatus, RecordVersion


@transaction.atomic
def record_apply(
    *,
    user: User,
    district_code: str,
    data: dict,
    source: str,
    actor: User | None = None,
    status: str | None = RecordStatus.NORMAL,
) -> Record:
    """Create the person's record or replace it with a new version; earlier versions are kept.
    The ID number becomes the person's login name. A new managing district is recorded as a move.
    `status=None` keeps the record's status (a change leaves a campaign's mark to the campaign)."""
    basic = data.get("basic", {})
    record = Record.objects.select_for_update().filter(user=user).first()
    moved_from = None
    if record is None:
        record = Record.objects.create(
            user=user,
            district_id=district_code,
            name=basic.get("name", ""),
            id_number=basic.get("id_number", ""),
            status=status or RecordStatus.NORMAL,
        )
    else:
        record.version += 1
        if record.district_id != district_code:
            moved_from = record.district_id
        record.district_id = district_code
        record.status = status or record.status
        record.name = basic.get("name", record.name)
        record.id_number = basic.get("id_number", record.id_number)
        record.save()
    RecordVersion.objects.create(
        record=record, version=record.version, district_id=district_code, data=data, source=source, created_by=actor
    )
    if record.id_number:
        from registry.accounts.services import user_set_identity

        user_set_identity(user=user, id_number=record.id_number, name=record.name, actor=actor)
    if moved_from:
        RecordMove.objects.create(
            record=record,
            from_district_id=moved_from,
            to_district_id=district_code,
            version=record.version,
            source=source,
        )
        audit_record(
            action="record.moved_out",
            actor=actor,
            target=record,
            district=moved_from,
            details={"to": district_code, "version": record.version, "source": source},
        )
    audit_record(
        action="record.apply",
        actor=actor,
        target=record,
        district=district_code,
        details={"version": record.version, "source": source},
    )
    return record


@transaction.atomic
def record_set_status(*, record: Record, status: str, actor: User | None = None, reason: str = "") -> Record:
    """Status only (调出中, back to 正常 …): the data and its versions are untouched. The row is
    locked, so the old status audited is the one replaced."""
    old = Record.objects.select_for_update().values_list("status", flat=True).get(pk=record.pk)
    Record.objects.filter(pk=record.pk).update(status=status)
    record.status = status
    audit_record(
        action="record.status",
        actor=actor,
        target=record,
        district=record.district_id,
        details={"from": old, "to": status, "reason": reason},
    )
    return record


@transaction.atomic
def record_import_history(*, user: User, payload: dict, actor: User | None = None) -> Record:
    """A record transferred from another deployment: its versions arrive as they were there (with
    the origin's districts); the approval then adds this deployment's version on top."""
    versions = payload["record"]["versions"]
    last = versions[-1]
    basic = last["data"].get("basic", {})
    record = Record.objects.create(
        user=user,
        district_id=last["district"],
        name=basic.get("name", ""),
        id_number=payload["person"]["id_number"],
        status=RecordStatus.TRANSFERRED_OUT,
        version=len(versions),
    )
    RecordVersion.objects.bulk_create(
        RecordVersion(
            record=record,
            version=i,
            district_id=v["district"],
            data=v["data"],
            source=f"imported:{v.get('source', '')}"[:40],
            created_by=actor,
        )
        for i, v in enumerate(versions, start=1)
    )
    audit_record(
        action="record.imported",
        actor=actor,
        target=record,
        district=last["district"],
        details={
            "issuer": payload["issuer"],
            # a format-1 document (submitted before the upgrade) carried the code itself
            "code_hash": (payload.get("transfer_code_hash") or {}).get("hash") or payload.get("transfer_code", ""),
            "versions": len(versions),
        },
    )
    return record
