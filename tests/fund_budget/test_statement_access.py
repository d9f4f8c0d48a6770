"""Who may open the statement and clearing pages and files: anonymous users are sent to the login page; the
bureau (the fund_bureau group, a review role, a superuser) sees every institution; an institution login sees
its own statements and reports and gets a 404 for another's (pages, XLSX and PDF); a login with no role gets
a 403."""
import io

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse
from openpyxl import load_workbook

from fund_budget.permissions import can_view_clearing, can_view_statement, is_fund_bureau

from .statement_world import statements  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def statement_urls(st) -> list[str]:
    return [reverse(name, args=[st.pk]) for name in (
        "fund_budget:statement", "fund_budget:statement-xlsx", "fund_budget:statement-pdf")]


def clearing_urls(report) -> list[str]:
    return [reverse(name, args=[report.pk]) for name in (
        "fund_budget:clearing", "fund_budget:clearing-xlsx", "fund_budget:clearing-pdf")]


def every_url(w) -> list[str]:
    return [reverse("fund_budget:statements"), reverse("fund_budget:clearings"),
            reverse("fund_budget:statements-month-xlsx", args=["2026-03"]),
            *statement_urls(w.st_a), *clearing_urls(w.report_a)]


def test_anonymous_is_sent_to_login(client, statements):  # noqa: F811
    for url in every_url(statements):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL)) and "next=" in response["Location"]


def test_a_login_without_a_role_is_refused(client, statements):  # noqa: F811
    client.force_login(statements.nobody)
    for url in every_url(statements):
        assert client.get(url).status_code == 403, url


def test_the_bureau_opens_everything(client, admin_user, statements):  # noqa: F811
    for user in (statements.bureau, statements.reviewer, admin_user):
        client.force_login(user)
        for st, report in ((statements.st_a, statements.report_a), (statements.st_b, statements.report_b)):
            for url in statement_urls(st) + clearing_urls(report):
                assert client.get(url).status_code == 200, (user, url)


def test_an_institution_opens_its_own(client, statements):  # noqa: F811
    client.force_login(statements.user_a)
    for url in statement_urls(statements.st_a) + clearing_urls(statements.report_a):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("fund_budget:statement", args=[statements.st_a.pk])).content.decode()
    assert 'class="ws-nav"' in page and reverse("workspace:queue") not in page  # no bureau navigation
    assert reverse("workspace:institution", args=[statements.a.fixmedins_code]) not in page


def test_an_institution_gets_404_for_another(client, statements):  # noqa: F811
    client.force_login(statements.user_a)
    for url in statement_urls(statements.st_b) + clearing_urls(statements.report_b):
        assert client.get(url).status_code == 404, url
    client.force_login(statements.user_b)
    for url in statement_urls(statements.st_a) + clearing_urls(statements.report_a):
        assert client.get(url).status_code == 404, url


def test_an_institution_lists_only_its_own(client, statements):  # noqa: F811
    client.force_login(statements.user_b)
    page = client.get(reverse("fund_budget:statements")).content.decode()
    assert "乙县中医院" in page and "甲市第一人民医院" not in page
    # filtering by another institution's code finds nothing rather than its rows
    other = client.get(reverse("fund_budget:statements"), {"institution": statements.a.fixmedins_code})
    assert "甲市第一人民医院" not in other.content.decode() and other.context["table"].paginator.count == 0
    clearings = client.get(reverse("fund_budget:clearings")).content.decode()
    assert "乙县中医院" in clearings and "甲市第一人民医院" not in clearings
    assert reverse("fund_budget:clearing-year-xlsx", args=[2025]) not in client.get(
        reverse("fund_budget:clearings"), {"year": "2025"}).content.decode()  # the year's workbook: bureau only


def test_an_institutions_month_workbook_holds_its_own_statement(client, statements):  # noqa: F811
    client.force_login(statements.user_a)
    response = client.get(reverse("fund_budget:statements-month-xlsx", args=["2026-03"]))
    assert response.status_code == 200
    summary = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [r[1] for r in summary.iter_rows(min_row=2, values_only=True)] == [statements.a.fixmedins_code]


def test_the_year_workbook_stays_with_the_bureau(client, statements):  # noqa: F811
    client.force_login(statements.user_a)
    assert client.get(reverse("fund_budget:clearing-year-xlsx", args=[2025])).status_code == 403


def test_predicates(statements):  # noqa: F811
    w = statements
    assert is_fund_bureau.test(w.bureau) and is_fund_bureau.test(w.reviewer)
    assert not is_fund_bureau.test(w.user_a) and not is_fund_bureau.test(w.nobody)
    assert can_view_statement.test(w.user_a, w.st_a) and not can_view_statement.test(w.user_a, w.st_b)
    assert can_view_clearing.test(w.user_b, w.report_b) and not can_view_clearing.test(w.user_b, w.report_a)
    assert w.user_a.has_perm("fund_budget.view_statement", w.st_a)
    assert not w.user_a.has_perm("fund_budget.view_statement", w.st_b)
    assert w.bureau.has_perm("fund_budget.view_clearing", w.report_a)
    assert not w.nobody.has_perm("fund_budget.list_statements")
