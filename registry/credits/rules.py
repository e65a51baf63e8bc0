"""The yearly rules as data: required credits, the professional share, the conversion table and the
declaration deadline. A year without its own CreditRule row uses the latest earlier one; with no row
at all the national defaults apply (财会〔2018〕10号)."""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .models import DEFAULT_CONVERSIONS, CreditRule, Subject, Unit

STEP = Decimal("0.5")
# With no CreditRule row at all (also used by credits.selectors.with_year_totals).
DEFAULT_REQUIRED_TOTAL = Decimal(90)
DEFAULT_REQUIRED_PROFESSIONAL = Decimal(60)


@dataclass(frozen=True)
class Conversion:
    credits: Decimal
    unit: str
    subject: str


@dataclass(frozen=True)
class YearRules:
    year: int
    required_total: Decimal
    required_professional: Decimal
    declare_until: dt.date
    conversions: dict[str, Conversion]


def rules_for(year: int) -> YearRules:
    rule = CreditRule.objects.filter(year__lte=year).prefetch_related("conversions").order_by("-year").first()
    conversions = {kind: Conversion(c, unit, subject) for kind, (c, unit, subject) in DEFAULT_CONVERSIONS.items()}
    if rule is None:
        return YearRules(
            year, DEFAULT_REQUIRED_TOTAL, DEFAULT_REQUIRED_PROFESSIONAL, dt.date(year + 1, 3, 31), conversions
        )
    for row in rule.conversions.all():
        conversions[row.kind] = Conversion(row.credits, row.unit, row.subject)
    return YearRules(
        year,
        rule.required_total,
        rule.required_professional,
        dt.date(year + 1, rule.declare_until_month, rule.declare_until_day),
        conversions,
    )


def round_credits(value: Decimal) -> Decimal:
    """Credits are kept in 0.5 steps with one decimal place (89.5, 90.0)."""
    return ((Decimal(value) / STEP).quantize(Decimal(1), rounding=ROUND_HALF_UP) * STEP).quantize(Decimal("0.1"))


def is_credit_value(value: Decimal) -> bool:
    return value > 0 and value == round_credits(value) and value <= Decimal("999.5")


__all__ = ["Conversion", "YearRules", "rules_for", "round_credits", "is_credit_value", "Subject", "Unit"]
