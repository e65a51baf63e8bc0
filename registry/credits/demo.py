"""Demo credits for `seed_demo --people N`: every generated person gets provider records for the
last three years and this year so far — most compliant, about one in seven short (too few
credits, or too few professional ones) — so the pages, statistics and benchmarks have data."""

import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from registry.records.models import Record

from .models import CreditRecord, CreditStatus, Source, Subject
from .services import obligations_refresh

DEMO_PROVIDER = "演示培训机构"
COURSES = {
    Subject.PROFESSIONAL: [
        "企业会计准则解读",
        "管理会计实务",
        "税收政策与纳税筹划",
        "内部控制与风险管理",
        "政府会计制度",
    ],
    Subject.PUBLIC: ["职业道德与诚信建设", "数字经济与财务数字化", "法治素养提升"],
}


def _person_years(rng: random.Random, record_id: int, years: list[int], this_year: int) -> list[CreditRecord]:
    rows = []
    for year in years:
        roll = rng.random()
        professional = rng.choice([60, 64, 72, 80]) if roll >= 0.14 else rng.choice([24, 40, 52])
        public = rng.choice([30, 32, 36]) if roll >= 0.07 else rng.choice([8, 16])
        if year == this_year:  # the year is not over: about half of it done
            professional, public = professional // 2, public // 2
        for subject, total in ((Subject.PROFESSIONAL, professional), (Subject.PUBLIC, public)):
            parts = [8] * (total // 8) + ([total % 8] if total % 8 else [])
            for k, credits in enumerate(parts):
                rows.append(
                    CreditRecord(
                        record_id=record_id, year=year, subject=subject, credits=Decimal(credits),
                        hours=Decimal(credits), source=Source.PROVIDER, provider=DEMO_PROVIDER,
                        course=rng.choice(COURSES[subject]), status=CreditStatus.ACCEPTED,
                        completed_on=timezone.datetime(year, rng.randrange(1, 13), rng.randrange(1, 28)).date(),
                        external_id=f"demo-{record_id}-{year}-{subject[:3]}-{k}",
                    )
                )  # fmt: skip
    return rows


def seed_credits(
    *, phone_prefix: str, batch: int = 2000, progress: Callable[[int], None] | None = None, seed: int = 12
) -> int:
    """Credits for generated people who have none yet (idempotent); returns how many people got them."""
    this_year = timezone.localdate().year
    years = [this_year - 3, this_year - 2, this_year - 1, this_year]
    people = list(
        Record.objects.filter(user__phone__startswith=phone_prefix)
        .exclude(pk__in=CreditRecord.objects.filter(provider=DEMO_PROVIDER).values("record_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(people), batch):
        chunk = people[start : start + batch]
        rng = random.Random(seed + chunk[0])
        rows = [row for pk in chunk for row in _person_years(rng, pk, years, this_year)]
        with transaction.atomic():
            CreditRecord.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
        obligations_refresh(record_ids=chunk)
        if progress:
            progress(len(chunk))
    return len(people)
