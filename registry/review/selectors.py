"""The review queue: scoped to the reviewer's districts, filtered, searched, oldest first, keyset-paginated."""

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import NamedTuple

from django.db import router
from django.db.models import Count, F, Sum
from django.utils import timezone

from registry.accounts import access
from registry.accounts.access import filter_visible
from registry.applications.models import Application, ApplicationCertificate, ApplicationStatus, StatusCount
from registry.core import compiled, keyset
from registry.core.keyset import BadCursor  # noqa: F401  (the views catch selectors.BadCursor)

REVIEW_STATUSES = [ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW]
PAGE_SIZE = 50


class QueueRow(NamedTuple):
    """One row of the queue (the API's QueueItem, the web queue's row): the listed columns only —
    never the form JSON — read as plain values, not as model instances (issue 17)."""

    id: uuid.UUID
    type: str
    status: str
    district_id: str
    applicant_name: str
    id_number: str
    round: int
    submitted_at: dt.datetime
    due_on: dt.date | None
    claimed_by_id: uuid.UUID | None
    claimed_by_name: str | None
    claimed_by_phone: str | None

    @property
    def pk(self):
        return self.id

    @property
    def claimed_by_label(self) -> str | None:
        """Who has claimed it: the name, else the phone (API.md "Review")."""
        if self.claimed_by_id is None:
            return None
        return self.claimed_by_name or self.claimed_by_phone


@dataclass
class QueuePage:
    results: list[QueueRow]
    next: str | None
    counts: dict[str, int]


def encode_cursor(application) -> str:
    """The cursor of the page after this application (a model instance or a QueueRow)."""
    return keyset.encode(application.submitted_at, application.pk)


decode_cursor = keyset.decode

_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")


def _search_terms(q: str) -> tuple[str, list[str]]:
    """The kind of search and its values: an ID number alone, or a name / ID number / certificate number."""
    name = q.strip()
    number = name.upper()
    if not name:
        return "", []
    if _ID_NUMBER.fullmatch(number):
        return "id_number", [number]
    return "any", [name, number, number]


def _search(queryset, kind: str, terms: list[str]):
    """Exact matches on indexed columns: an ID number, a certificate number, or a name."""
    if kind == "id_number":
        return queryset.filter(id_number=terms[0])
    name, number, certificate = terms
    # A UNION of three index look-ups, not an OR: PostgreSQL cannot combine an OR holding a subquery
    # into index scans, and counted a common name against all 1.1M applications (0.4–4.9 s at 1M
    # people; ~4 ms as a UNION).
    found = (
        Application.objects.filter(applicant_name=name)
        .values("pk")
        .union(
            Application.objects.filter(id_number=number).values("pk"),
            ApplicationCertificate.objects.filter(number=certificate).values("application_id"),
        )
    )
    return queryset.filter(pk__in=found)


# The columns of a QueueRow, in its order.
ROW_COLUMNS = [
    "id",
    "type",
    "status",
    "district_id",
    "applicant_name",
    "id_number",
    "round",
    "submitted_at",
    "due_on",
    "claimed_by_id",
]
ROW_JOINED = {"claimed_by_name": F("claimed_by__name"), "claimed_by_phone": F("claimed_by__phone")}
COUNTED_STATUSES = REVIEW_STATUSES + [ApplicationStatus.REJECTED, ApplicationStatus.APPROVED]


def after(moment: dt.datetime, pk):
    """The keyset condition: rows strictly after (submitted_at, id) = (moment, pk), in the queue's
    order (submitted_at, id ascending — the only order the queue has)."""
    return keyset.after("submitted_at", moment, pk)


def _scope_key(user) -> tuple:
    """Everything `in_districts_of(user)` depends on: a compiled queue statement is reused only by
    callers with the same scope (the districts are in its SQL, not among its values)."""
    if access.is_admin(user):
        return ("admin",)
    if access.is_reviewer(user):
        return ("districts", *sorted(access.district_codes(user)))
    return ("nobody",)


def _scoped(user, given: dict):
    base = Application.objects.in_districts_of(user)
    if "district" in given:
        base = base.filter(district_id=given["district"])
    if "type" in given:
        base = base.filter(type=given["type"])
    return base


