"""Working-day calendar edges the older tests did not pin (issue 10: each test kills mutants of
registry/core/workdays.py; see docs/testing.md)."""

import datetime as dt
import time

import pytest

from registry.core import workdays
from registry.core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db
D = dt.date


def test_this_year_and_next_are_checked_for_a_holiday_calendar():
    this_year = dt.date.today().year
    CalendarYear.objects.filter(year__in=[this_year, this_year + 1]).delete()
    assert workdays.years_without_calendar() == [this_year, this_year + 1]
    CalendarYear.objects.create(year=this_year, source="测试")
    assert workdays.years_without_calendar() == [this_year + 1]  # next year's notice is still to be entered
    CalendarYear.objects.create(year=this_year + 1, source="测试")
    assert workdays.years_without_calendar() == []
    assert workdays.years_without_calendar([1999, this_year]) == [1999]


def test_a_calendar_edit_is_seen_after_the_cache_time(monkeypatch):
    clock = [5000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    day = D(2031, 3, 5)  # a Wednesday in a year without calendar data
    assert workdays.is_working_day(day)
    CalendarYear.objects.create(year=2031, source="测试")
    CalendarDay.objects.create(date=day, kind="holiday", name="测试假日")
    clock[0] += 299
    assert workdays.is_working_day(day)  # still the cached year
    clock[0] += 1
    assert not workdays.is_working_day(day)  # 300 s later the edit counts
    assert 2031 not in workdays.years_without_calendar([2031])


def test_a_make_up_saturday_and_a_weekday_holiday(monkeypatch):
    CalendarYear.objects.update_or_create(year=2032, defaults={"source": "测试"})
    CalendarDay.objects.create(date=D(2032, 1, 3), kind="workday", name="调休")  # Saturday
    CalendarDay.objects.create(date=D(2032, 1, 5), kind="holiday", name="测试")  # Monday
    assert workdays.is_working_day(D(2032, 1, 3))
    assert not workdays.is_working_day(D(2032, 1, 5))
    assert workdays.is_working_day(D(2032, 1, 6))
    assert not workdays.is_working_day(D(2032, 1, 4))  # Sunday
    assert workdays.add_working_days(D(2032, 1, 2), 1) == D(2032, 1, 3)
    assert workdays.add_working_days(D(2032, 1, 3), 1) == D(2032, 1, 6)
    assert workdays.add_working_days(D(2032, 1, 3), 0) == D(2032, 1, 3)
    assert workdays.working_days_between(D(2032, 1, 2), D(2032, 1, 6)) == 2
    assert workdays.working_days_between(D(2032, 1, 6), D(2032, 1, 2)) == -2
    assert workdays.working_days_between(D(2032, 1, 6), D(2032, 1, 6)) == 0


def test_friday_is_a_working_day_and_saturday_is_not_in_a_year_without_data():
    assert workdays.is_working_day(D(2033, 1, 7))  # Friday
    assert not workdays.is_working_day(D(2033, 1, 8))


@pytest.mark.parametrize("n", [1, 5])
def test_add_working_days_lands_on_a_working_day(n):
    end = workdays.add_working_days(D(2033, 1, 7), n)
    assert workdays.is_working_day(end) and workdays.working_days_between(D(2033, 1, 7), end) == n


def test_a_year_is_read_from_the_database_once_within_the_cache_time(django_assert_num_queries):
    workdays.is_working_day(D(2033, 2, 1))
    with django_assert_num_queries(0):
        assert workdays.working_days_between(D(2033, 2, 1), D(2033, 2, 28)) == 19
