import datetime as dt

from django.db.models import Exists, OuterRef
from django.utils import timezone

from registry.accounts import access
from registry.core import compiled
from registry.records.models import Record

from .models import IntegrityEntry, IntegrityKind


def _record_of(person) -> Record | None:
    if isinstance(person, Record):
        return person
    return Record.objects.filter(user=person).first()


def bans_in_force(person, *, on: dt.date | None = None):
    """The bans from accounting work in force on `on` (default today) for a person (a User or
    their Record)."""
    record = _record_of(person)
    if record is None:
        return IntegrityEntry.objects.none()
    return _bans(record, on)


def _bans(record, on: dt.date | None):
    """Bans of `record` (a Record or an OuterRef to one) in force on `on` (default today)."""
    return IntegrityEntry.objects.filter(record=record, kind=IntegrityKind.BAN).in_force_on(on or timezone.localdate())


def restricted(person, *, on: dt.date | None = None) -> bool:
    """`restricted` of the verification API: an integrity ban is in force on that day."""
    return bans_in_force(person, on=on).exists()


def with_restricted(records, *, on: dt.date | None = None):
    """`records` (a Record queryset) with `integrity_restricted`: `restricted(record, on=on)` for
    each, in the same query."""
    return records.annotate(integrity_restricted=Exists(_bans(OuterRef("pk"), on)))


def entries_of_person_read(person) -> compiled.Read | compiled.Known:
    """`entries_of(person)` as a list, through a statement compiled once (the record page reads
    it with the record: by the person's id, not the record's)."""
    if not access.is_active_user(person):
        return compiled.Known([])
    return compiled.Read(
        "integrity entries of person",
        IntegrityEntry,
        lambda pk: IntegrityEntry.objects.filter(record__user_id=pk),
        person.pk,
        list,
    )


def entries_of(person):
    """Everything on a person's integrity record, newest first (what they see on their record page)."""
    if isinstance(person, Record):
        return IntegrityEntry.objects.filter(record=person)
    return IntegrityEntry.objects.filter(record__user=person)  # one query, not the record first


def review_warnings_for(applicant_id: int) -> list[dict]:
    """A ban (in force or coming) and penalties, as review warnings on every application of the person."""
    today = timezone.localdate()
    warnings = []
    entries = IntegrityEntry.objects.filter(
        record__user_id=applicant_id, kind__in=[IntegrityKind.BAN, IntegrityKind.PENALTY]
    )
    for entry in entries.order_by("starts_on"):
        until = f"至 {entry.ends_on:%Y-%m-%d}" if entry.ends_on else "（未定期限）"
        if entry.kind == IntegrityKind.BAN and (entry.in_force_on(today) or entry.starts_on > today):
            warnings.append(
                {
                    "code": "integrity_ban",
                    "message": f"诚信记录：禁止从事会计工作，{entry.starts_on:%Y-%m-%d} 起{until}，"
                    f"文号 {entry.document_number or '未填'}：{entry.summary}",
                    "ok": False,
                }
            )
        elif entry.kind == IntegrityKind.PENALTY and entry.ended_on is None:
            warnings.append(
                {
                    "code": "integrity_penalty",
                    "message": f"诚信记录：行政处罚（{entry.starts_on:%Y-%m-%d}，文号 {entry.document_number or '未填'}）：{entry.summary}",
                    "ok": False,
                }
            )
    return warnings
