"""The scheduled refresh of the reporting tables (the only writer of stats.PersonFact / Figure /
Snapshot). Idempotent and bounded: each run brings at most `limit` changed records into the facts
(a first run on a large registry completes over several runs, and the snapshot says how many are
still pending), then recomputes every figure from the facts in one transaction."""

import datetime as dt
import statistics
import time
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef
from django.db.models.functions import TruncMonth
from django.utils import timezone

from registry.applications.models import Application, ApplicationRound, ApplicationStatus
from registry.core import workdays
from registry.records.models import Record, RecordMove, RecordStatus, RecordVersion
from registry.transfers.models import TransferCode

from . import sources
from .facts import age_band, fact_fields
from .models import Figure, PersonFact, Snapshot

BATCH = 2000
FACT_DIMENSIONS = ["level", "education", "gender", "unit_type", "category", "status"]
FLOW_SOURCES = {"first_collection", "change", "transfer_in"}
FLOW_MONTHS = 24
REVIEW_WINDOW_DAYS = 90
CE_YEARS = 3


def _stale_records():
    """Records whose fact row is missing or out of date (version, status or district differ)."""
    current = PersonFact.objects.filter(
        record_id=OuterRef("pk"), version=OuterRef("version"), status=OuterRef("status"), district=OuterRef("district")
    )
    return Record.objects.exclude(Exists(current))


def sync_facts(*, limit: int) -> tuple[int, int]:
    """Bring up to `limit` stale records into the facts. Returns (synced, still pending)."""
    PersonFact.objects.exclude(Exists(Record.objects.filter(pk=OuterRef("record_id")))).delete()
    ids = list(_stale_records().order_by("pk").values_list("pk", flat=True)[: limit + 1])
    pending = max(0, len(ids) - limit)
    ids = ids[:limit]
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = RecordVersion.objects.filter(record_id__in=chunk, version=F("record__version")).values_list(
            "record_id", "record__version", "record__status", "record__district_id", "data"
        )
        facts = [
            PersonFact(record_id=rid, version=ver, status=status, district=district, **fact_fields(data or {}))
            for rid, ver, status, district, data in rows.iterator(chunk_size=BATCH)
        ]
        with transaction.atomic():
            PersonFact.objects.filter(record_id__in=chunk).delete()
            PersonFact.objects.bulk_create(facts)
    if pending:
        pending = _stale_records().count()
    return len(ids), pending


