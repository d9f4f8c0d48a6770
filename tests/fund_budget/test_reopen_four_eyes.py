"""Four eyes: the supervisor who requested a reopening may not approve it, superusers included; another
supervisor may. The page answers 403 with the reason."""
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from fund_budget.models import MonthReopeningApproval, SupersededStatement
from fund_budget.permissions import can_approve_reopening
from fund_budget.reopening import approve_reopening, request_reopening

from .reopen_world import reopen, statements  # noqa: F401 - the fixtures

pytestmark = pytest.mark.django_db


def test_the_requester_may_not_approve(reopen):  # noqa: F811
    req = reopen.request()
    assert not can_approve_reopening.test(reopen.chief, req)
    with translation.override("en"), pytest.raises(PermissionDenied, match="Four eyes"):
        approve_reopening(req, reopen.chief)
    assert not MonthReopeningApproval.objects.exists()


def test_a_superuser_requester_may_not_approve_either(reopen):  # noqa: F811
    req = request_reopening(reopen.run, "超级用户申请", reopen.root)
    assert reopen.root.has_perm("fund_budget.approve_reopening", req)  # has_perm lets a superuser pass ...
    with pytest.raises(PermissionDenied):  # ... the service asks the predicate, which does not
        approve_reopening(req, reopen.root)
    assert approve_reopening(req, reopen.chief).approved_by == reopen.chief


def test_the_page_answers_403_to_the_requester(client, reopen):  # noqa: F811
    req = reopen.request()
    client.force_login(reopen.chief)
    response = client.post(reverse("fund_budget:reopening-approve", args=[req.pk]))
    assert response.status_code == 403
    assert "另一位" in response.content.decode()  # the 403 page gives the reason (zh-hans)
    assert not SupersededStatement.objects.exists()
