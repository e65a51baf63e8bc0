"""The review queue: scoped to the reviewer's districts, filtered, searched, oldest first, keyset-paginated."""

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone

from registry.accounts.access import filter_visible
from registry.applications.models import Application, ApplicationCertificate, ApplicationStatus, StatusCount
from registry.core import keyset
from registry.core.keyset import BadCursor  # noqa: F401  (the views catch selectors.BadCursor)

REVIEW_STATUSES = [ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW]
PAGE_SIZE = 50


@dataclass
class QueuePage:
    results: list[Application]
    next: str | None
    counts: dict[str, int]


def encode_cursor(application: Application) -> str:
    return keyset.encode(application.submitted_at, application.pk)


decode_cursor = keyset.decode


def _search(queryset, q: str):
    """Exact matches on indexed columns: an ID number, a certificate number, or a name."""
    name = q.strip()
    number = name.upper()
    if not name:
        return queryset
    if re.fullmatch(r"[0-9]{17}[0-9X]", number):
        return queryset.filter(id_number=number)
    certificate_ids = ApplicationCertificate.objects.filter(number=number).values("application_id")
    return queryset.filter(Q(applicant_name=name) | Q(id_number=number) | Q(pk__in=certificate_ids))


# What the list shows (the API's QueueItem, the web queue's row): never the form JSON.
LIST_FIELDS = [
    "id",
    "type",
    "status",
    "district_id",
    "district__name",
    "applicant_name",
    "id_number",
    "round",
    "submitted_at",
    "due_on",
    "claimed_by_id",
    "claimed_by__name",
    "claimed_by__phone",
]
COUNTED_STATUSES = REVIEW_STATUSES + [ApplicationStatus.REJECTED, ApplicationStatus.APPROVED]


def after(moment: dt.datetime, pk: str):
    """The keyset condition: rows strictly after (submitted_at, id) = (moment, pk), in the queue's
    order (submitted_at, id ascending — the only order the queue has)."""
    return keyset.after("submitted_at", moment, pk)


def status_counts(*, user, district: str | None = None, type: str | None = None) -> dict[str, int]:
    """Applications per status in this staff member's districts, from the counters
    (applications.counts): a few hundred rows at most, however long the approved history."""
    rows = filter_visible(StatusCount.objects.all(), user, owner_field=None, district_field="district")
    if district:
        rows = rows.filter(district_id=district)
    if type:
        rows = rows.filter(type=type)
    found = rows.filter(status__in=COUNTED_STATUSES).values("status").annotate(total=Sum("n")).order_by()
    return {r["status"]: r["total"] for r in found if r["total"]}


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
    base = Application.objects.in_districts_of(user)
    if district:
        base = base.filter(district_id=district)
    if type:
        base = base.filter(type=type)
    if q.strip():
        # A search is an exact match on indexed columns: counting what it found is as cheap as finding it.
        base = _search(base, q)
        counts = dict(
            base.filter(status__in=COUNTED_STATUSES)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
    else:
        counts = status_counts(user=user, district=district, type=type)
    queryset = base.filter(status=status) if status else base.filter(status__in=REVIEW_STATUSES)
    if overdue:
        queryset = queryset.filter(due_on__lt=today or timezone.localdate(), status__in=REVIEW_STATUSES)
    if cursor:
        queryset = queryset.filter(after(*decode_cursor(cursor)))
    rows = list(
        queryset.select_related("district", "claimed_by")
        .only(*LIST_FIELDS)
        .order_by("submitted_at", "pk")[: page_size + 1]
    )
    more = len(rows) > page_size
    rows = rows[:page_size]
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
