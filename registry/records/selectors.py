import re

from django.db.models import OuterRef, Subquery
from django.db.models.fields.json import KT

from registry.accounts import access
from registry.accounts.models import User

from .models import Record, RecordMove, RecordVersion

CURRENT_QUALIFICATIONS = "current_qualifications"  # with_current_data's name for data["qualifications"]


def person_for_staff(*, actor, id_number: str):
    """The account of the person with this ID number, if the staff member's districts manage them.
    None when there is no such person *or* they belong to another district (the caller answers 404)."""
    record = (
        Record.objects.visible_to(actor)
        .select_related("user")
        .filter(id_number=id_number.upper(), user__isnull=False)  # an unclaimed imported record has no account
        .first()
    )
    if record is None or not access.can_act_for_district(actor, record.district_id):
        return None
    return record


def moves_away(user, *, limit: int = 20) -> list[RecordMove]:
    """People who left this reviewer's districts lately (their home page): the old district is told."""
    return list(
        RecordMove.objects.in_districts_of(user)
        .select_related("record", "to_district", "from_district")
        .order_by("-at")[:limit]
    )


def with_current_data(records, *, values=None, texts=None):
    """Parts of each record's current version's form data, read in the records' own query (a
    subquery per part on the (record, version) index): `values={"name": "data__path"}` as JSON
    values (lists, objects), `texts={...}` as text; None for a record without a version or data
    without the part. A name the queryset already carries is not read twice."""
    version = RecordVersion.objects.filter(record=OuterRef("pk"), version=OuterRef("version"))
    annotations = {}
    for name, path in (values or {}).items():
        annotations[name] = Subquery(version.values(path)[:1])
    for name, path in (texts or {}).items():
        annotations[name] = Subquery(version.annotate(part=KT(path)).values("part")[:1])
    annotations = {name: a for name, a in annotations.items() if name not in records.query.annotations}
    return records.annotate(**annotations) if annotations else records


def names_match(given: str, stored: str) -> bool:
    """A name given (a verification query, a form) is the name a record holds: exact but for
    whitespace, except that a rare character collected as `*` matches any one character."""
    given, stored = re.sub(r"\s+", "", given or ""), re.sub(r"\s+", "", stored or "")
    if not given or len(given) != len(stored):
        return False
    return all(s == g or s == "*" for g, s in zip(given, stored, strict=True))


def names_collected_elsewhere(*, id_number: str, user) -> list[str]:
    """The names under which this ID number is already collected on an account other than `user`'s:
    another account carries it, or a record (also an imported one nobody has claimed yet) holds it."""
    spellings = {id_number.strip().upper(), id_number.strip().lower()}  # a check digit X typed as x
    accounts = User.objects.filter(id_number__in=spellings).exclude(pk=user.pk).values_list("name", flat=True)
    records = Record.objects.filter(id_number__in=spellings).exclude(user_id=user.pk).values_list("name", flat=True)
    return [*accounts, *records]
