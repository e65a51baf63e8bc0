"""Optional sources that other apps provide once they exist (continuing education, integrity).

Imported on demand: while `registry.credits` or `registry.integrity` is absent (or lacks the
selector), the statistics show "暂无数据" and verification answers `restricted: false` — never an
error. Interfaces expected:

- `registry.credits.selectors.compliance(person, year)` → object or dict with `total` and
  `compliant` (person: the `accounts.User`);
- `registry.credits.selectors.compliance_by_district(year)` → `{district_code: (obliged, compliant)}`
  (optional: the per-district rates of the dashboard; without it they stay "暂无数据");
- `registry.integrity.selectors.restricted(person, on=date)` → bool.
"""

import datetime as dt
import importlib


def _selector(module: str, name: str):
    try:
        selectors = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(selectors, name, None)


def credits_for(person, year: int) -> dict | None:
    compliance = _selector("registry.credits.selectors", "compliance")
    if compliance is None:
        return None
    result = compliance(person, year)
    if isinstance(result, dict):
        total, compliant = result.get("total", 0), result.get("compliant", False)
    else:
        total, compliant = getattr(result, "total", 0), getattr(result, "compliant", False)
    return {"total": total, "compliant": bool(compliant)}


def compliance_by_district(year: int) -> dict[str, tuple[int, int]] | None:
    by_district = _selector("registry.credits.selectors", "compliance_by_district")
    return None if by_district is None else by_district(year)


def is_restricted(person, on: dt.date) -> bool:
    restricted = _selector("registry.integrity.selectors", "restricted")
    return bool(restricted(person, on=on)) if restricted is not None else False
