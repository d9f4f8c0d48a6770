"""The clearing pages (/fund/clearings/): the list per year with its filters, and a report's detail with the
spec's formula lines in words (I, A, W, surplus or overspend, retained or shared, due, returned, final)."""
import pytest
from django.urls import reverse

from .statement_world import statements  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_list_per_year(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    url = reverse("fund_budget:clearings")
    response = client.get(url, {"year": "2025"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "甲市第一人民医院" in page and "乙县中医院" in page
    assert "927,500.00" in page and "-510,000.00" in page
    assert "结余" in page and "超支" in page and "草稿" in page  # side and state by their labels
    assert reverse("fund_budget:clearing-year-xlsx", args=[2025]) in page
    assert reverse("fund_budget:clearing", args=[statements.report_a.pk]) in page


def test_list_filters(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    url = reverse("fund_budget:clearings")
    over = client.get(url, {"side": "over"}).content.decode()
    assert "乙县中医院" in over and "甲市第一人民医院" not in over
    by_code = client.get(url, {"institution": statements.a.fixmedins_code}).content.decode()
    assert "甲市第一人民医院" in by_code and "乙县中医院" not in by_code
    bad = client.get(url, {"year": "1999"})
    assert bad.status_code == 400 and "year" in bad.context["filter"].form.errors
    assert client.get(url, {"year": "20x5"}).status_code == 400


def test_detail_shows_the_formula_lines(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    response = client.get(reverse("fund_budget:clearing", args=[statements.report_a.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for words in ("年度控制指标 I", "实际发生 A", "质量保证金 W", "结余 S", "留用上限", "结余留用", "应付总额",
                  "返还保证金", "清算额", "下年指标基数", "W × s / 100"):
        assert words in page, words
    for amount in ("10,000,000.00", "9,000,000.00", "500,000.00", "427,500.00", "927,500.00", "10,300,000.00"):
        assert amount in page, amount
    assert "基本医疗保险统筹基金" in page and "AA" in page
    assert reverse("fund_budget:clearing-pdf", args=[statements.report_a.pk]) in page
    assert reverse("fund_budget:clearing-xlsx", args=[statements.report_a.pk]) in page


def test_detail_of_an_overspending_report(client, statements):  # noqa: F811
    client.force_login(statements.reviewer)
    page = client.get(reverse("fund_budget:clearing", args=[statements.report_b.pk])).content.decode()
    for words in ("超支 O", "合理超支上限", "超支分担"):
        assert words in page, words
    assert "250,000.00" in page and "-510,000.00" in page
