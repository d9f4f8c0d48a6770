"""Fixtures for the claims services: a case file's reference data loaded into the test database."""
import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from claims.cases import load_reference_data
from claims.intake.services import discharge_visit, register_visit, upload_fee_lines
from insurance.models import Institution

# The shared test vectors live beside the repository (../shared), on developers' machines and in CI.
CASES = Path(__file__).resolve().parents[3] / "shared" / "cases"


def case_doc(name: str) -> dict:
    return json.loads((CASES / name).read_text(encoding="utf-8"))


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture
def case01(db):
    """Case 01's policy, catalog, institutions and person P0001 (account 1200.00)."""
    doc = case_doc("01-employee-inpatient-tertiary.json")
    load_reference_data(doc)
    return doc


def admit(psn_no: str, code: str, lines: list[dict], begin: dt.datetime, end: dt.datetime | None,
          med_type: str = "21"):
    visit = register_visit(institution=Institution.objects.get(fixmedins_code=code), psn_no=psn_no,
                           med_type=med_type, begntime=begin)
    upload_fee_lines(visit, lines)
    if end is not None:
        visit = discharge_visit(visit, endtime=end)
    return visit


def line(sn, code, cnt, pric, amount=None) -> dict:
    from decimal import Decimal
    amount = amount if amount is not None else str((Decimal(str(cnt)) * Decimal(str(pric))).quantize(Decimal("0.01")))
    return {"feedetl_sn": str(sn), "med_list_codg": code, "cnt": str(cnt), "pric": str(pric),
            "det_item_fee_sumamt": amount}
