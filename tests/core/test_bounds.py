"""core.bounds and core.spreadsheet: the edge's checks on their own."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from claims.models import FeeLine
from core import bounds
from core.spreadsheet import safe_cell, safe_row

AMOUNT = FeeLine._meta.get_field("det_item_fee_sumamt")  # numeric(14, 2)
QUANTITY = FeeLine._meta.get_field("cnt")  # numeric(16, 4)


def code_of(check, *args):
    try:
        check(*args)
    except ValidationError as exc:
        return exc.code
    return None


@pytest.mark.parametrize(("value", "field", "code"), [
    ("999999999999.99", AMOUNT, None), ("1000000000000", AMOUNT, "out_of_range"), ("0.001", AMOUNT, "too_many_decimals"),
    ("1E+2", AMOUNT, None), ("-5", AMOUNT, None), ("1e20", QUANTITY, "out_of_range"), ("1e400", QUANTITY, "out_of_range"),
    ("1e-30", QUANTITY, "too_many_decimals"), ("0.0001", QUANTITY, None), ("999999999999.9999", QUANTITY, None),
])
def test_a_decimal_fits_its_column(value, field, code):
    assert code_of(bounds.check_decimal, Decimal(value), field) == code


def test_limits_come_from_the_model_field():
    assert bounds.decimal_limits(AMOUNT) == (AMOUNT.max_digits, AMOUNT.decimal_places) == (14, 2)


@pytest.mark.parametrize(("value", "code"), [
    (dt.date(1901, 1, 1), None), (dt.date(2100, 12, 31), None), (dt.date(1900, 12, 31), "date_out_of_range"),
    (dt.datetime(436, 3, 2, 9), "date_out_of_range"), (dt.datetime(2797, 3, 2, 9), "date_out_of_range"),
    (dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-12))), "date_out_of_range"),
    (dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))), "date_out_of_range"), (None, None),
])
def test_dates_lie_in_the_settings_window(value, code):
    assert code_of(bounds.check_date, value) == code


def test_the_window_is_the_settings(settings):
    settings.CLAIMS_DATE_MAX = dt.date(2030, 12, 31)
    assert code_of(bounds.check_date, timezone.make_aware(dt.datetime(2031, 1, 1))) == "date_out_of_range"


def test_control_characters():
    assert code_of(bounds.check_code, "M0001\x00") == "control_character"
    assert code_of(bounds.check_code, "a\nb") == "control_character"
    assert code_of(bounds.check_text, "第一行\n第二行") is None
    assert code_of(bounds.check_text, "x\x1b[31m") == "control_character"
    assert code_of(bounds.check_code, "001102000010000") is None


def test_pack_med_types():
    doc = {"benefits": [{"insutype": "310", "med_type": "21"}, {"insutype": "390", "med_type": "11"}],
           "personal_account": {"med_types": ["14"]}, "critical_illness": {"med_types": ["21"]}}
    assert bounds.pack_med_types(doc) == {"11", "14", "21"}


def test_formula_like_cells_are_quoted_and_nothing_else():
    assert safe_row(["=1+cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "M0001", -1, Decimal("-2.00"),
                     None]) == ["'=1+cmd|' /C calc'!A0", "'+1", "'-1", "'@SUM(A1)", "'\t=1", "'\r=1", "M0001", -1,
                                Decimal("-2.00"), None]
    assert safe_cell("") == ""
