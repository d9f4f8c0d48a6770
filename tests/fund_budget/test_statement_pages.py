"""The statement pages (/fund/statements/): the list with its month and institution filters, the detail with
the formula line by line in words and money with two decimals, and the links to them from the fund dashboard
and the institution page."""
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from fund_budget.selectors import statement_formula
from tests.factories import MonthlyStatementFactory

from .statement_world import statements  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
D = Decimal


def test_statement_figures_follow_the_spec(statements):  # noqa: F811
    """The world's statement A: 8,497.95 + 1,200.00 + 1,502.05 of fund payments, 5% withheld, 300 deducted."""
    st = statements.st_a
    assert (st.fund_amount, st.withheld, st.deductions, st.payable) == (
        D("11200.00"), D("560.00"), D("300.00"), D("10340.00"))
    with translation.override("zh-hans"):  # another test's English request may have left English active
        lines = {line.key: line for line in statement_formula(st)}
    assert [k for k in lines][:3] == ["ffs_fund_amount", "standard_gain_loss", "fund_amount"]
    assert lines["withheld"].formula == "基金应付 × 5%" and lines["withheld"].amount == D("560.00")
    assert lines["payable"].formula == "基金应付 − 质量保证金 − 审核扣款净额" and lines["payable"].total
    assert "capitation_amount" not in lines  # no capitation this month: no line for it
    assert lines["net_payable"].amount == st.net_payable == D("10340.00")


def test_list_shows_every_statement_to_the_bureau(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    response = client.get(reverse("fund_budget:statements"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "甲市第一人民医院" in page and "乙县中医院" in page
    assert "654,321.00" in page and "11,200.00" in page  # money with thousands separators, two decimals
    assert reverse("fund_budget:statement", args=[statements.st_a.pk]) in page
    assert 'class="ws-nav"' in page  # the workspace layout (its links follow the role: templates/workspace/_nav.html)


def test_list_filters_by_month_and_institution(client, statements):  # noqa: F811
    client.force_login(statements.reviewer)
    url = reverse("fund_budget:statements")
    page = client.get(url, {"month": "2026-03", "institution": statements.b.fixmedins_code}).content.decode()
    assert "乙县中医院" in page and "甲市第一人民医院" not in page
    assert reverse("fund_budget:statements-month-xlsx", args=["2026-03"]) in page
    by_name = client.get(url, {"institution": "第一人民"}).content.decode()
    assert "甲市第一人民医院" in by_name and "乙县中医院" not in by_name


def test_an_unknown_month_is_a_400_naming_the_field(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    response = client.get(reverse("fund_budget:statements"), {"month": "2026-13"})
    assert response.status_code == 400
    form = response.context["filter"].form
    assert "month" in form.errors
    assert client.get(reverse("fund_budget:statements"), {"month": "2026/03"}).status_code == 400  # no link to it


def test_detail_explains_the_formula_in_words(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    st = statements.st_a
    response = client.get(reverse("fund_budget:statement", args=[st.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for words in ("按项目基金支付", "按标准付费盈亏", "基金应付", "质量保证金", "本月确认扣款", "审核扣款净额",
                  "本月应付", "实际应拨付", "基金应付 × 5%"):
        assert words in page, words
    for amount in ("11,200.00", "560.00", "300.00", "10,340.00"):
        assert amount in page, amount
    assert "职工基本医疗保险统筹基金" in page and "大额医疗费用补助基金" in page  # funds by label, not their codes
    assert ">310100<" not in page and ">ffs<" not in page
    assert "<td>按项目</td>" in page  # the payment method by its label
    assert "待拨付/待收回" in page  # the payment's state by its label
    assert reverse("fund_budget:statement-pdf", args=[st.pk]) in page
    assert reverse("fund_budget:statement-xlsx", args=[st.pk]) in page


def test_detail_of_a_missing_statement_is_404(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    assert client.get(reverse("fund_budget:statement", args=[999999])).status_code == 404


def test_dashboard_and_institution_page_link_to_the_statements(client, statements):  # noqa: F811
    client.force_login(statements.reviewer)
    inst = client.get(reverse("workspace:institution", args=[statements.a.fixmedins_code])).content.decode()
    assert f'{reverse("fund_budget:statements")}?institution={statements.a.fixmedins_code}' in inst
    assert f'{reverse("fund_budget:clearings")}?institution={statements.a.fixmedins_code}' in inst
    client.force_login(statements.bureau)
    dashboard = client.get(reverse("fund_budget:dashboard")).content.decode()
    assert reverse("fund_budget:statements") in dashboard and reverse("fund_budget:clearings") in dashboard


def test_pages_in_english(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    page = client.get(reverse("fund_budget:statement", args=[statements.st_a.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page and "Calculation" in page and "By fund" in page


def test_formula_with_capitation_and_an_earlier_debt(db):
    """A capitation month: its own line, added in the payable's formula; an earlier negative payment offset."""
    st = MonthlyStatementFactory(capitation_amount=D("12500.00"), payable=D("13450.00"), offset_amount=D("-100.00"),
                                 net_payable=D("13350.00"))
    with translation.override("zh-hans"):
        lines = {line.key: line for line in statement_formula(st)}
    assert lines["capitation_amount"].amount == D("12500.00")
    assert lines["payable"].formula.endswith("+ 按人头包干费用")
    assert lines["offset_amount"].amount == D("-100.00") and lines["net_payable"].amount == D("13350.00")
