"""Reads of continuing education: one person's year, and district lists and rates.

`compliance(person, year)` is what the person's page and the transcript show; the verification API
reads the same figures for many people in one query (`with_year_totals` + `year_totals`);
`district_compliance(year, districts)` and `noncompliant_record_ids(year, districts)` are what
statistics and notices use (both count only obliged people, from CreditObligation)."""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from registry.accounts import access
from registry.core import keyset, refdata
from registry.core.keyset import BadCursor  # noqa: F401  (the views catch selectors.BadCursor)
from registry.core.models import CodeKind
from registry.records.models import Record, RecordStatus, RecordVersion
from registry.records.selectors import CURRENT_QUALIFICATIONS, with_current_data

from .models import (
    CreditDeclaration,
    CreditObligation,
    CreditProof,
    CreditRecord,
    CreditRule,
    CreditStatus,
    CreditTranscript,
    DeclarationStatus,
    Subject,
)
from .rules import DEFAULT_REQUIRED_PROFESSIONAL, DEFAULT_REQUIRED_TOTAL, rules_for

ZERO = Decimal("0.0")


def obliged_from_data(data: dict) -> int | None:
    """The first year a person owes credits: the year after their first accounting qualification
    was obtained or they began accounting work, whichever is earlier; None if neither."""
    years = []
    for q in data.get("qualifications") or []:
        if (q.get("series") or "accounting") == "accounting" and q.get("obtained_on"):
            years.append(_year(q["obtained_on"]))
    since = (data.get("employment") or {}).get("accounting_since")
    if since:
        years.append(_year(since))
    years = [y for y in years if y]
    return min(years) + 1 if years else None


def _year(value: str) -> int | None:
    try:
        return int(str(value)[:4])
    except ValueError:
        return None


def current_data(record: Record) -> dict:
    version = RecordVersion.objects.filter(record=record, version=record.version).values_list("data", flat=True).first()
    return version or {}


@dataclass
class YearStanding:
    year: int
    total: Decimal
    professional: Decimal
    public: Decimal
    required: Decimal
    required_professional: Decimal
    obliged: bool
    obliged_from: int | None
    pending: Decimal = ZERO
    records: list = field(default_factory=list)

    @property
    def compliant(self) -> bool:
        return self.total >= self.required and self.professional >= self.required_professional

    @property
    def missing(self) -> Decimal:
        """Credits still needed (the larger of the total gap and the professional gap)."""
        return max(ZERO, self.required - self.total, self.required_professional - self.professional)

    @property
    def missing_professional(self) -> Decimal:
        return max(ZERO, self.required_professional - self.professional)


def _sums(rows) -> tuple[Decimal, Decimal]:
    professional = sum((r.credits for r in rows if r.subject == Subject.PROFESSIONAL), ZERO)
    public = sum((r.credits for r in rows if r.subject == Subject.PUBLIC), ZERO)
    return professional, public


def compliance(person: Record, year: int, *, with_records: bool = False) -> YearStanding:
    """One person's standing for one year (only that year's accepted credits count; none carry
    over). Before the obligation starts the year needs 0 and is compliant."""
    rules = rules_for(year)
    rows = list(CreditRecord.objects.filter(record=person, year=year).order_by("completed_on", "created_at", "pk"))
    professional, public = _sums([r for r in rows if r.status == CreditStatus.ACCEPTED])
    return _standing(
        year,
        obliged_from_data(current_data(person)),
        professional,
        public,
        rules.required_total,
        rules.required_professional,
        pending=sum((r.credits for r in rows if r.status == CreditStatus.PENDING), ZERO),
        records=rows if with_records else [],
    )


def _standing(year, obliged_from, professional, public, required_total, required_professional, **rest):
    """The year's standing from its sums and rule: nothing is required before the obligation starts
    (one place for compliance() and year_totals())."""
    obliged = obliged_from is not None and year >= obliged_from
    return YearStanding(
        year=year,
        total=professional + public,
        professional=professional,
        public=public,
        required=required_total if obliged else ZERO,
        required_professional=required_professional if obliged else ZERO,
        obliged=obliged,
        obliged_from=obliged_from,
        **rest,
    )


_ACCOUNTING_SINCE = "current_accounting_since"
_MONEY = DecimalField(max_digits=8, decimal_places=1)


