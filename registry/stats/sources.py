"""Optional sources that other apps provide once they exist (continuing education, integrity).

Imported on demand: while `registry.credits` or `registry.integrity` is absent (or lacks the
selector), the statistics show "暂无数据" and verification answers `restricted: false` — never an
error. Interfaces expected:

- `registry.credits.selectors.compliance(record, year)` → an object (or dict) with `total` and
  `compliant` (record: the person's `records.Record`; branch issue12-credits);
- `registry.credits.selectors.district_compliance(year)` → `{district_code: obj with .obliged and
  .compliant}` (the per-district rates of the dashboard; without it they stay "暂无数据");
- `registry.integrity.selectors.restricted(person, on=date)` → bool (person: the `accounts.User`).
"""

import datetime as dt
import importlib


def _selector(module: str, name: str):
    try:
        selectors = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(selectors, name, None)


def credits_for(record, year: int) -> dict | None:
    """{"total", "compliant"} of the record's person for `year`; None while credits do not exist."""
    compliance = _selector("registry.credits.selectors", "compliance")
    if compliance is None:
        return None
    result = compliance(record, year)
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


def is_restricted(person, on: dt.date) -> bool:
    restricted = _selector("registry.integrity.selectors", "restricted")
    return bool(restricted(person, on=on)) if restricted is not None else False
