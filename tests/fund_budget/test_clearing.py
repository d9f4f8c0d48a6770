"""Year-end clearing: the spec's worked example (X, Y, Z, V) reproduced exactly, both sides of the index and of
the tolerance band for each credit rating, idempotent runs, approval freezing a report, XLSX export."""
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from openpyxl import load_workbook

from fund_budget.clearing import approve_clearing, clear_year, compute_clearing, recompute_clearing, snapshot
from fund_budget.common import FundError
from fund_budget.deductions import record_deduction
from fund_budget.export import clearing_workbook
from fund_budget.models import (
    AuditDeduction,
    ClearingReport,
    ClearingSide,
    ClearingStatus,
    Disbursement,
    DisbursementKind,
    IndexStatus,
    InstitutionIndex,
    MonthlyStatement,
    PaymentMode,
    Rating,
)

from .conftest import at_time, local, make_institution, make_settlement, settle, worked_parameters

pytestmark = pytest.mark.django_db
D = Decimal

# institution, rating, I, monthly fund amounts, s | retained, shared, returned, final, next base (spec table)
WORKED = {
    "X": (Rating.AA, "10000000", ["750000"] * 12, 95, "500000", "0", "427500", "927500", "10300000"),
    "Y": (Rating.A, "5000000", ["500000"] * 12, 80, "0", "250000", "240000", "-510000", "4850000"),
    "Z": (Rating.AAA, "2000000", ["125000"] * 12, 100, "180000", "0", "75000", "255000", "2060000"),
    "V": (Rating.AAA, "3000000", ["260000"] * 8 + ["280000"] * 4, 90, "0", "140000", "144000", "84000", "2910000"),
}
# (A, W) of the worked example
WORKED_AW = {"X": ("9000000", "450000"), "Y": ("6000000", "300000"), "Z": ("1500000", "75000"),
             "V": ("3200000", "160000")}


@pytest.fixture
def params(db):
    return worked_parameters(2025)


@pytest.mark.parametrize("name", sorted(WORKED))
def test_worked_example_arithmetic(params, name):
    rating, index, _months, score, retained, shared, returned, final, next_base = WORKED[name]
    actual, withheld = WORKED_AW[name]
    result = compute_clearing(index_amount=D(index), fund_total=D(actual), deductions=D("0"), withheld=D(withheld),
                              score=D(score), rating=rating, params=snapshot(params))
    assert (result.retained, result.shared, result.returned, result.final, result.next_base) == (
        D(retained), D(shared), D(returned), D(final), D(next_base))


@pytest.fixture
def worked_year(params, person, policy):
    """The four institutions with a year of monthly statements whose sums are the example's A and W."""
    institutions = {}
    for n, (name, (rating, index, months, score, *_rest)) in enumerate(sorted(WORKED.items()), start=10):
        inst = make_institution(n, name=f"机构{name}")
        InstitutionIndex.objects.create(year=2025, institution=inst, agreed_amount=D(index), rating=rating,
                                        assessment_score=D(score), status=IndexStatus.AGREED)
        for month, amount in enumerate(months, start=1):
            make_settlement(inst, local(2025, month, 15), person=person, policy=policy, hifp=amount)
        institutions[name] = inst
    for month in range(1, 13):
        settle(f"2025-{month:02d}")
    return institutions


def test_worked_example_through_monthly_statements(worked_year):
    counts = clear_year(2025)
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (4, 0, 0)
    for name, inst in worked_year.items():
        _r, index, _m, _s, retained, shared, returned, final, next_base = WORKED[name]
        report = ClearingReport.objects.get(institution=inst, year=2025)
        actual, withheld = WORKED_AW[name]
        assert (report.index_amount, report.actual, report.withheld) == (D(index), D(actual), D(withheld))
        assert (report.retained, report.shared, report.returned, report.final, report.next_base) == (
            D(retained), D(shared), D(returned), D(final), D(next_base)), name
        assert report.side == (ClearingSide.UNDER if D(actual) <= D(index) else ClearingSide.OVER)
        keys = list(report.lines.values_list("key", flat=True))
        assert keys[0] == "index" and keys[-2:] == ["returned", "final"]
        assert report.lines.get(key="final").amount == D(final)
    z_lines = {line.key: line for line in ClearingReport.objects.get(institution=worked_year["Z"]).lines.all()}
    assert z_lines["retain_ceiling"].amount == D("300000.00") and "min(500000.00, 300000.00)" in z_lines[
        "retained"].formula


def test_clear_year_twice_changes_nothing_and_approval_freezes(worked_year, admin_user):
    clear_year(2025)
    before = list(ClearingReport.objects.order_by("pk").values())
    lines_before = sorted(ClearingReport.objects.values_list("lines__pk", flat=True))
    counts = clear_year(2025)
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (0, 0, 4)
    assert list(ClearingReport.objects.order_by("pk").values()) == before
    assert sorted(ClearingReport.objects.values_list("lines__pk", flat=True)) == lines_before

    y = ClearingReport.objects.get(institution=worked_year["Y"])
    approved = approve_clearing(y, user=admin_user)
    assert approved.status == ClearingStatus.APPROVED and approved.approved_by == admin_user
    assert approved.approved_at is not None
    owed = Disbursement.objects.get(clearing_report=y)
    assert (owed.kind, owed.amount) == (DisbursementKind.CLEARING, D("-510000.00"))
    with pytest.raises(FundError):
        recompute_clearing(y)
    with pytest.raises(FundError):
        approve_clearing(y, user=admin_user)

    counts = clear_year(2025)
    assert (counts["approved"], counts["unchanged"]) == (1, 3)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            ClearingReport.objects.filter(pk=y.pk).update(final=0)


