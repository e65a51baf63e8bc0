from django.db import transaction

from registry.audit.services import audit_record

from .models import Record, RecordMove, RecordStatus, RecordVersion


@transaction.atomic
def record_apply(
    *, user, district_code: str, data: dict, source: str, actor=None, status: str = RecordStatus.NORMAL
) -> Record:
    """Create the person's record or replace it with a new version; earlier versions are kept.
    The ID number becomes the person's login name. A new managing district is recorded as a move."""
    basic = data.get("basic", {})
    record = Record.objects.select_for_update().filter(user=user).first()
    moved_from = None
    if record is None:
        record = Record.objects.create(
            user=user,
            district_id=district_code,
            name=basic.get("name", ""),
            id_number=basic.get("id_number", ""),
            status=status,
        )
    else:
        record.version += 1
        if record.district_id != district_code:
            moved_from = record.district_id
        record.district_id = district_code
        record.status = status
        record.name = basic.get("name", record.name)
        record.id_number = basic.get("id_number", record.id_number)
        record.save()
    RecordVersion.objects.create(
        record=record, version=record.version, district_id=district_code, data=data, source=source, created_by=actor
    )
    if record.id_number and user.id_number != record.id_number:
        user.id_number = record.id_number
        user.name = record.name or user.name
        user.save(update_fields=["id_number", "name"])
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


def record_set_status(*, record: Record, status: str, actor=None, reason: str = "") -> Record:
    """Status only (调出中, back to 正常 …): the data and its versions are untouched."""
    old = record.status
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
