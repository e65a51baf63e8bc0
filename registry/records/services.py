from django.db import transaction

from registry.audit.services import audit_record

from .models import Record, RecordVersion


@transaction.atomic
def record_apply(*, user, district_code: str, data: dict, source: str, actor=None) -> Record:
    """Create the person's record or replace it with a new version; earlier versions are kept.
    The ID number becomes the person's login name."""
    basic = data.get("basic", {})
    record = Record.objects.select_for_update().filter(user=user).first()
    if record is None:
        record = Record.objects.create(
            user=user, district_id=district_code, name=basic.get("name", ""), id_number=basic.get("id_number", "")
        )
    else:
        record.version += 1
        record.district_id = district_code
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
    audit_record(
        action="record.apply",
        actor=actor,
        target=record,
        district=district_code,
        details={"version": record.version, "source": source},
    )
    return record