def _month(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m") if timezone.is_aware(value) else value.strftime("%Y-%m")


def _fact_figures(today: dt.date) -> list[Figure]:
    figures = []
    in_registry = PersonFact.objects.exclude(status=RecordStatus.TRANSFERRED_OUT)
    for dimension in FACT_DIMENSIONS:
        base = PersonFact.objects if dimension == "status" else in_registry
        for row in base.values("district", dimension).annotate(n=Count("pk")).order_by():
            figures.append(Figure(dimension=dimension, district=row["district"], key=row[dimension], value=row["n"]))
    bands: dict[tuple[str, str], int] = defaultdict(int)
    for row in in_registry.values("district", "birth_year").annotate(n=Count("pk")).order_by():
        bands[row["district"], age_band(row["birth_year"], today)] += row["n"]
    figures += [Figure(dimension="age_band", district=d, key=k, value=n) for (d, k), n in bands.items()]
    return figures


def _flow_figures(today: dt.date) -> list[Figure]:
    since = timezone.make_aware(dt.datetime(today.year - FLOW_MONTHS // 12, today.month, 1))
    figures = []
    versions = (
        RecordVersion.objects.filter(created_at__gte=since, source__in=FLOW_SOURCES)
        .annotate(month=TruncMonth("created_at"))
        .values("month", "district_id", "source")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in versions:
        figures.append(
            Figure(
                dimension=f"flow:{row['source']}", district=row["district_id"], key=_month(row["month"]), value=row["n"]
            )
        )
    codes = (
        TransferCode.objects.filter(issued_at__gte=since, revoked_at__isnull=True)
        .annotate(month=TruncMonth("issued_at"))
        .values("month", "source_district_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in codes:
        figures.append(
            Figure(
                dimension="flow:transfer_out",
                district=row["source_district_id"],
                key=_month(row["month"]),
                value=row["n"],
            )
        )
    for side, field in (("move_in", "to_district_id"), ("move_out", "from_district_id")):
        moves = (
            RecordMove.objects.filter(at__gte=since)
            .annotate(month=TruncMonth("at"))
            .values("month", field)
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in moves:
            figures.append(
                Figure(dimension=f"flow:{side}", district=row[field], key=_month(row["month"]), value=row["n"])
            )
    return figures


def _review_figures(today: dt.date) -> list[Figure]:
    figures = []
    waiting = [ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW]
    open_apps = Application.objects.filter(status__in=waiting, district__isnull=False)
    for row in open_apps.values("district_id").annotate(n=Count("pk")).order_by():
        figures.append(Figure(dimension="review_waiting", district=row["district_id"], key="", value=row["n"]))
    overdue = open_apps.filter(due_on__lt=today).values("district_id").annotate(n=Count("pk")).order_by()
    for row in overdue:
        figures.append(Figure(dimension="review_overdue", district=row["district_id"], key="", value=row["n"]))
    since = timezone.now() - dt.timedelta(days=REVIEW_WINDOW_DAYS)
    days: dict[tuple[str, int], int] = defaultdict(int)
    decided = ApplicationRound.objects.filter(decided_at__gte=since).values_list(
        "district_id", "submitted_at", "decided_at"
    )
    for district, submitted, decided_at in decided.iterator(chunk_size=2000):
        n = workdays.working_days_between(timezone.localdate(submitted), timezone.localdate(decided_at))
        days[district, max(0, n)] += 1
    figures += [Figure(dimension="review_days", district=d, key=str(n), value=c) for (d, n), c in days.items()]
    monthly = (
        ApplicationRound.objects.filter(decided_at__isnull=False)
        .annotate(month=TruncMonth("decided_at"))
        .values("month", "district_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in monthly:
        figures.append(
            Figure(dimension="review_decided", district=row["district_id"], key=_month(row["month"]), value=row["n"])
        )
    return figures


def _ce_figures(today: dt.date) -> list[Figure]:
    figures = []
    for year in range(today.year - CE_YEARS, today.year + 1):
        by_district = sources.compliance_by_district(year)
        if by_district is None:
            return []
        for district, (obliged, compliant) in by_district.items():
            figures.append(Figure(dimension="ce_obliged", district=district, key=str(year), value=obliged))
            figures.append(Figure(dimension="ce_compliant", district=district, key=str(year), value=compliant))
    return figures


def stats_refresh(*, limit: int | None = None) -> Snapshot:
    """Sync changed records into the facts, then rewrite every figure. Safe to run at any time and
    twice at once (the figures are replaced in one transaction)."""
    started = time.monotonic()
    limit = settings.STATS_REFRESH_LIMIT if limit is None else limit
    _, pending = sync_facts(limit=limit)
    today = timezone.localdate()
    figures = _fact_figures(today) + _flow_figures(today) + _review_figures(today) + _ce_figures(today)
    with transaction.atomic():
        Figure.objects.all().delete()
        Figure.objects.bulk_create(figures, batch_size=2000)
        Snapshot.objects.all().delete()
        return Snapshot.objects.create(
            refreshed_at=timezone.now(),
            seconds=round(time.monotonic() - started, 3),
            facts=PersonFact.objects.count(),
            pending=pending,
        )


def median_from_histogram(histogram: dict[int, int]) -> float | None:
    """The median of values given as {value: how many} (exact, like statistics.median)."""
    total = sum(histogram.values())
    if not total:
        return None
    values = sorted(histogram)
    positions = [(total - 1) // 2, total // 2]
    found = []
    for wanted in positions:
        seen = 0
        for v in values:
            seen += histogram[v]
            if seen > wanted:
                found.append(v)
                break
    return statistics.mean(found)
