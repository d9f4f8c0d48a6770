"""Worked example F of docs/benefit-layers.md §F: two institutions, the employee (310100) and resident (390100)
pools cleared separately with their own item-by-item thresholds (150,000 / 100,000), reproduced to the fen
through the settlements, the monthly statements, prepare_indices and clear_year."""
from decimal import Decimal

import pytest

from fund_budget import budget
from fund_budget.clearing import clear_year
from fund_budget.models import (
    ClearingReport,
    ClearingSide,
    Fund,
    IndexStatus,
    InstitutionIndex,
    MonthlyStatement,
    PaymentMethod,
    PaymentMode,
    PaymentStandard,
    Rating,
)
from insurance.models import Insutype
from tests.factories import EnrollmentFactory, PersonFactory

from .conftest import local, make_institution, make_settlement, settle, threshold, worked_parameters

pytestmark = pytest.mark.django_db
D = Decimal
EMP, RES = Fund.EMPLOYEE_POOL, Fund.RESIDENT_POOL

# 2025 spending, 2026 spending in March and in November (the two add up to the example's A)
SPENT_2025 = {("P", EMP): "140000", ("P", RES): "120000", ("Q", EMP): "160000", ("Q", RES): "90000"}
SPENT_2026 = {("P", EMP): ("100000", "60000"), ("P", RES): ("90000", "60000"),
              ("Q", EMP): ("120000", "60000"), ("Q", RES): ("55000", "40000")}
# institution, fund → rating, s, I (None: item by item) | side, A, W, retained, shared, due, returned, final, next base
EXAMPLE_F = {
    ("P", EMP): (Rating.AA, 90, None,
                 ClearingSide.ITEM_BY_ITEM, "160000", "8000", "0", "0", "160000", "7200", "7200", None),
    ("P", RES): (Rating.AA, 90, "130000",
                 ClearingSide.OVER, "150000", "7500", "0", "7800", "137800", "6750", "-5450", "126100"),
    ("Q", EMP): (Rating.A, 100, "200000",
                 ClearingSide.UNDER, "180000", "9000", "8000", "0", "188000", "9000", "17000", "206000"),
    ("Q", RES): (Rating.A, 100, None,
                 ClearingSide.ITEM_BY_ITEM, "95000", "4750", "0", "0", "95000", "4750", "4750", None),
}


@pytest.fixture
def two_funds(policy):
    """P and Q, an employee (registered under the 310 enrollment) and a resident (390, read as in force)."""
    params = worked_parameters(2026)
    threshold(params, EMP, "150000")
    threshold(params, RES, "100000")
    employee, resident = PersonFactory(), PersonFactory()
    employment = EnrollmentFactory(person=employee, insutype=Insutype.EMPLOYEE)
    EnrollmentFactory(person=resident, insutype=Insutype.RESIDENT)
    people = {EMP: (employee, employment), RES: (resident, None)}
    inst = {"P": make_institution(21, name="机构P"), "Q": make_institution(22, name="机构Q")}
    for (name, fund), amount in SPENT_2025.items():
        person, enrollment = people[fund]
        make_settlement(inst[name], local(2025, 6, 10), person=person, policy=policy, hifp=amount,
                        enrollment=enrollment)
    for (name, fund), amounts in SPENT_2026.items():
        person, enrollment = people[fund]
        for month, amount in zip((3, 11), amounts, strict=True):
            make_settlement(inst[name], local(2026, month, 10), person=person, policy=policy, hifp=amount,
                            enrollment=enrollment)
    for month in range(1, 13):
        settle(f"2026-{month:02d}")
    return inst


def test_each_statement_has_a_line_per_fund(two_funds):
    march = MonthlyStatement.objects.get(institution=two_funds["P"], month__month=3, month__year=2026)
    assert {line.fund: (line.amount, line.withheld) for line in march.lines.all()} == {
        EMP: (D("100000.00"), D("5000.00")), RES: (D("90000.00"), D("4500.00"))}
    assert march.fund_amount == D("190000.00") and march.withheld == D("9500.00")


def test_thresholds_per_fund_choose_the_mode(two_funds):
    for fund in (EMP, RES):
        budget.prepare_indices(2026, fund, "410800")
    modes = {(i.institution.name[-1], i.fund): (i.payment_mode, i.last_year_actual)
             for i in InstitutionIndex.objects.filter(year=2026).select_related("institution")}
    assert modes == {
        ("P", EMP): (PaymentMode.ITEM_BY_ITEM, D("140000.00")), ("P", RES): (PaymentMode.BUDGET, D("120000.00")),
        ("Q", EMP): (PaymentMode.BUDGET, D("160000.00")), ("Q", RES): (PaymentMode.ITEM_BY_ITEM, D("90000.00"))}
    # merged under one fund (the code before the split), P and Q would both be under the budget
    merged = budget.spending_by_institution(2025, Fund.HIFP)
    assert (merged[two_funds["P"].pk], merged[two_funds["Q"].pk]) == (D("260000.00"), D("250000.00"))


def test_worked_example_f_to_the_fen(two_funds):
    for fund in (EMP, RES):
        budget.prepare_indices(2026, fund, "410800")
    for (name, fund), (rating, score, index, *_rest) in EXAMPLE_F.items():
        row = InstitutionIndex.objects.get(year=2026, institution=two_funds[name], fund=fund)
        row.rating, row.assessment_score = rating, D(score)
        if index is not None:
            row.agreed_amount, row.status = D(index), IndexStatus.AGREED
        row.save()
    assert clear_year(2026)["created"] == 4
    for (name, fund), (_r, _s, index, *expected) in EXAMPLE_F.items():
        report = ClearingReport.objects.get(year=2026, institution=two_funds[name], fund=fund)
        side, actual, withheld, retained, shared, due, returned, final, next_base = expected
        assert (report.side, report.index_amount, report.actual, report.withheld, report.retained, report.shared,
                report.due, report.returned, report.final, report.next_base) == (
            side, None if index is None else D(index), D(actual), D(withheld), D(retained), D(shared), D(due),
            D(returned), D(final), None if next_base is None else D(next_base)), (name, fund)


def test_a_standard_gain_goes_to_the_pool_that_paid(policy):
    """A per-disease visit of a resident: its gain or loss against the standard is on the resident pool's line."""
    worked_parameters(2026)
    PaymentStandard.objects.create(year=2026, med_type="21", method=PaymentMethod.PER_DISEASE, disease_code="K35.800",
                                   standard=D("5000"))
    employee, resident = PersonFactory(), PersonFactory()
    EnrollmentFactory(person=employee, insutype=Insutype.EMPLOYEE)
    EnrollmentFactory(person=resident, insutype=Insutype.RESIDENT)
    h = make_institution(23)
    make_settlement(h, local(2026, 1, 10), person=resident, policy=policy, hifp="4500", psn_part="1000",
                    diagnoses=["K35.800"])  # paid 5000 − 1000 = 4000 at the standard
    make_settlement(h, local(2026, 1, 12), person=employee, policy=policy, hifp="100")
    settle("2026-01")
    st = MonthlyStatement.objects.get(institution=h)
    assert {line.fund: line.amount for line in st.lines.all()} == {EMP: D("100.00"), RES: D("4000.00")}
    assert st.fund_amount == D("4100.00") and st.standard_gain_loss == D("-500.00")
