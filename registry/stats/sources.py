"""Optional sources that other apps provide once they exist (continuing education, integrity).

Imported on demand: while `registry.credits` or `registry.integrity` is absent (or lacks the
selector), the statistics show "暂无数据" and verification answers `restricted: false` — never an
error. Interfaces expected:

- `registry.credits.selectors.with_year_totals(records, years)` → the Record queryset annotated
  for `year_totals(record, year)` → an object (or dict) with `total` and `compliant` (what
  `compliance(record, year)` says, for many people in one query: the verification API);
- `registry.credits.selectors.district_compliance(year)` → `{district_code: obj with .obliged and
  .compliant}` (the per-district rates of the dashboard; without it they stay "暂无数据");
- `registry.integrity.selectors.with_restricted(records, on=date)` → the Record queryset with a
  boolean `integrity_restricted` (a ban in force that day).
"""

import datetime as dt
import importlib


def _selector(module: str, name: str):
    try:
        selectors = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(selectors, name, None)


def with_credit_years(records, years: list[int]):
    """`records` (a Record queryset) with what `credits_of` needs for `years`, read in the same query."""
    annotate = _selector("registry.credits.selectors", "with_year_totals")
    return annotate(records, years) if annotate is not None and years else records


def credits_of(record, year: int) -> dict | None:
    """{"total", "compliant"} of the person for `year` (record read through `with_credit_years`);
    None while credits do not exist."""
    totals = _selector("registry.credits.selectors", "year_totals")
    if totals is None:
        return None
    result = totals(record, year)
    if isinstance(result, dict):
        total, compliant = result.get("total", 0), result.get("compliant", False)
    else:
        total, compliant = getattr(result, "total", 0), getattr(result, "compliant", False)
    return {"total": float(total), "compliant": bool(compliant)}


def compliance_by_district(year: int) -> dict[str, tuple[int, int]] | None:
    """{district: (obliged, compliant)} for `year`; None while credits do not exist."""
    by_district = _selector("registry.credits.selectors", "district_compliance")
    if by_district is None:
        return None
    return {code: (rate.obliged, rate.compliant) for code, rate in by_district(year).items()}


def with_restriction(records, on: dt.date):
    """`records` with what `is_restricted` needs, read in the same query."""
    annotate = _selector("registry.integrity.selectors", "with_restricted")
    return annotate(records, on=on) if annotate is not None else records


def is_restricted(record) -> bool:
    """A ban in force on the day given to `with_restriction` (False while integrity does not exist)."""
    return bool(getattr(record, "integrity_restricted", False))
