"""approve_reopening: a second supervisor approves; the run's statements are superseded (rows added, the
statements unchanged), its pending payments marked superseded, the receivables it had offset pending again;
the run is no longer current. From the statement page and from the list's open requests."""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from fund_budget.common import FundError
from fund_budget.models import (
    Disbursement,
    DisbursementKind,
    DisbursementStatus,
    MonthlyRun,
    MonthlyStatement,
    SupersededStatement,
)
from fund_budget.reopening import approve_reopening, request_reopening
from tests.factories import DisbursementFactory

from .conftest import settle
from .reopen_world import REASON, reopen, statements  # noqa: F401 - the fixtures

pytestmark = pytest.mark.django_db
D = Decimal


def test_approval_supersedes_the_runs_statements_and_payments(reopen):  # noqa: F811
    before = list(MonthlyStatement.objects.filter(run=reopen.run).order_by("pk").values())
    approval = reopen.reopen()
    assert (approval.approved_by, approval.request.requested_by) == (reopen.deputy, reopen.chief)
    assert set(SupersededStatement.objects.filter(approval=approval).values_list("statement_id", flat=True)) == {
        reopen.s.st_a.pk, reopen.s.st_b.pk}
    assert list(MonthlyStatement.objects.filter(run=reopen.run).order_by("pk").values()) == before  # unchanged
    assert set(Disbursement.objects.filter(statement__run=reopen.run).values_list("status", flat=True)) == {
        DisbursementStatus.SUPERSEDED}
    assert not MonthlyRun.objects.current().filter(pk=reopen.run.pk).exists()
    assert not MonthlyStatement.objects.current().filter(run=reopen.run).exists()


def test_receivables_the_run_offset_are_pending_again(reopen):  # noqa: F811
    """An amount hospital A owes (a clearing receivable) is offset by the March statement of run 2; reopening
    run 2 gives it back to pending, and run 3 of March offsets it again."""
    reopen.reopen()
    owed = DisbursementFactory(statement=None, clearing_report=reopen.s.report_a, institution=reopen.s.a,
                               kind=DisbursementKind.CLEARING, amount=D("-200.00"), due_date=dt.date(2026, 3, 1))
    run2, _ = settle("2026-03", cutoff=reopen.run.cutoff + dt.timedelta(hours=2))
    st2 = MonthlyStatement.objects.get(run=run2, institution=reopen.s.a)
    owed.refresh_from_db()
    assert (run2.sequence, owed.status, owed.offset_statement, st2.offset_amount) == (
        2, DisbursementStatus.OFFSET, st2, D("-200.00"))

    approve_reopening(request_reopening(run2, "抵扣有误", reopen.deputy), reopen.chief)
    owed.refresh_from_db()
    assert (owed.status, owed.offset_statement) == (DisbursementStatus.PENDING, None)
    assert Disbursement.objects.get(statement=st2).status == DisbursementStatus.SUPERSEDED

    run3, created = settle("2026-03", cutoff=reopen.run.cutoff + dt.timedelta(hours=3))
    st3 = MonthlyStatement.objects.current().get(institution=reopen.s.a)
    owed.refresh_from_db()
    assert (created, run3.sequence, run3.previous_id, st3.run) == (True, 3, reopen.run.previous_id, run3)
    assert (owed.status, owed.offset_statement, st3.net_payable) == (
        DisbursementStatus.OFFSET, st3, reopen.s.st_a.net_payable - D("200.00"))


def test_a_request_is_approved_once(reopen):  # noqa: F811
    approval = reopen.reopen()
    with pytest.raises(FundError, match="已审批"):
        approve_reopening(approval.request, reopen.root)
    with pytest.raises(FundError, match="已被重开作废"):
        request_reopening(reopen.run, "再开一次", reopen.chief)


def test_a_superuser_other_than_the_requester_approves(reopen):  # noqa: F811
    approval = approve_reopening(reopen.request(), reopen.root)
    assert approval.approved_by == reopen.root


def test_the_statement_page_approves(client, reopen):  # noqa: F811
    req = reopen.request()
    client.force_login(reopen.deputy)
    url = reverse("fund_budget:statement", args=[reopen.s.st_a.pk])
    page = client.get(url).content.decode()
    assert REASON in page and "批准重开" in page
    response = client.post(reverse("fund_budget:reopening-approve", args=[req.pk]), {"next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert SupersededStatement.objects.filter(statement=reopen.s.st_a, approval__approved_by=reopen.deputy).exists()


def test_the_list_shows_open_requests_to_the_other_supervisor(client, reopen):  # noqa: F811
    req = reopen.request()
    client.force_login(reopen.deputy)
    page = client.get(reverse("fund_budget:statements")).content.decode()
    assert 'id="open-reopenings"' in page and REASON in page
    assert reverse("fund_budget:reopening-approve", args=[req.pk]) in page
    response = client.post(reverse("fund_budget:reopening-approve", args=[req.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("fund_budget:statements")  # an outside `next` is not followed
    assert SupersededStatement.objects.filter(approval__request=req).count() == 2