def with_year_totals(records, years):
    """`records` (a Record queryset) with what `year_totals(record, year)` needs for each of
    `years`, in the same query: the current version's qualifications and start of accounting work
    (the obligation, as `compliance` derives it — not CreditObligation, which a job refreshes
    later), the accepted professional and public sums and the year's rule (the same for every row:
    an uncorrelated subquery the database runs once). One query for any number of people."""
    records = with_current_data(
        records,
        values={CURRENT_QUALIFICATIONS: "data__qualifications"},
        texts={_ACCOUNTING_SINCE: "data__employment__accounting_since"},
    )

    def summed(year, subject):
        rows = CreditRecord.objects.filter(
            record=OuterRef("pk"), year=year, status=CreditStatus.ACCEPTED, subject=subject
        )
        rows = rows.order_by().values("record").annotate(s=Sum("credits")).values("s")
        return Coalesce(Subquery(rows, output_field=_MONEY), Value(ZERO), output_field=_MONEY)

    def rule(year, field, default):
        # rules_for(year): the latest rule from that year or earlier, else the national default
        rows = CreditRule.objects.filter(year__lte=year).order_by("-year").values(field)[:1]
        return Coalesce(Subquery(rows, output_field=_MONEY), Value(default), output_field=_MONEY)

    annotations = {}
    for year in years:
        annotations[f"ce_{year}_professional"] = summed(year, Subject.PROFESSIONAL)
        annotations[f"ce_{year}_public"] = summed(year, Subject.PUBLIC)
        annotations[f"ce_{year}_required"] = rule(year, "required_total", DEFAULT_REQUIRED_TOTAL)
        annotations[f"ce_{year}_required_professional"] = rule(
            year, "required_professional", DEFAULT_REQUIRED_PROFESSIONAL
        )
    return records.annotate(**annotations)


def year_totals(record: Record, year: int) -> YearStanding:
    """`compliance(record, year)` from a record read through `with_year_totals` (no query), without
    the pending credits and the rows (0 and [])."""
    quals = getattr(record, CURRENT_QUALIFICATIONS)
    since = getattr(record, _ACCOUNTING_SINCE)
    return _standing(
        year,
        obliged_from_data({"qualifications": quals, "employment": {"accounting_since": since}}),
        getattr(record, f"ce_{year}_professional"),
        getattr(record, f"ce_{year}_public"),
        getattr(record, f"ce_{year}_required"),
        getattr(record, f"ce_{year}_required_professional"),
    )


def recent_years(person: Record, *, until: int, count: int = 5) -> list[YearStanding]:
    return [compliance(person, year) for year in range(until - count + 1, until + 1)]


def _obliged_people(year: int, districts=None):
    people = Record.objects.filter(
        pk__in=CreditObligation.objects.filter(obliged_from__lte=year).values("record_id"),
    ).exclude(status=RecordStatus.TRANSFERRED_OUT)
    if districts is not None:
        people = people.filter(district_id__in=list(districts))
    return people


def _with_totals(people, year: int):
    money = DecimalField(max_digits=8, decimal_places=1)

    def total(subject=None):
        rows = CreditRecord.objects.filter(record=OuterRef("pk"), year=year, status=CreditStatus.ACCEPTED)
        if subject:
            rows = rows.filter(subject=subject)
        summed = rows.order_by().values("record").annotate(s=Sum("credits")).values("s")
        return Coalesce(Subquery(summed, output_field=money), Value(ZERO), output_field=money)

    return people.annotate(ce_total=total(), ce_professional=total(Subject.PROFESSIONAL))


def _noncompliant_condition(year: int) -> Q:
    rules = rules_for(year)
    return Q(ce_total__lt=rules.required_total) | Q(ce_professional__lt=rules.required_professional)


def noncompliant_people(year: int, districts=None):
    """Obliged people (not transferred out) of `districts` (None: all) short of the year's rules,
    with `ce_total` and `ce_professional` annotated. Callers scope `districts` to the viewer."""
    return _with_totals(_obliged_people(year, districts), year).filter(_noncompliant_condition(year))


@dataclass
class NoncompliantPage:
    results: list  # Records with ce_total, ce_professional and their district
    next: str | None


NONCOMPLIANT_PAGE_SIZE = 100


def noncompliant_page(year: int, districts=None, *, cursor: str | None = None, page_size: int = NONCOMPLIANT_PAGE_SIZE):
    """One keyset page of `noncompliant_people` by record id (the staff page and the API): `next`
    is the cursor of the following page, None on the last. A cursor that is not a record id this
    could have written raises BadCursor. Callers scope `districts` to the viewer."""
    people = noncompliant_people(year, districts).select_related("district").order_by("pk")
    if cursor:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
            raise BadCursor("cursor")
        people = people.filter(pk__gt=int(cursor))
    rows = list(people[: page_size + 1])
    more, rows = len(rows) > page_size, rows[:page_size]
    return NoncompliantPage(rows, str(rows[-1].pk) if more else None)


