"""Only supervisors request and approve reopenings: a caseworker of the fund bureau, a reviewer and an
institution get a 403 (and no form); the services refuse them too."""
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from fund_budget.models import MonthReopeningRequest, SupersededStatement
from fund_budget.reopening import approve_reopening, request_reopening

from .reopen_world import REASON, reopen, statements  # noqa: F401 - the fixtures

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["bureau", "reviewer", "user_a"])
def test_a_non_supervisor_gets_403_requesting(client, reopen, who):  # noqa: F811
    user = getattr(reopen.s, who)
    client.force_login(user)
    page = client.get(reverse("fund_budget:statement", args=[reopen.s.st_a.pk])).content.decode()
    assert "申请重开本月" not in page
    response = client.post(reverse("fund_budget:statement-reopen", args=[reopen.s.st_a.pk]), {"reason": REASON})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        request_reopening(reopen.run, REASON, user)
    assert not MonthReopeningRequest.objects.exists()


@pytest.mark.parametrize("who", ["bureau", "reviewer", "user_a", "nobody"])
def test_a_non_supervisor_gets_403_approving(client, reopen, who):  # noqa: F811
    req = reopen.request()
    user = getattr(reopen.s, who)
    client.force_login(user)
    assert client.post(reverse("fund_budget:reopening-approve", args=[req.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        approve_reopening(req, user)
    assert not SupersededStatement.objects.exists()


def test_an_anonymous_user_is_sent_to_the_login_page(client, reopen):  # noqa: F811
    req = reopen.request()
    response = client.post(reverse("fund_budget:reopening-approve", args=[req.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]
