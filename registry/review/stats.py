"""Per-district figures for the municipal admin's back office."""

import statistics

from django.db.models import Count, Q
from django.utils import timezone

from registry.applications.models import Application, ApplicationRound, ApplicationStatus
from registry.core.models import Region
from registry.core.workdays import working_days_between

OPEN = [ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW]


def district_overview(*, province: str, decided_since_days: int = 90) -> list[dict]:
    today = timezone.localdate()
    counts = {
        row["district_id"]: row
        for row in Application.objects.filter(district__isnull=False)
        .values("district_id")
        .annotate(
            queue=Count("pk", filter=Q(status__in=OPEN)),
            overdue=Count("pk", filter=Q(status__in=OPEN, due_on__lt=today)),
        )
    }
    since = timezone.now() - timezone.timedelta(days=decided_since_days)
    durations: dict[str, list[int]] = {}
    # Per round: a resubmitted application's second round is timed from its own submission.
    decided = ApplicationRound.objects.filter(decided_at__gte=since).values_list(
        "district_id", "submitted_at", "decided_at"
    )
    for district, submitted, decided_at in decided.iterator(chunk_size=2000):
        # Working days, as the SLA and the statistics page count them (it showed calendar days).
        days = working_days_between(timezone.localdate(submitted), timezone.localdate(decided_at))
        durations.setdefault(district, []).append(max(0, days))
    rows = []
    units = (
        Region.objects.reviewing_units()
        .in_province(province)
        .annotate(active_reviewers=Count("reviewers", filter=Q(reviewers__is_active=True)))
        .order_by("sort_order")
    )
    for unit in units:
        row = counts.get(unit.code, {})
        days = durations.get(unit.code, [])
        rows.append(
            {
                "code": unit.code,
                "name": unit.name,
                "queue": row.get("queue", 0),
                "overdue": row.get("overdue", 0),
                "median_days": statistics.median(days) if days else None,
                "decided": len(days),
                "reviewers": unit.active_reviewers,
            }
        )
    return rows
