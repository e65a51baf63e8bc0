"""Reads of the statistics: the summary (API and dashboard), scoped to what the caller may see."""

from collections import defaultdict

from django.conf import settings

from registry.accounts import access
from registry.core.errors import ServiceError
from registry.core.models import Region
from registry.core.replica import replica_reads

from .models import Figure, Snapshot
from .services import median_from_histogram

BREAKDOWNS = {
    "by_qualification_level": "level",
    "by_education": "education",
    "by_age_band": "age_band",
    "by_gender": "gender",
    "by_unit_type": "unit_type",
    "by_category": "category",
    "by_status": "status",
}
FLOW_KINDS = ["first_collection", "transfer_in", "transfer_out", "change", "move_in", "move_out"]


def visible_districts(user, *, region: str | None = None, district: str | None = None) -> list[str]:
    """The reviewing units whose figures the caller may read, narrowed by `region` (a province code
    such as 110000) or `district`. Applicants: 403. A district the reviewer does not cover: 403."""
    if not access.is_staff_member(user):
        raise ServiceError("forbidden", "统计数据仅供财政局工作人员查看。", status=403)
    units = Region.objects.reviewing_units()
    province = (region or settings.REGISTRY_JURISDICTION)[:2]
    units = units.in_province(province)
    codes = list(units.order_by("sort_order").values_list("code", flat=True))
    if not access.is_admin(user):
        mine = access.district_codes(user)
        codes = [c for c in codes if c in mine]
    if district:
        if district not in codes:
            raise ServiceError("forbidden_district", "您无权查看该区的统计数据。", status=403, field="district")
        codes = [district]
    return codes


@replica_reads
def stats_summary(*, user, region: str | None = None, district: str | None = None) -> dict:
    codes = visible_districts(user, region=region, district=district)
    snapshot = Snapshot.objects.order_by("-refreshed_at").first()
    figures = Figure.objects.filter(district__in=codes).values_list("dimension", "district", "key", "value")
    summed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_district: dict[str, int] = {c: 0 for c in codes}
    flows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FLOW_KINDS, 0))
    review_days: dict[int, int] = defaultdict(int)
    ce: dict[str, dict[str, list[int]]] = defaultdict(dict)
    decided: dict[str, int] = defaultdict(int)
    overdue = waiting = 0
    for dimension, code, key, value in figures:
        if dimension == "level":
            by_district[code] += value
        if dimension.startswith("flow:"):
            flows[key][dimension[5:]] += value
        elif dimension == "review_days":
            review_days[int(key)] += value
        elif dimension == "review_overdue":
            overdue += value
        elif dimension == "review_waiting":
            waiting += value
        elif dimension == "review_decided":
            decided[key] += value
        elif dimension in ("ce_obliged", "ce_compliant"):
            pair = ce[key].setdefault(code, [0, 0])
            pair[0 if dimension == "ce_obliged" else 1] += value
        else:
            summed[dimension][key] += value
    result = {
        "as_of": snapshot.refreshed_at if snapshot else None,
        "pending": snapshot.pending if snapshot else 0,
        "districts": codes,
        "total": sum(by_district.values()),
        "by_district": by_district,
    }
    for name, dimension in BREAKDOWNS.items():
        result[name] = dict(sorted(summed[dimension].items()))
    result["flows"] = dict(sorted(flows.items()))
    result["ce_compliance"] = {
        year: {code: round(c / o, 4) if o else None for code, (o, c) in sorted(per.items())}
        for year, per in sorted(ce.items())
    }
    result["review"] = {
        "median_days": median_from_histogram(review_days),
        "overdue": overdue,
        "waiting": waiting,
        "decided_by_month": dict(sorted(decided.items())),
    }
    return result
