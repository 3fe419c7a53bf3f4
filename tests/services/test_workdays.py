from datetime import date

import chinese_calendar
import pytest

from extensions import db
from services.errors import DomainError
from services.workdays import (WorkCalendar, _qingming, load_calendar, parse_arrangement,
                               statutory_holidays, store_arrangement)

CAL = WorkCalendar()


def test_deadline_across_national_day_and_mid_autumn_2026_counts_the_make_up_saturday():
    # 9/25-27 中秋, 10/1-7 国庆; Saturday 10/10 is a make-up working day (调休).
    assert CAL.add_workdays(date(2026, 9, 24), 5) == (date(2026, 10, 9), False)
    assert CAL.add_workdays(date(2026, 9, 24), 6) == (date(2026, 10, 10), False)
    assert CAL.add_workdays(date(2026, 9, 24), 10) == (date(2026, 10, 15), False)


def test_deadline_across_spring_festival_2026():
    # Saturday 2/14 is worked, 2/15-2/23 are off.
    assert CAL.add_workdays(date(2026, 2, 12), 2) == (date(2026, 2, 14), False)
    assert CAL.add_workdays(date(2026, 2, 12), 3) == (date(2026, 2, 24), False)


def test_twenty_working_days_from_2026_12_15_is_estimated_into_2027():
    due, estimated = CAL.add_workdays(date(2026, 12, 15), 20)
    assert due == date(2027, 1, 13)  # 2027-01-01 元旦 is off; weekends off
    assert estimated is True


def test_a_deadline_wholly_inside_a_known_year_is_not_estimated():
    assert CAL.add_workdays(date(2026, 12, 1), 5) == (date(2026, 12, 8), False)


def test_years_without_an_official_arrangement_rest_on_statutory_holidays():
    assert not CAL.is_workday(date(2027, 2, 5))  # 除夕, a Friday
    assert not CAL.is_workday(date(2027, 2, 8))  # 正月初三, a Monday
    assert CAL.is_workday(date(2027, 2, 9))
    assert not CAL.is_workday(date(2027, 6, 9))  # 端午 (lunar 5/5)
    assert not CAL.is_workday(date(2027, 9, 15))  # 中秋 (lunar 8/15)
    assert not CAL.is_workday(date(2027, 4, 5))  # 清明


def test_statutory_holiday_rule_matches_the_official_calendars_it_can_be_checked_against():
    for year in (2025, 2026):  # the 2025 rules: 13 days, 除夕 included
        assert set(statutory_holidays(year)) <= set(chinese_calendar.constants.holidays)
    for year in range(2008, 2027):
        assert _qingming(year) in chinese_calendar.constants.holidays


def test_workdays_between_counts_after_start_up_to_end():
    assert CAL.workdays_between(date(2026, 9, 24), date(2026, 10, 9)) == 5
    assert CAL.workdays_between(date(2026, 10, 9), date(2026, 10, 9)) == 0


ARRANGEMENT_2027 = """
# 国务院办公厅关于2027年部分节假日安排的通知（示例）
2027-01-01 至 2027-01-04 休 元旦
2027-02-05 至 2027-02-12 休 春节
2027-02-20 班 春节调休
"""


def test_a_loaded_arrangement_makes_the_year_official_and_moves_the_deadline(app):
    with app.app_context():
        assert store_arrangement(2027, ARRANGEMENT_2027, "国办发明电〔2026〕X号", "admin") == 13
        db.session.commit()
        cal = load_calendar()
        assert cal.is_official(date(2027, 1, 4)) and not cal.is_workday(date(2027, 1, 4))
        assert cal.is_workday(date(2027, 2, 20))  # a Saturday, worked
        assert not cal.is_workday(date(2027, 2, 11))
        assert cal.add_workdays(date(2026, 12, 15), 20) == (date(2027, 1, 14), False)


def test_loading_a_year_again_replaces_it(app):
    with app.app_context():
        store_arrangement(2027, ARRANGEMENT_2027, "first", "admin")
        store_arrangement(2027, "2027-10-01 至 2027-10-07 休 国庆节", "second", "admin")
        db.session.commit()
        cal = load_calendar()
        assert cal.is_workday(date(2027, 1, 4)) and not cal.is_workday(date(2027, 10, 7))


@pytest.mark.parametrize("text,message", [
    ("2027-01-01 休息 元旦", "第 1 行看不懂"),
    ("\n2027-02-30 休", "第 2 行的日期不存在"),
    ("2028-01-01 休 元旦", "不在 2027 年内"),
    ("2027-01-05 至 2027-01-01 休", "先后颠倒"),
    ("2027-01-01 休\n2027-01-01 班", "重复出现"),
    ("# only a comment", "没有读到"),
])
def test_a_bad_arrangement_says_which_line_and_stores_nothing(app, text, message):
    with app.app_context():
        with pytest.raises(DomainError, match=message):
            store_arrangement(2027, text, "x", "admin")
        assert not load_calendar().is_official(date(2027, 1, 1))


def test_years_chinese_calendar_knows_are_not_overwritten(app):
    with app.app_context(), pytest.raises(DomainError, match="已内置"):
        store_arrangement(2026, "2026-01-05 休", "x", "admin")


def test_parse_reads_ranges_and_names():
    days = parse_arrangement(2027, "2027-10-01 至 2027-10-03 休 国庆节\n2027-09-26 班 国庆节调休")
    assert days[date(2027, 10, 2)] == (False, "国庆节")
    assert days[date(2027, 9, 26)] == (True, "国庆节调休")
