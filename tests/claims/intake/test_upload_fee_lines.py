from decimal import Decimal

import pytest

from claims.errors import ServiceError
from claims.intake.services import register_visit, upload_fee_lines
from claims.models import FeeLine, Upload
from insurance.models import Institution
from tests.claims.conftest import line, local

AMOXICILLIN = "XA01ABD075A002010100483"
RITUXIMAB = "XL01XCR085B002010100103"


@pytest.fixture
def visit(case01):
    return register_visit(institution=Institution.objects.get(fixmedins_code="H41080000001"), psn_no="P0001",
                          med_type="21", begntime=local(2026, 3, 2, 9))


def test_upload_classifies_every_line(visit):
    out = upload_fee_lines(visit, [line(1, RITUXIMAB, 2, "1500.00"), line(2, "LOCAL-ONLY-CODE", 1, "300.00")])
    assert out["created"] == 2
    split = out["splits"]
    assert split["1"]["overlmt_selfpay"] == Decimal("204.00")
    assert split["1"]["preselfpay_amt"] == Decimal("559.20")
    assert split["1"]["chrgitm_lv"] == "02" and split["1"]["selfpay_prop"] == Decimal("0.2")
    assert split["2"]["reason"] == "NOT_IN_CATALOG" and split["2"]["fulamt_ownpay_amt"] == Decimal("300.00")
    stored = FeeLine.objects.get(visit=visit, feedetl_sn="1")
    assert stored.inscp_scp_amt == Decimal("2236.80")


def test_resending_a_line_is_idempotent(visit):
    upload_fee_lines(visit, [line(1, AMOXICILLIN, 2, "1.50")])
    again = upload_fee_lines(visit, [line(1, AMOXICILLIN, 2, "1.50"), line(2, AMOXICILLIN, 1, "1.50")])
    assert (again["created"], again["unchanged"]) == (1, 1)
    assert FeeLine.objects.filter(visit=visit).count() == 2


def test_resending_a_line_with_other_content_is_refused(visit):
    upload_fee_lines(visit, [line(1, AMOXICILLIN, 2, "1.50")])
    with pytest.raises(ServiceError) as exc:
        upload_fee_lines(visit, [line(1, AMOXICILLIN, 3, "1.50")])
    assert exc.value.errors == [{"line": 0, "field": "feedetl_sn", "code": "SN_CONFLICT",
                                 "message": exc.value.errors[0]["message"]}]


@pytest.mark.parametrize(("bad", "field", "code"), [
    ({"cnt": "abc"}, "cnt", "NOT_DECIMAL"),
    ({"pric": "1.23456"}, "pric", "TOO_MANY_DECIMALS"),
    ({"det_item_fee_sumamt": "3.02"}, "det_item_fee_sumamt", "AMOUNT_MISMATCH"),
    ({"det_item_fee_sumamt": "-1"}, "det_item_fee_sumamt", "NEGATIVE"),
    ({"med_list_codg": ""}, "med_list_codg", "REQUIRED"),
    ({"med_list_codg": "X" * 51}, "med_list_codg", "TOO_LONG"),
    ({"feedetl_sn": "   "}, "feedetl_sn", "BLANK"),
    ({"fee_ocur_time": "2026-02-01T10:00:00"}, "fee_ocur_time", "OUTSIDE_VISIT"),
    ({"fee_ocur_time": "yesterday"}, "fee_ocur_time", "NOT_DATETIME"),
])
def test_bad_lines_name_line_and_field_and_write_nothing(visit, bad, field, code):
    good = line(1, AMOXICILLIN, 2, "1.50")
    with pytest.raises(ServiceError) as exc:
        upload_fee_lines(visit, [good, {**line(2, AMOXICILLIN, 2, "1.50"), **bad}])
    assert {(e["line"], e["field"], e["code"]) for e in exc.value.errors} >= {(1, field, code)}
    assert not FeeLine.objects.exists() and not Upload.objects.exists()


def test_amount_within_a_fen_of_cnt_times_pric_is_accepted(visit):
    out = upload_fee_lines(visit, [line(1, AMOXICILLIN, "3", "0.3333", "1.01")])
    assert out["created"] == 1


def test_duplicate_serial_in_one_request(visit):
    with pytest.raises(ServiceError) as exc:
        upload_fee_lines(visit, [line(1, AMOXICILLIN, 1, "1.00"), line(1, AMOXICILLIN, 1, "1.00")])
    assert exc.value.errors[0]["code"] == "DUPLICATE_IN_REQUEST"
