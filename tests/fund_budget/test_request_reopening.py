"""request_reopening: a supervisor asks to reopen the latest month, giving a reason; one open request per run;
the statement page's form does the same (400 naming the field or the refusal)."""
import pytest
from django.db import IntegrityError
from django.urls import reverse

from fund_budget.common import FundError
from fund_budget.models import MonthReopeningRequest

from .conftest import settle
from .reopen_world import REASON, reopen, statements  # noqa: F401 - the fixtures

pytestmark = pytest.mark.django_db


def test_a_supervisor_requests_with_a_reason(reopen):  # noqa: F811
    req = reopen.request("  漏结一笔住院结算  ")
    assert (req.run, req.requested_by, req.reason) == (reopen.run, reopen.chief, "漏结一笔住院结算")
    assert req.requested_at is not None
    assert not hasattr(req, "approval")  # open: nothing superseded yet
    assert reopen.run.statements.current().count() == 2


def test_a_blank_reason_is_refused(reopen):  # noqa: F811
    with pytest.raises(FundError, match="重开原因"):
        reopen.request("   ")
    assert not MonthReopeningRequest.objects.exists()


def test_the_database_refuses_a_blank_reason_too(reopen):  # noqa: F811
    with pytest.raises(IntegrityError):
        MonthReopeningRequest.objects.create(run=reopen.run, reason=" \n ", requested_by=reopen.chief)


def test_a_second_open_request_for_the_run_is_refused(reopen):  # noqa: F811
    reopen.request()
    with pytest.raises(FundError, match="2026-03 已有待审批的重开申请") as exc:
        reopen.request("另一个原因", user=reopen.deputy)
    assert "chief" in str(exc.value) and REASON in str(exc.value)
    assert MonthReopeningRequest.objects.count() == 1


def test_only_the_latest_month_may_be_reopened(reopen):  # noqa: F811
    settle("2026-04")
    with pytest.raises(FundError, match="已结算更晚的月份 2026-04，2026-03 不能重开"):
        reopen.request()


def test_the_page_shows_the_form_to_a_supervisor_and_posts_the_request(client, reopen):  # noqa: F811
    client.force_login(reopen.chief)
    url = reverse("fund_budget:statement", args=[reopen.s.st_a.pk])
    page = client.get(url).content.decode()
    assert "申请重开本月" in page and reverse("fund_budget:statement-reopen", args=[reopen.s.st_a.pk]) in page
    response = client.post(reverse("fund_budget:statement-reopen", args=[reopen.s.st_a.pk]), {"reason": REASON})
    assert response.status_code == 302 and response["Location"] == url
    req = MonthReopeningRequest.objects.get()
    assert (req.run, req.requested_by, req.reason) == (reopen.run, reopen.chief, REASON)
    page = client.get(url).content.decode()
    assert 'id="reopening-request"' in page and REASON in page
    assert "批准重开" not in page  # the requester is offered no approval (four eyes)


def test_the_page_answers_400_naming_the_reason_field(client, reopen):  # noqa: F811
    client.force_login(reopen.chief)
    response = client.post(reverse("fund_budget:statement-reopen", args=[reopen.s.st_a.pk]), {"reason": " "})
    assert response.status_code == 400
    assert "reason" in response.context["reopen_form"].errors
    assert not MonthReopeningRequest.objects.exists()


def test_the_page_answers_400_with_the_refusal(client, reopen):  # noqa: F811
    reopen.request()
    client.force_login(reopen.deputy)
    response = client.post(reverse("fund_budget:statement-reopen", args=[reopen.s.st_b.pk]), {"reason": "再次申请"})
    assert response.status_code == 400
    assert "已有待审批的重开申请" in response.context["reopen_error"]
