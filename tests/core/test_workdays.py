import datetime as dt
import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.core import workdays
from registry.core.calendar_import import import_calendar_csv
from registry.core.models import CalendarDay, CalendarYear
from registry.core.workdays import add_working_days, is_working_day, working_days_between

pytestmark = pytest.mark.django_db
D = dt.date


def test_national_day_week_2026_is_off_and_make_up_saturday_is_on():
    assert all(not is_working_day(D(2026, 10, day)) for day in range(1, 8))
    assert is_working_day(D(2026, 9, 30))  # Wednesday before the holiday
    assert is_working_day(D(2026, 10, 8))  # Thursday after it
    assert is_working_day(D(2026, 10, 10))  # 调休: Saturday worked
    assert is_working_day(D(2026, 9, 20))  # 调休: Sunday worked
    assert not is_working_day(D(2026, 10, 11))  # an ordinary Sunday


def test_add_working_days_skips_the_holiday_week():
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)  # the make-up Saturday counts
    assert add_working_days(D(2026, 9, 30), 4) == D(2026, 10, 12)
    assert add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 3)


def test_working_days_between_counts_the_half_open_interval():
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
    assert working_days_between(D(2026, 10, 10), D(2026, 9, 30)) == -3
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 7)) == 0


def test_fifteen_working_day_sla_across_spring_festival_2026():
    # Submitted Friday 2026-02-13. Worked: Sat 02-14, 02-24..27, Sat 02-28, 03-02..06, 03-09..12.
    # Off: 02-15..02-23 (春节). Plain Monday–Friday counting would give 2026-03-06.
    due = add_working_days(D(2026, 2, 13), 15)
    assert working_days_between(D(2026, 2, 13), due) == 15
    assert due == D(2026, 3, 12)


def test_negative_n_is_refused():
    with pytest.raises(ValueError, match="n must be zero or positive"):
        add_working_days(D(2026, 1, 1), -1)


def test_year_without_data_falls_back_to_weekdays_and_warns_once(caplog):
    workdays._warned_years.discard(2031)
    with caplog.at_level(logging.WARNING, logger="registry.core.workdays"):
        assert is_working_day(D(2031, 1, 1))  # a Wednesday: no holiday data, so a working day
        assert not is_working_day(D(2031, 1, 4))  # Saturday
        workdays.clear_cache()
        assert add_working_days(D(2031, 1, 3), 1) == D(2031, 1, 6)
    warnings = [r for r in caplog.records if "2031" in r.getMessage()]
    assert len(warnings) == 1
    assert 2031 in workdays.years_without_calendar([2030, 2031])


def test_chinesecalendar_does_not_cover_2027_and_we_do_not_crash():
    import chinese_calendar

    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2027, 1, 4))
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert is_working_day(D(2027, 1, 4))


CSV_2027 = """date,kind,name
2027-01-01,holiday,元旦
2027-02-06,休,春节
2027-02-08,holiday,春节
2027-02-20,班,春节
"""


def test_import_a_year_from_csv_then_it_is_used():
    result = import_calendar_csv(CSV_2027, source="国办发明电〔2026〕测试")
    assert (result.year, result.holidays, result.workdays) == (2027, 3, 1)
    assert not is_working_day(D(2027, 1, 1))
    assert not is_working_day(D(2027, 2, 8))  # a Monday made a holiday
    assert is_working_day(D(2027, 2, 20))  # a Saturday made a workday
    assert 2027 not in workdays.years_without_calendar([2027])


def test_reimport_replaces_the_year():
    import_calendar_csv(CSV_2027, source="first")
    import_calendar_csv("date,kind,name\n2027-01-01,holiday,元旦\n", source="second")
    assert CalendarDay.objects.filter(date__year=2027).count() == 1
    assert CalendarYear.objects.get(year=2027).source == "second"
    assert is_working_day(D(2027, 2, 8))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("day,kind\n2027-01-01,holiday\n", "表头"),
        ("date,kind,name\n2027-13-01,holiday,x\n", "第 2 行"),
        ("date,kind,name\n2027-01-01,vacation,x\n", "类型"),
        ("date,kind,name\n2027-01-04,workday,x\n", "无需登记"),
        ("date,kind,name\n2027-01-01,holiday,x\n2028-01-01,holiday,x\n", "一个年度"),
        ("date,kind,name\n2027-01-01,holiday,x\n2027-01-01,holiday,x\n", "重复"),
    ],
)
def test_bad_csv_changes_nothing_and_says_why(text, fragment):
    before = CalendarDay.objects.count()
    with pytest.raises(ValidationError) as info:
        import_calendar_csv(text, source="bad")
    assert any(fragment in m for m in info.value.messages)
    assert CalendarDay.objects.count() == before
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_calendar_import_command(tmp_path, capsys):
    path = tmp_path / "2027.csv"
    path.write_text(CSV_2027, encoding="utf-8")
    call_command("calendar_import", "--csv", str(path), "--source", "国办通知")
    assert "2027 年" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind\n2027-01-01,nope\n", encoding="utf-8")
    with pytest.raises(CommandError, match="未做任何修改"):
        call_command("calendar_import", "--csv", str(bad))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(min_value=D(2024, 1, 1), max_value=D(2026, 12, 31)), n=st.integers(1, 40))
def test_add_and_between_are_inverse(start, n):
    end = add_working_days(start, n)
    assert is_working_day(end)
    assert working_days_between(start, end) == n
