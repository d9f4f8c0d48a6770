"""Monthly statements, hand-checked: a later cancellation is an adjustment of the month it happens in, an
audit deduction and its reversal count in their own months, a month runs once, issued statements never
change, and what an institution owes is deducted from its next payment."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from fund_budget import tasks
from fund_budget.common import FundError
from fund_budget.deductions import record_deduction, reverse_deduction, reverse_deduction_for_source
from fund_budget.models import (
    AuditDeduction,
    Disbursement,
    DisbursementKind,
    DisbursementStatus,
    MonthlyRun,
    MonthlyStatement,
    PaymentMethod,
    StatementLine,
)
from fund_budget.monthly import due_month

from .conftest import at_time, local, make_institution, make_settlement, reverse, settle, worked_parameters

pytestmark = pytest.mark.django_db
D = Decimal
STATEMENT_FIGURES = ["visit_count", "reversal_count", "medfee_amount", "ffs_fund_amount", "fund_amount", "withheld",
                     "deductions_confirmed", "deductions_reversed", "deductions", "payable", "offset_amount",
                     "net_payable", "payment_due"]


def figures(statement: MonthlyStatement) -> dict:
    return {f: getattr(statement, f) for f in STATEMENT_FIGURES}


def lines(statement: MonthlyStatement) -> dict:
    return {line.fund: (line.amount, line.withheld, line.deductions) for line in statement.lines.all()}


@pytest.fixture
def hospital(db):
    worked_parameters(2026)  # withholding 5 %, payment day 15
    return make_institution(1)


@pytest.fixture
def january(hospital, person, policy):
    """Three settlements and a deduction in January 2026."""
    s1 = make_settlement(hospital, local(2026, 1, 5, 10), person=person, policy=policy, hifp="720.00", psn_part="280")
    s2 = make_settlement(hospital, local(2026, 1, 20, 16), person=person, policy=policy, hifp="1500.00",
                         hifob="300.00", psn_part="200")
    s3 = make_settlement(hospital, local(2026, 1, 25, 9), person=person, policy=policy, hifp="333.33",
                         psn_part="66.67")
    d1 = record_deduction(hospital, "100.00", "重复收费", source_type="audit.suspect", source_id="42")
    at_time(AuditDeduction.objects.filter(pk=d1.pk), "confirmed_at", local(2026, 1, 28, 11))
    return {"s1": s1, "s2": s2, "s3": s3, "d1": d1}


def test_january_statement_by_hand(hospital, january):
    run, created = settle("2026-01")
    assert created and run.statement_count == 1
    st = MonthlyStatement.objects.get(institution=hospital, month=dt.date(2026, 1, 1))
    # fund 720 + 1800 + 333.33 = 2853.33; withheld round(142.6665) = 142.67; payable 2853.33 − 142.67 − 100
    assert figures(st) == {
        "visit_count": 3, "reversal_count": 0, "medfee_amount": D("3400.00"), "ffs_fund_amount": D("2853.33"),
        "fund_amount": D("2853.33"), "withheld": D("142.67"), "deductions_confirmed": D("100.00"),
        "deductions_reversed": D("0.00"), "deductions": D("100.00"), "payable": D("2610.66"),
        "offset_amount": D("0.00"), "net_payable": D("2610.66"), "payment_due": dt.date(2026, 2, 15)}
    assert lines(st) == {"310100": (D("2553.33"), D("127.67"), D("100.00")), "330100": (D("300.00"), D("15.00"), D("0.00"))}
    assert st.withholding_rate == D("0.05")
    disbursement = Disbursement.objects.get(statement=st)
    assert (disbursement.amount, disbursement.due_date, disbursement.kind) == (
        D("2610.66"), dt.date(2026, 2, 15), DisbursementKind.MONTHLY)
    assert list(st.method_lines.values_list("method", "visits", "ffs_fund_amount", "claim_amount", "gain_loss")) == [
        (PaymentMethod.FEE_FOR_SERVICE, 3, D("2853.33"), D("2853.33"), D("0.00"))]


def test_cancellation_and_deduction_reversal_are_adjustments_of_february(hospital, january, person, policy):
    settle("2026-01")
    jan = MonthlyStatement.objects.get(month=dt.date(2026, 1, 1))
    before = figures(jan), lines(jan)
    reverse(january["s2"], local(2026, 2, 3, 8))  # the January settlement of 1800 cancelled in February
    make_settlement(hospital, local(2026, 2, 10, 12), person=person, policy=policy, hifp="500", psn_part="100")
    reverse_deduction(january["d1"], reason="申诉成立")
    at_time(AuditDeduction.objects.filter(pk=january["d1"].pk), "reversed_at", local(2026, 2, 12, 9))
    d2 = record_deduction(hospital, "50.00", "超标准收费", source_type="audit.suspect", source_id="43")
    at_time(AuditDeduction.objects.filter(pk=d2.pk), "confirmed_at", local(2026, 2, 14, 9))

    settle("2026-02")
    jan.refresh_from_db()
    assert (figures(jan), lines(jan)) == before  # the issued January statement is unchanged
    feb = MonthlyStatement.objects.get(month=dt.date(2026, 2, 1))
    # fund 500 − 1800 = −1300; withheld round(−65) = −65; deductions 50 − 100 = −50; payable −1300 + 65 + 50
    assert figures(feb) == {
        "visit_count": 1, "reversal_count": 1, "medfee_amount": D("-1400.00"), "ffs_fund_amount": D("-1300.00"),
        "fund_amount": D("-1300.00"), "withheld": D("-65.00"), "deductions_confirmed": D("50.00"),
        "deductions_reversed": D("100.00"), "deductions": D("-50.00"), "payable": D("-1185.00"),
        "offset_amount": D("0.00"), "net_payable": D("-1185.00"), "payment_due": dt.date(2026, 3, 15)}
    assert lines(feb) == {"310100": (D("-1000.00"), D("-50.00"), D("-50.00")),
                          "330100": (D("-300.00"), D("-15.00"), D("0.00"))}
    owed = Disbursement.objects.get(statement=feb)
    assert owed.amount == D("-1185.00") and owed.status == DisbursementStatus.PENDING

    # March: 2000 − 100 withheld = 1900, less the 1185 still owed from February
    make_settlement(hospital, local(2026, 3, 3, 9), person=person, policy=policy, hifp="2000")
    settle("2026-03")
    mar = MonthlyStatement.objects.get(month=dt.date(2026, 3, 1))
    assert (mar.payable, mar.offset_amount, mar.net_payable) == (D("1900.00"), D("-1185.00"), D("715.00"))
    owed.refresh_from_db()
    assert owed.status == DisbursementStatus.OFFSET and owed.offset_statement == mar
    assert Disbursement.objects.get(statement=mar).amount == D("715.00")


def test_a_settlement_recorded_after_its_months_run_is_taken_by_the_next_month(hospital, person, policy):
    make_settlement(hospital, local(2026, 1, 10), person=person, policy=policy, hifp="100")
    settle("2026-01")  # cutoff 2026-02-10 05:15
    # discharged on 30 January, settled (recorded) on 20 February with its discharge time as setl_time
    make_settlement(hospital, local(2026, 1, 30), person=person, policy=policy, hifp="40",
                    created_at=local(2026, 2, 20))
    # recorded before January's cutoff but in February: February's anyway
    make_settlement(hospital, local(2026, 2, 2), person=person, policy=policy, hifp="7")
    settle("2026-02")
    assert MonthlyStatement.objects.get(month=dt.date(2026, 1, 1)).fund_amount == D("100.00")
    assert MonthlyStatement.objects.get(month=dt.date(2026, 2, 1)).fund_amount == D("47.00")
    settle("2026-03")
    assert not MonthlyStatement.objects.filter(month=dt.date(2026, 3, 1)).exists()


def test_running_a_month_twice_changes_nothing(hospital, january, person, policy):
    run, created = settle("2026-01")
    snapshot = [figures(s) for s in MonthlyStatement.objects.order_by("pk")]
    counts = (MonthlyStatement.objects.count(), StatementLine.objects.count(), Disbursement.objects.count())
    make_settlement(hospital, local(2026, 1, 31), person=person, policy=policy, hifp="99",
                    created_at=local(2026, 2, 11))
    again, created_again = settle("2026-01")
    assert (again.pk, created_again) == (run.pk, False)
    assert [figures(s) for s in MonthlyStatement.objects.order_by("pk")] == snapshot
    assert (MonthlyStatement.objects.count(), StatementLine.objects.count(), Disbursement.objects.count()) == counts
    out = __import__("io").StringIO()
    call_command("settle_month", "2026-01", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert MonthlyRun.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_an_issued_statement_cannot_be_updated_or_deleted(hospital, january):
    settle("2026-01")
    st = MonthlyStatement.objects.get()
    for attempt in (lambda: MonthlyStatement.objects.filter(pk=st.pk).update(fund_amount=0),
                    lambda: StatementLine.objects.filter(statement=st).delete(),
                    lambda: MonthlyStatement.objects.filter(pk=st.pk).delete()):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()


def test_months_are_settled_in_order_and_only_once_over(hospital, january):
    with pytest.raises(FundError):
        settle("2026-01", cutoff=local(2026, 1, 31, 12))  # before the month's end
    settle("2026-02")
    with pytest.raises(FundError):
        settle("2026-01")


def test_settle_month_command(hospital, january):
    out = __import__("io").StringIO()
    call_command("settle_month", "2026-01", "--cutoff", "2026-02-10T06:00:00", stdout=out)
    assert "1 statements issued" in out.getvalue() and hospital.fixmedins_code in out.getvalue()


def test_beat_task_settles_the_previous_month_on_the_statement_day(hospital, january):
    assert due_month(dt.date(2026, 2, 9)) is None
    assert tasks.settle_due_month.delay("2026-02-09").get() is None
    assert tasks.settle_due_month.delay("2026-02-10").get() == "2026-01"
    assert MonthlyRun.objects.filter(month=dt.date(2026, 1, 1)).exists()
    assert tasks.settle_due_month.delay("2026-02-11").get() is None  # already settled


def test_record_and_reverse_deduction_are_idempotent(hospital):
    d = record_deduction(hospital, "12.345", "分解住院", source_type="audit.suspect", source_id="7")
    assert d.amount == D("12.35")
    assert record_deduction(hospital.pk, D("12.35"), "分解住院", source_type="audit.suspect", source_id="7").pk == d.pk
    with pytest.raises(FundError):
        record_deduction(hospital, "13", "不同金额", source_type="audit.suspect", source_id="7")
    with pytest.raises(FundError):
        record_deduction(hospital, "0", "零")
    first = reverse_deduction_for_source("audit.suspect", "7", reason="申诉成立")
    again = reverse_deduction(d, reason="再次撤销")
    assert first.reversed_at == again.reversed_at and again.reverse_reason == "申诉成立"
    assert AuditDeduction.objects.count() == 1
