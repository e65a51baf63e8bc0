"""The yearly standing: 90 credits, two-thirds professional, only the year's own credits, the
obligation start year, rules per year as data."""

from decimal import Decimal

import pytest

from registry.credits.models import CreditConversion, CreditRule, DeclarationKind
from registry.credits.rules import round_credits, rules_for
from registry.credits.selectors import compliance
from registry.credits.services import provider_rows_apply

from .conftest import collect, row

pytestmark = pytest.mark.django_db


def give(record, *entries):
    """entries: (year, credits, subject)"""
    rows = [row(record, f"{record.pk}-{i}", year=y, credits=c, subject=s) for i, (y, c, s) in enumerate(entries)]
    result = provider_rows_apply(provider="测试机构", rows=rows)
    assert not result.rejected, result.rejected


def test_89_5_is_short_and_90_is_enough(person, other_person):
    give(person, (2025, "60", "professional"), (2025, "29.5", "public"))
    give(other_person, (2025, "60", "professional"), (2025, "30", "public"))
    short = compliance(person, 2025)
    assert short.total == Decimal("89.5") and not short.compliant and short.missing == Decimal("0.5")
    enough = compliance(other_person, 2025)
    assert enough.total == Decimal("90.0") and enough.compliant and enough.missing == 0


def test_90_with_under_60_professional_is_not_compliant(person):
    give(person, (2025, "59.5", "professional"), (2025, "40", "public"))
    standing = compliance(person, 2025)
    assert standing.total == Decimal("99.5") and standing.professional == Decimal("59.5")
    assert (
        not standing.compliant
        and standing.missing == Decimal("0.5")
        and standing.missing_professional == Decimal("0.5")
    )


def test_no_carry_over(person):
    give(person, (2024, "180", "professional"), (2025, "30", "professional"))
    assert compliance(person, 2024).compliant
    standing = compliance(person, 2025)
    assert standing.total == Decimal("30.0") and not standing.compliant


def test_obligation_starts_the_year_after_the_qualification(db):
    qualified = collect(name="王五", qualified_on="2023-11-30")
    assert compliance(qualified, 2023).required == 0 and compliance(qualified, 2023).compliant
    assert compliance(qualified, 2024).required == Decimal(90) and not compliance(qualified, 2024).compliant


def test_obligation_starts_the_year_after_accounting_work_began_whichever_earlier(db):
    worker = collect(name="赵六", qualified_on="", accounting_since="2021-03-01")
    assert compliance(worker, 2021).compliant and compliance(worker, 2021).required == 0
    assert not compliance(worker, 2022).compliant
    both = collect(name="钱七", qualified_on="2024-05-01", accounting_since="2020-07-01")
    assert compliance(both, 2021).required == Decimal(90)
    neither = collect(name="孙八", qualified_on="", accounting_since="")
    assert compliance(neither, 2025).compliant and not compliance(neither, 2025).obliged


def test_a_year_without_its_own_rule_uses_the_latest_earlier_one(person):
    assert rules_for(2025).required_total == Decimal(90)  # no rows: the national defaults
    rule = CreditRule.objects.create(year=2024, required_total=Decimal(72), required_professional=Decimal(48))
    CreditConversion.objects.create(rule=rule, kind=DeclarationKind.CONFERENCE_DAY, credits=Decimal(8), unit="day")
    CreditRule.objects.create(year=2027, required_total=Decimal(100), required_professional=Decimal(70))
    assert rules_for(2023).required_total == Decimal(90)
    assert rules_for(2026).required_total == Decimal(72)
    assert rules_for(2026).conversions[DeclarationKind.CONFERENCE_DAY].credits == Decimal(8)
    assert rules_for(2026).conversions[DeclarationKind.EXAM_SUBJECT].credits == Decimal(90)
    assert rules_for(2028).required_total == Decimal(100)
    give(person, (2026, "50", "professional"), (2026, "22", "public"))
    assert compliance(person, 2026).compliant


def test_credits_are_half_steps():
    assert round_credits(Decimal("1.26")) == Decimal("1.5")
    assert round_credits(Decimal("1.2")) == Decimal("1.0")
    assert str(round_credits(Decimal(90))) == "90.0"
