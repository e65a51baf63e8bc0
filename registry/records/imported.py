"""Records imported from the system being replaced (issue 15): created set-based, without an
account, and later given to the person who claims them. Like `services`, the only writers of the
record tables for these two use cases."""

import json

from django.db import transaction
from django.utils import timezone

from registry.audit.services import audit_record

from .models import Record, RecordStatus, RecordVersion

# The staging table a caller fills (PostgreSQL: by COPY) before `records_create_imported`.
STAGING_COLUMNS = ("row_no", "id_number", "name", "district", "data", "phone", "password_hash", "collected_on")


def staging_create(cursor, table: str) -> None:
    """UNLOGGED, not TEMPORARY: the connection that fills it is not the one that merges it (and its
    rows are not worth a WAL record). No key: the caller stages each ID number once."""
    cursor.execute(
        f"CREATE UNLOGGED TABLE {table} (row_no integer, id_number varchar(18), name varchar(50),"
        " district varchar(12), data jsonb, phone varchar(11), password_hash varchar(255), collected_on date)"
    )


def records_create_imported(*, cursor, table: str, source: str, actor_id: int | None) -> int:
    """PostgreSQL: one record (version 1, source `import:<source>`, no account) for every staged
    row whose ID number is not in the registry; the (record_id, id_number) of every record made
    here lands in the temporary table `<table>_created` for the caller's own rows. ONE statement
    over the whole set — the records, their versions and that list — with the ids assigned by the
    INSERT itself, not a staged-row UPDATE per record; an ID number collected meanwhile is skipped
    (ON CONFLICT) and gets no version."""
    now = timezone.now()
    cursor.execute(f"CREATE TEMPORARY TABLE {table}_created (record_id bigint, id_number varchar(18))")
    cursor.execute(
        f"""
        WITH ins AS (
            INSERT INTO records_record (user_id, district_id, status, version, name, id_number, created_at, updated_at)
            SELECT NULL, s.district, %s, 1, s.name, s.id_number, %s, %s FROM {table} s
            ORDER BY s.row_no
            ON CONFLICT (id_number) DO NOTHING
            RETURNING id, id_number
        ), versions AS (
            INSERT INTO records_recordversion (record_id, version, district_id, data, source, created_at, created_by_id)
            SELECT ins.id, 1, s.district, s.data, %s, %s, %s FROM ins JOIN {table} s ON s.id_number = ins.id_number
        )
        INSERT INTO {table}_created (record_id, id_number) SELECT id, id_number FROM ins
        """,
        [RecordStatus.NORMAL, now, now, f"import:{source}", now, actor_id],
    )
    return cursor.rowcount


def records_create_imported_rows(*, rows: list[dict], source: str, actor_id: int | None) -> dict[str, Record]:
    """The same for the embedded database (SQLite): rows {"id_number", "name", "district", "data"}
    whose ID number is not in the registry. Returns id_number → new record."""
    with transaction.atomic():
        taken = set(
            Record.objects.filter(id_number__in=[r["id_number"] for r in rows]).values_list("id_number", flat=True)
        )
        fresh = [r for r in rows if r["id_number"] not in taken]
        records = Record.objects.bulk_create(
            Record(user=None, district_id=r["district"], name=r["name"], id_number=r["id_number"], version=1)
            for r in fresh
        )
        RecordVersion.objects.bulk_create(
            RecordVersion(
                record=record,
                version=1,
                district_id=r["district"],
                data=r["data"] if isinstance(r["data"], dict) else json.loads(r["data"]),
                source=f"import:{source}",
                created_by_id=actor_id,
            )
            for record, r in zip(records, fresh, strict=True)
        )
    return {r.id_number: r for r in records}


def record_give_to(*, record_id: int, user, actor=None, via: str, ip: str | None = None) -> bool:
    """The claim itself: an unclaimed imported record becomes this account's, conditionally on
    "still nobody's", so of two accounts claiming at once exactly one wins. The account takes the
    record's ID number and name (its login name from now on). False when someone else won."""
    with transaction.atomic():
        won = Record.objects.filter(pk=record_id, user__isnull=True).update(user=user, updated_at=timezone.now())
        if not won:
            return False
        record = Record.objects.get(pk=record_id)
        user.id_number = record.id_number
        user.name = record.name or user.name
        user.save(update_fields=["id_number", "name"])
        audit_record(
            action="record.claimed",
            actor=actor or user,
            target=record,
            district=record.district_id,
            ip=ip,
            details={"user": user.pk, "via": via},
        )
    return True
