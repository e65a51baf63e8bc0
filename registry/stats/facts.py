"""From a record's form data to the flat fields the breakdowns count (pure functions)."""

import datetime as dt

LEVEL_RANK = {"junior": 1, "intermediate": 2, "senior": 3, "professor": 4}
EDUCATION_RANK = {"high_school": 1, "secondary": 2, "college": 3, "bachelor": 4, "master": 5, "doctorate": 6}
AGE_BANDS = [("under_30", 0, 29), ("30_39", 30, 39), ("40_49", 40, 49), ("50_59", 50, 59), ("60_plus", 60, 999)]
AGE_BAND_LABELS = {
    "under_30": "30岁以下",
    "30_39": "30–39岁",
    "40_49": "40–49岁",
    "50_59": "50–59岁",
    "60_plus": "60岁及以上",
    "": "未知",
}


def _highest(items, field: str, rank: dict[str, int]) -> str:
    best, best_rank = "", 0
    for item in items or []:
        if not isinstance(item, dict):
            continue
        value = str(item.get(field) or "")
        if value and rank.get(value, 0) >= best_rank:
            best, best_rank = value, rank.get(value, 0)
    return best


def fact_fields(data: dict) -> dict:
    basic = data.get("basic") or {}
    employment = data.get("employment") or {}
    birth_year = None
    birth = str(basic.get("birth_date") or "")
    if len(birth) >= 4 and birth[:4].isdigit():
        birth_year = int(birth[:4])
    accounting_quals = [q for q in data.get("qualifications") or [] if isinstance(q, dict)]
    return {
        "level": _highest(accounting_quals, "level", LEVEL_RANK),
        "education": _highest(data.get("education"), "level", EDUCATION_RANK),
        "gender": str(basic.get("gender") or "")[:2],
        "birth_year": birth_year,
        "unit_type": str(employment.get("unit_type") or "")[:20],
        "category": str(data.get("category") or "")[:4],
    }


def age_band(birth_year: int | None, on: dt.date) -> str:
    if not birth_year:
        return ""
    age = on.year - birth_year
    for band, low, high in AGE_BANDS:
        if low <= age <= high:
            return band
    return ""
