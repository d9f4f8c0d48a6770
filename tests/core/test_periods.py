"""core.periods: the bureau's days, months and years as half-open local intervals."""
import datetime as dt

from django.utils import timezone

from core.periods import (
    add_months,
    day_bounds,
    day_in_month,
    day_start,
    days_bounds,
    month_bounds,
    year_bounds,
)
from policy_rules.engine.frames import diagnosis_code, diagnosis_codes


def local(*args):
    return timezone.make_aware(dt.datetime(*args))


def test_day_is_local_midnight_to_midnight():
    start, end = day_bounds(dt.date(2026, 3, 16))
    assert (start, end) == (local(2026, 3, 16), local(2026, 3, 17))
    assert start.utcoffset() == dt.timedelta(hours=8)
    assert day_start(dt.date(2026, 3, 16)) == start


def test_days_include_both_ends():
    assert days_bounds(dt.date(2026, 2, 27), dt.date(2026, 3, 1)) == (local(2026, 2, 27), local(2026, 3, 2))


def test_months_and_years():
    assert month_bounds(dt.date(2026, 12, 15)) == (local(2026, 12, 1), local(2027, 1, 1))
    assert year_bounds(2026) == (local(2026, 1, 1), local(2027, 1, 1))
    assert add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert add_months(dt.date(2026, 11, 1), 14) == dt.date(2028, 1, 1)
    assert day_in_month(dt.date(2026, 2, 1), 31) == dt.date(2026, 2, 28)
    assert day_in_month(dt.date(2028, 2, 1), 31) == dt.date(2028, 2, 29)


def test_one_reading_of_a_stored_diagnosis():
    assert diagnosis_code({"diag_code": " k35.800 ", "diag_name": "阑尾炎"}) == "K35.800"
    assert diagnosis_code(" I10 ") == "I10"
    assert diagnosis_code({"code": "I10"}) == ""  # only the national field name counts
    assert diagnosis_code(None) == ""
    assert diagnosis_codes(None) == ()
    assert diagnosis_codes(["I10", {"diag_code": "E11.900"}]) == ("I10", "E11.900")