def test_clear_year_needs_december_and_the_command(params, person, policy):
    inst = make_institution(30)
    InstitutionIndex.objects.create(year=2025, institution=inst, agreed_amount=D("1000"), status=IndexStatus.AGREED)
    with pytest.raises(FundError):
        clear_year(2025)
    make_settlement(inst, local(2025, 12, 1), person=person, policy=policy, hifp="800")
    settle("2025-12")
    out = io.StringIO()
    call_command("clear_year", "2025", stdout=out)
    assert "created 1" in out.getvalue()
    assert ClearingReport.objects.get().final == D("60.00") + D("40.00")  # 0.4 × min(200, 150) + 40 × 100 %


def test_deductions_of_the_year_reduce_the_actual(params, person, policy):
    inst = make_institution(31)
    InstitutionIndex.objects.create(year=2025, institution=inst, agreed_amount=D("1000000"), rating=Rating.A,
                                    assessment_score=D("100"), status=IndexStatus.AGREED)
    make_settlement(inst, local(2025, 11, 10), person=person, policy=policy, hifp="1100000")
    d = record_deduction(inst, "60000", "虚记费用")
    at_time(AuditDeduction.objects.filter(pk=d.pk), "confirmed_at", local(2025, 11, 20))
    settle("2025-11")
    settle("2025-12")
    clear_year(2025)
    report = ClearingReport.objects.get(institution=inst)
    # A = 1,100,000 − 60,000 = 1,040,000 > I: shared 0.5 × 40,000; returned W = 55,000
    assert (report.fund_total, report.deductions, report.actual) == (D("1100000.00"), D("60000.00"), D("1040000.00"))
    assert (report.shared, report.due, report.returned, report.final) == (
        D("20000.00"), D("1020000.00"), D("55000.00"), D("35000.00"))


INDEX = D("1000000")
W = D("50000")
# case: A | retained per rating (A, AA, AAA) | shared per rating | final per rating
SIDES = {
    "under, within the ceiling": ("900000", ("40000", "50000", "60000"), ("0",) * 3, ("90000", "100000", "110000")),
    "under, at the ceiling": ("850000", ("60000", "75000", "90000"), ("0",) * 3, ("110000", "125000", "140000")),
    "under, beyond the ceiling": ("800000", ("60000", "75000", "90000"), ("0",) * 3, ("110000", "125000", "140000")),
    "exactly the index": ("1000000", ("0",) * 3, ("0",) * 3, ("50000",) * 3),
    "over, within the tolerance": ("1050000", ("0",) * 3, ("25000", "30000", "35000"), ("25000", "30000", "35000")),
    "over, at the tolerance": ("1100000", ("0",) * 3, ("50000", "60000", "70000"), ("0", "10000", "20000")),
    "over, beyond the tolerance": ("1200000", ("0",) * 3, ("50000", "60000", "70000"),
                                   ("-100000", "-90000", "-80000")),
}


@pytest.mark.parametrize("rating_no, rating", list(enumerate([Rating.A, Rating.AA, Rating.AAA])))
@pytest.mark.parametrize("case", sorted(SIDES))
def test_both_sides_of_the_index_and_the_tolerance_band(params, case, rating_no, rating):
    actual, retained, shared, final = SIDES[case]
    result = compute_clearing(index_amount=INDEX, fund_total=D(actual), deductions=D("0"), withheld=W, score=D("100"),
                              rating=rating, params=snapshot(params))
    assert (result.retained, result.shared, result.returned, result.final) == (
        D(retained[rating_no]), D(shared[rating_no]), W, D(final[rating_no]))
    under = D(actual) <= INDEX
    assert result.side == (ClearingSide.UNDER if under else ClearingSide.OVER)
    assert result.next_base == (D("1030000") if under else D("970000"))
    assert result.due == (D(actual) + result.retained if under else INDEX + result.shared)


def test_item_by_item_institution_gets_its_deposit_back(params, person, policy):
    inst = make_institution(32, level=1)
    InstitutionIndex.objects.create(year=2025, institution=inst, payment_mode=PaymentMode.ITEM_BY_ITEM,
                                    assessment_score=D("80"))
    make_settlement(inst, local(2025, 12, 3), person=person, policy=policy, hifp="20000")
    settle("2025-12")
    clear_year(2025)
    report = ClearingReport.objects.get(institution=inst)
    assert (report.side, report.index_amount, report.due, report.returned, report.final, report.next_base) == (
        ClearingSide.ITEM_BY_ITEM, None, D("20000.00"), D("800.00"), D("800.00"), None)


def test_xlsx_export(worked_year, admin_client):
    clear_year(2025)
    reports = ClearingReport.objects.order_by("institution__fixmedins_code")
    book = load_workbook(io.BytesIO(clearing_workbook(reports)))
    summary, lines = book.worksheets
    header = [c.value for c in summary[1]]
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in summary.iter_rows(min_row=2, values_only=True)}
    x = rows[worked_year["X"].fixmedins_code]
    assert D(str(x["清算额"])) == D("927500") and D(str(x["下年指标基数"])) == D("10300000")
    assert lines.max_row - 1 == sum(r.lines.count() for r in reports)

    one = admin_client.get(f"/fund/clearing/{reports[0].pk}.xlsx")
    assert one.status_code == 200 and one["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(one.content)).worksheets[0].max_row == 2
    every = admin_client.get("/fund/clearing/2025/all.xlsx")
    assert load_workbook(io.BytesIO(every.content)).worksheets[0].max_row == 5
    action = admin_client.post("/admin/fund_budget/clearingreport/", {
        "action": "export_xlsx", "_selected_action": [r.pk for r in reports]})
    assert action.status_code == 200 and load_workbook(io.BytesIO(action.content)).worksheets[0].max_row == 5
    assert MonthlyStatement.objects.filter(month__year=2025).count() == 48
