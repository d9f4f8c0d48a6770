"""A month with a statement paid (or offset) cannot be reopened: the request is refused with a message naming
the month and the paid statements, and so is an approval when a payment was made after the request (checked
again under the month lock). A year whose clearing is approved is closed too."""
import pytest
from django.urls import reverse

from fund_budget.common import FundError
from fund_budget.models import (
    ClearingStatus,
    Disbursement,
    DisbursementStatus,
    MonthlyStatement,
    MonthReopeningApproval,
    SupersededStatement,
)
from fund_budget.monthly import pay_disbursements
from fund_budget.reopening import approve_reopening
from tests.factories import ClearingReportFactory

from .reopen_world import reopen, statements  # noqa: F401 - the fixtures

pytestmark = pytest.mark.django_db


def _pay(st, user):
    assert pay_disbursements([Disbursement.objects.get(statement=st)], user=user) == 1


def test_a_paid_month_is_refused_naming_the_month_and_the_paid_statements(reopen):  # noqa: F811
    _pay(reopen.s.st_a, reopen.deputy)
    with pytest.raises(FundError) as exc:
        reopen.request()
    message = str(exc.value)
    assert message.startswith("2026-03 已有结算单拨付或抵扣，不能重开")
    assert f"{reopen.s.a.fixmedins_code} 甲市第一人民医院 (已拨付)" in message
    assert reopen.s.b.fixmedins_code not in message  # B's payment is still pending: not named


def test_an_approval_after_a_payment_is_refused_and_changes_nothing(reopen):  # noqa: F811
    req = reopen.request()
    _pay(reopen.s.st_b, reopen.deputy)
    with pytest.raises(FundError, match="乙县中医院"):
        approve_reopening(req, reopen.deputy)
    assert not MonthReopeningApproval.objects.exists() and not SupersededStatement.objects.exists()
    assert Disbursement.objects.get(statement=reopen.s.st_a).status == DisbursementStatus.PENDING
    assert MonthlyStatement.objects.current().count() == 2


def test_an_approved_clearing_of_the_year_closes_its_months(reopen):  # noqa: F811
    ClearingReportFactory(year=2026, index__year=2026, status=ClearingStatus.APPROVED,
                          approved_at=reopen.run.cutoff)
    with pytest.raises(FundError, match="2026 年的年终清算已审批"):
        reopen.request()


def test_the_page_says_why_instead_of_offering_the_form(client, reopen):  # noqa: F811
    _pay(reopen.s.st_a, reopen.deputy)
    client.force_login(reopen.chief)
    page = client.get(reverse("fund_budget:statement", args=[reopen.s.st_b.pk])).content.decode()
    assert "已有结算单拨付或抵扣" in page
    assert reverse("fund_budget:statement-reopen", args=[reopen.s.st_b.pk]) not in page