def _compiled_rows(name: str, user, given: dict, terms: list, build, *extra_key, as_tuples=False) -> list:
    """`build(given, terms)` compiled once per shape (which filters are given, the search's kind, the
    caller's scope) and run with this call's values: building and compiling the ORM's queries was
    most of the queue's CPU (core/compiled.py)."""
    names = tuple(given)

    def build_from(values):
        return build(dict(zip(names, values[: len(names)], strict=True)), values[len(names) :])

    key = (name, _scope_key(user), names, len(terms), *extra_key)
    values = [*given.values(), *terms]
    return compiled.rows(key, build_from, values, using=router.db_for_read(Application), as_tuples=as_tuples)


def status_counts(*, user, district: str | None = None, type: str | None = None) -> dict[str, int]:
    """Applications per status in this staff member's districts, from the counters
    (applications.counts): a few hundred rows at most, however long the approved history."""
    given = {k: v for k, v in (("district", district), ("type", type)) if v}

    def build(given, _terms):
        rows = filter_visible(StatusCount.objects.all(), user, owner_field=None, district_field="district")
        if "district" in given:
            rows = rows.filter(district_id=given["district"])
        if "type" in given:
            rows = rows.filter(type=given["type"])
        return rows.filter(status__in=COUNTED_STATUSES).values("status").annotate(total=Sum("n")).order_by()

    found = _compiled_rows("status_counts", user, given, [], build)
    return {r["status"]: r["total"] for r in found if r["total"]}


def _search_counts(*, user, given: dict, kind: str, terms: list[str]) -> dict[str, int]:
    """Per status among what a search found: an exact match on indexed columns, as cheap to count as to find."""

    def build(given, terms):
        found = _search(_scoped(user, given), kind, terms).filter(status__in=COUNTED_STATUSES)
        return found.values("status").annotate(n=Count("pk")).order_by()

    return {r["status"]: r["n"] for r in _compiled_rows("search_counts", user, given, terms, build, kind)}


def review_queue(
    *,
    user,
    status: str | None = None,
    type: str | None = None,
    district: str | None = None,
    overdue: bool = False,
    q: str = "",
    cursor: str | None = None,
    page_size: int = PAGE_SIZE,
    today: dt.date | None = None,
) -> QueuePage:
    moment, pk = decode_cursor(cursor) if cursor else (None, None)
    given = {k: v for k, v in (("district", district), ("type", type)) if v}
    kind, terms = _search_terms(q)
    counts = (
        _search_counts(user=user, given=given, kind=kind, terms=terms)
        if kind
        else status_counts(user=user, district=district, type=type)
    )
    if status:
        given["status"] = status
    if overdue:
        given["today"] = today or timezone.localdate()
    if cursor:
        given["moment"], given["pk"] = moment, uuid.UUID(pk)

    def build(given, terms):
        queryset = _scoped(user, given)
        if kind:
            queryset = _search(queryset, kind, terms)
        if "status" in given:
            queryset = queryset.filter(status=given["status"])
        else:
            queryset = queryset.filter(status__in=REVIEW_STATUSES)
        if "today" in given:
            queryset = queryset.filter(due_on__lt=given["today"], status__in=REVIEW_STATUSES)
        if "moment" in given:
            queryset = queryset.filter(after(given["moment"], given["pk"]))
        return queryset.values(*ROW_COLUMNS, **ROW_JOINED).order_by("submitted_at", "pk")[: page_size + 1]

    found = _compiled_rows("review_queue", user, given, terms, build, kind, page_size, as_tuples=True)
    rows = list(map(QueueRow._make, found[:page_size]))
    more = len(found) > page_size
    return QueuePage(results=rows, next=encode_cursor(rows[-1]) if more else None, counts=counts)


def is_overdue(application: Application, today: dt.date | None = None) -> bool:
    return bool(
        application.due_on
        and application.status in REVIEW_STATUSES
        and application.due_on < (today or timezone.localdate())
    )


def reassign_candidates(application: Application) -> list:
    """Reviewers an admin may hand this application to: active reviewers of its district, never its applicant."""
    from registry.accounts.models import Role, User

    return list(
        User.objects.filter(role=Role.REVIEWER, is_active=True, districts=application.district_id)
        .exclude(pk=application.applicant_id)
        .order_by("name", "phone")
    )


def reassign_candidate(application: Application, reviewer_id: str):
    """The chosen reviewer, or ServiceError invalid_reviewer."""
    from registry.core.errors import ServiceError

    found = next((u for u in reassign_candidates(application) if str(u.pk) == str(reviewer_id)), None)
    if found is None:
        raise ServiceError("invalid_reviewer", "只能改派给负责该区的审核员。", field="reviewer")
    return found
