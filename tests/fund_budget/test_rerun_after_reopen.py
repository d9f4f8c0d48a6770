"""settle_month after a reopening: a new run of the month (sequence 2, the same previous run, a later cutoff)
issues the corrected statements, including what the first run missed; the next month does not count it
again; the scheduled job's due_month and the settle_month command see the reopened month as unsettled."""
import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from fund_budget.models import Disbursement, DisbursementStatus, MonthlyRun, MonthlyStatement
from fund_budget.monthly import due_month

from .conftest import settle, statement_day_cutoff, worked_parameters
from .reopen_world import reopen, statements  # noqa: F401 - the fixtures

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = dt.date(2026, 3, 1)


def test_the_new_run_gives_the_corrected_statement(reopen, person, policy):  # noqa: F811
    reopen.late_settlement(person, policy, hifp="1000.00")
    first_a = reopen.s.st_a
    reopen.reopen()
    run, created = settle("2026-03", cutoff=statement_day_cutoff("2026-03") + dt.timedelta(hours=2))
    assert created and (run.month, run.sequence, run.previous_id) == (MARCH, 2, reopen.run.previous_id)
    assert str(run) == "2026-03 #2"
    new_a = MonthlyStatement.objects.current().get(institution=reopen.s.a, month=MARCH)
    assert new_a.run == run and new_a.visit_count == first_a.visit_count + 1
    assert new_a.fund_amount == first_a.fund_amount + D("1000.00") == D("12200.00")
    assert (new_a.withheld, new_a.deductions, new_a.net_payable) == (D("610.00"), D("300.00"), D("11290.00"))
    new_b = MonthlyStatement.objects.current().get(institution=reopen.s.b, month=MARCH)
    assert new_b.fund_amount == reopen.s.st_b.fund_amount  # B had nothing late: the same figures, anew
    assert Disbursement.objects.get(statement=new_a).status == DisbursementStatus.PENDING
    assert settle("2026-03")[0] == run  # settled again: the current run is returned, nothing changes


def test_the_next_month_does_not_count_the_late_settlement_again(reopen, person, policy):  # noqa: F811
    reopen.late_settlement(person, policy, hifp="1000.00")
    reopen.reopen()
    settle("2026-03", cutoff=statement_day_cutoff("2026-03") + dt.timedelta(hours=2))
    april, _ = settle("2026-04")
    assert april.previous.sequence == 2
    assert not MonthlyStatement.objects.filter(run=april, institution=reopen.s.a, fund_amount__gt=0).exists()


def test_without_reopening_the_late_settlement_goes_to_the_next_month(reopen, person, policy):  # noqa: F811
    """The contrast: the late record is an adjustment of April when March is not reopened."""
    reopen.late_settlement(person, policy, hifp="1000.00")
    april, _ = settle("2026-04")
    assert MonthlyStatement.objects.get(run=april, institution=reopen.s.a).fund_amount == D("1000.00")


def test_due_month_and_the_command_settle_the_reopened_month(reopen, person, policy):  # noqa: F811
    worked_parameters(2026, region="410800", statement_day=10)
    assert due_month(dt.date(2026, 4, 12)) is None  # March has a current run
    reopen.late_settlement(person, policy)
    reopen.reopen()
    assert due_month(dt.date(2026, 4, 12)) == MARCH
    out = StringIO()
    call_command("settle_month", "2026-03", "--cutoff", "2026-04-10T08:00:00", stdout=out)
    assert out.getvalue().startswith("2026-03 #2: 2 statements issued")
    assert MonthlyRun.objects.current().get(month=MARCH).sequence == 2
    assert due_month(dt.date(2026, 4, 12)) is None
