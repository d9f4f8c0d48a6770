"""The admin's forms run the models' clean(): a visit or a fee line out of bounds (core.bounds) names its field."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import FeeLineFactory, VisitFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("field", "value", "code"), [
    ("begntime", dt.datetime(436, 3, 2, 9, tzinfo=dt.UTC), "date_out_of_range"),
    ("endtime", dt.datetime(2797, 3, 2, 9, tzinfo=dt.UTC), "date_out_of_range"),
    ("mdtrt_id", "M\x000001", "control_character"),
])
def test_a_visit_out_of_bounds_names_the_field(field, value, code):
    visit = VisitFactory()
    setattr(visit, field, value)
    with pytest.raises(ValidationError) as exc:
        visit.full_clean()
    assert [e.code for e in exc.value.error_dict[field]] == [code]


@pytest.mark.parametrize(("field", "value", "code"), [
    ("cnt", Decimal("1e12"), "out_of_range"), ("cnt", Decimal("0"), "not_positive"),
    ("det_item_fee_sumamt", Decimal("1e12"), "out_of_range"), ("feedetl_sn", "1\x00", "control_character"),
    ("fee_ocur_time", dt.datetime(1800, 1, 1, tzinfo=dt.UTC), "date_out_of_range"),
])
def test_a_fee_line_out_of_bounds_names_the_field(field, value, code):
    line = FeeLineFactory()
    setattr(line, field, value)
    with pytest.raises(ValidationError) as exc:
        line.full_clean()
    assert code in [e.code for e in exc.value.error_dict[field]]


def test_a_fee_line_within_bounds_is_clean():
    FeeLineFactory().full_clean()