def noncompliant_record_ids(year: int, districts=None) -> list[int]:
    """The audience "CE-non-compliant for a year" of notices: Record ids."""
    return list(noncompliant_people(year, districts).values_list("pk", flat=True))


def noncompliant_user_ids(year: int, districts=None) -> list[int]:
    return list(noncompliant_people(year, districts).values_list("user_id", flat=True))


@dataclass(frozen=True)
class DistrictRate:
    district: str
    obliged: int
    compliant: int

    @property
    def rate(self) -> float | None:
        return round(self.compliant / self.obliged, 4) if self.obliged else None


def district_compliance(year: int, districts=None) -> dict[str, DistrictRate]:
    """Per district: obliged people and how many are compliant for `year` (rate = compliant/obliged)."""
    obliged = dict(
        _obliged_people(year, districts).values("district_id").annotate(n=Count("pk")).values_list("district_id", "n")
    )
    short = dict(
        noncompliant_people(year, districts)
        .order_by()
        .values("district_id")
        .annotate(n=Count("pk"))
        .values_list("district_id", "n")
    )
    return {code: DistrictRate(code, n, n - short.get(code, 0)) for code, n in sorted(obliged.items())}


def this_year() -> int:
    return timezone.localdate().year


# --- Declarations in the district's review queue (type ce_declaration) ---------------------------

# The code table of a declaration's rejection reasons (decisions/0009). Declarations decided before
# it existed carry codes of rejection_reason: reason_names reads both.
REJECTION_REASONS = CodeKind.CE_REJECTION_REASON


def rejection_reasons() -> list[tuple[str, str]]:
    """(code, name) of the reasons a reviewer may choose for a declaration, in display order."""
    return refdata.code_choices().get(REJECTION_REASONS, [])


def reason_names(codes) -> list[str]:
    """The names of a decided declaration's reason codes, for people (retired and older codes too)."""
    names = refdata.code_names()
    known = {**names.get(CodeKind.REJECTION_REASON, {}), **names.get(REJECTION_REASONS, {})}
    return [known.get(code, code) for code in codes or []]


QUEUE_STATUSES = [DeclarationStatus.SUBMITTED, DeclarationStatus.IN_REVIEW]


def staff_declarations(user):
    """Declarations a staff member may review: their districts (admins: all); nobody else any."""
    queryset = CreditDeclaration.objects.select_related("record", "district", "claimed_by")
    if access.is_admin(user):
        return queryset
    if access.is_reviewer(user):
        return queryset.filter(district_id__in=sorted(access.district_codes(user)))
    return queryset.none()


@dataclass
class DeclarationPage:
    results: list
    next: str | None
    counts: dict


def declaration_queue(*, user, status=None, district=None, q="", cursor=None, page_size=50) -> DeclarationPage:
    """Oldest first, keyset pages; `status` None: waiting and in review."""
    base = staff_declarations(user)
    if district:
        base = base.filter(district_id=district)
    if q.strip():
        base = base.filter(Q(record__name=q.strip()) | Q(record__id_number=q.strip().upper()))
    counts = dict(base.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    queryset = base.filter(status=status) if status else base.filter(status__in=QUEUE_STATUSES)
    if cursor:
        queryset = queryset.filter(keyset.after("created_at", *keyset.decode(cursor)))
    rows = list(queryset.order_by("created_at", "pk")[: page_size + 1])
    more = len(rows) > page_size
    rows = rows[:page_size]
    return DeclarationPage(rows, keyset.encode(rows[-1].created_at, rows[-1].pk) if more else None, counts)


def person_declarations(person: Record):
    return CreditDeclaration.objects.filter(record=person).prefetch_related("proofs").order_by("-created_at")


def proof_for_read(user, proof_id):
    """A proof file for its owner, reviewers of its district and admins; anyone else: 404."""
    proof = (
        CreditProof.objects.select_related("declaration__record").filter(pk=proof_id).first()
        if _uuid(proof_id)
        else None
    )
    if proof is None or not access.can_view(user, proof.declaration):
        raise Http404
    return proof


def _uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def transcript_by_number(number: str) -> CreditTranscript | None:
    """What a transcript with this verification number stated when issued (for /api/v1/verify)."""
    return CreditTranscript.objects.filter(number=(number or "").strip().upper()).first()
