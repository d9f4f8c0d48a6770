"""Parallel enrollments (320, 340, 350, 510 beside a basic 310/390; docs/benefit-layers.md): the model accepts
them beside the basic one, registration and both readers settle under the basic one, and the layers' facts
(claims.settlement.layer_facts) give the parallel insutypes in force and the employer's wage."""
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from claims.cases import load_reference_data
from claims.intake.services import register_visit
from claims.settlement.layer_facts import layer_columns, parallel_frame, read_layer_columns, wage_frame
from claims.settlement.loading import load_inputs
from claims.settlement.plan import LINE_KEYS, VISIT_KEYS
from insurance.models import BASIC_INSUTYPES as MODEL_BASIC
from insurance.models import PARALLEL_INSUTYPES, EmployerWage, Enrollment, Institution, Insutype, Person
from policy_rules.engine.frames import BASIC_INSUTYPES, ENROLLMENT_COLUMNS, enrollments_in_force

CASES = Path(__file__).resolve().parents[3] / "policy_rules" / "fixtures" / "cases"


def doc(name: str) -> dict:
    return json.loads((CASES / name).read_text(encoding="utf-8"))


def test_the_basic_enrollment_is_chosen_before_a_parallel_one_that_started_later():
    enrollments = pd.DataFrame([
        (1, 10, "310", "in_service", dt.date(2010, 1, 1), None, "2026-12", ""),
        (2, 10, "320", "in_service", dt.date(2015, 1, 1), None, "2026-12", ""),
        (3, 10, "510", "in_service", dt.date(2020, 1, 1), None, "2026-12", ""),
        (4, 20, "340", "retiree", dt.date(1990, 1, 1), None, None, ""),  # a veteran without a basic enrollment
    ], columns=ENROLLMENT_COLUMNS)
    visits = pd.DataFrame([(10, dt.date(2026, 3, 1), -1), (20, dt.date(2026, 3, 1), -1)],
                          columns=["person_id", "begin_date", "enrollment_id"])
    assert enrollments_in_force(visits, enrollments)["insutype"].tolist() == ["310", "340"]


@pytest.mark.django_db
def test_a_parallel_enrollment_may_overlap_the_basic_one_but_not_one_of_its_own_kind():
    person = Person.objects.create(psn_no="G9", name="公务员", gender="1", birth_date=dt.date(1975, 6, 1))
    basic = Enrollment.objects.create(person=person, insutype="310", psn_type="in_service",
                                      enrolled_from=dt.date(2010, 1, 1), paid_through="2026-12")
    subsidy = Enrollment(person=person, insutype="320", psn_type="in_service", enrolled_from=dt.date(2015, 1, 1),
                         paid_through="2026-12")
    subsidy.full_clean()
    subsidy.save()
    with pytest.raises(ValidationError) as exc:
        Enrollment(person=person, insutype="320", psn_type="in_service", enrolled_from=dt.date(2020, 1, 1),
                   paid_through="2026-12").full_clean()
    assert "enrolled_from" in exc.value.message_dict
    with pytest.raises(ValidationError):  # still one basic enrollment at a time
        Enrollment(person=person, insutype="390", psn_type="resident_adult", enrolled_from=dt.date(2020, 1, 1),
                   paid_through="2026-12").full_clean()
    assert Enrollment.objects.in_force(person, dt.date(2026, 3, 1)).first() == basic


@pytest.mark.django_db
def test_a_visit_registers_under_the_basic_enrollment_and_reads_its_layers_facts():
    load_reference_data(doc("maternity.json"))
    person = Person.objects.get(psn_no="W1")
    visit = register_visit(institution=Institution.objects.get(), psn_no="W1", med_type="52",
                           begntime=timezone.make_aware(dt.datetime(2026, 8, 10, 8)), matn_type="1")
    assert visit.enrollment.insutype == "310"
    columns = read_layer_columns([visit], ["310"])
    assert columns["parallel"].tolist() == ["510"]
    assert columns["matn_type"].tolist() == ["1"] and columns["dise_codg"].tolist() == [""]
    assert columns["employer_wage_fen"].tolist() == [888888]
    # a new wage from September: the visit of August keeps the old one
    EmployerWage.objects.filter(person=person).update(effective_to=dt.date(2026, 8, 31))
    EmployerWage.objects.create(person=person, avg_monthly_wage=Decimal("9000.00"), effective_from=dt.date(2026, 9, 1))
    assert read_layer_columns([visit], ["310"])["employer_wage_fen"].tolist() == [888888]
    inputs, _ = load_inputs([visit], {visit.pk: timezone.make_aware(dt.datetime(2026, 8, 10, 10))})
    row = inputs.visits.iloc[0]
    assert (row["insutype"], row["parallel"], row["matn_type"], row["employer_wage_fen"]) == ("310", "510", "1", 888888)
    # the keys' frames are built without columns= (claims.settlement.loading): their columns in the plan's order;
    # the stored lines' one frame is the engine's lines and the line keys (claims.settlement.stored_lines)
    assert tuple(inputs.visit_keys.columns) == VISIT_KEYS
    assert inputs.line_keys is inputs.lines
    assert tuple(c for c in inputs.line_keys.columns if c in LINE_KEYS) == LINE_KEYS


def test_a_veteran_settled_under_their_own_enrollment_has_it_not_as_a_parallel_one():
    visits = pd.DataFrame({"person": [1, 2, 3], "begin_date": [dt.date(2026, 3, 1)] * 3,
                           "insutype": ["340", "310", "390"], "dise_codg": [None, "", ""], "matn_type": ["", "", ""]})
    parallel = parallel_frame([(1, "340", dt.date(1990, 1, 1), None), (2, "350", dt.date(2000, 1, 1), None),
                               (2, "310", dt.date(2010, 1, 1), None),  # a basic one: not parallel
                               (3, "510", dt.date(2020, 1, 1), dt.date(2025, 12, 31))])  # ended before
    wages = wage_frame([])
    out = layer_columns(visits, parallel, wages)
    assert out["parallel"].tolist() == ["", "350", ""]
    assert out["dise_codg"].tolist() == ["", "", ""]
    assert out["employer_wage_fen"].dtype == np.int64 and out["employer_wage_fen"].tolist() == [-1, -1, -1]


def test_the_engine_and_the_models_name_the_same_basic_insutypes():
    """insurance cannot import the engine (the layers' contract), so each names them; they must agree."""
    assert tuple(MODEL_BASIC) == BASIC_INSUTYPES
    assert set(MODEL_BASIC) | set(PARALLEL_INSUTYPES) == set(Insutype.values)
