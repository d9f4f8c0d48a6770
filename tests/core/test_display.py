"""core.display: the one place figures are formatted (money, counts, percentages), its template filters and
its table columns, the same in every locale."""
from __future__ import annotations

from decimal import Decimal

import django_tables2 as tables
import numpy as np
import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from core.display import MoneyColumn, count_text, money_text, percent_text
from policy_rules.engine.audit.evidence import fmt_fen, fmt_price

D = Decimal


@pytest.mark.parametrize(("value", "text"), [
    (D("17146.15"), "17,146.15"), (D("0.005"), "0.01"), (D("-1234.5"), "-1,234.50"), (0, "0.00"),
    (1234567, "1,234,567.00"), ("999.994", "999.99"), (None, ""), ("", ""), ("n/a", "n/a"),
])
def test_money_text(value, text):
    assert money_text(value) == text


def test_count_and_percent_text():
    assert count_text(D("1.00")) == "1" and count_text(12345) == "12,345" and count_text(None) == ""
    assert percent_text(D("12.34")) == "12.3%" and percent_text(D("0.05"), ratio=True) == "5.0%"
    assert percent_text(D("100")) == "100.0%" and percent_text(None) == ""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_filters_are_the_same_in_every_locale(language):
    template = Template('{% load money %}{{ a|money }} {{ n|count }} {{ r|percent }} {{ s|percent:"ratio" }}')
    with translation.override(language):
        text = template.render(Context({"a": D("17146.155"), "n": D("3.00"), "r": D("13.6"), "s": D("0.1")}))
    assert text == "17,146.16 3 13.6% 10.0%"


def test_money_column_renders_amounts_and_a_dash_when_empty():
    class Table(tables.Table):
        amount = MoneyColumn()

    table = Table([{"amount": D("12345.6")}, {"amount": None}])
    table.context = Context({"request": RequestFactory().get("/")})
    html = table.as_html(RequestFactory().get("/"))
    assert "12,345.60" in html and "—" in html and 'class="num"' in html


def test_evidence_amounts_have_thousands_separators():
    """The audit's evidence sentences show amounts as the pages do (both the short and the numpy path)."""
    assert fmt_fen([123456789, -100000, 99999, 0]).tolist() == ["1,234,567.89", "-1,000.00", "999.99", "0.00"]
    many = np.arange(300, dtype=np.int64) * 1000
    assert fmt_fen(many)[-1] == "2,990.00" and fmt_fen(many)[1] == "10.00"
    assert fmt_price([12329400, 94302]).tolist() == ["1,232.94", "9.4302"]


def test_role_filter_names_a_bureau_role_by_its_label():
    template = Template("{% load labels %}{{ a|role }} · {{ b|role }} · {{ c|role }} · {{ d|role }}")
    with translation.override("zh-hans"):
        # a group the platform does not know keeps its own name
        assert (template.render(Context({"a": "supervisor", "b": "fund_bureau", "c": None, "d": "night_shift"}))
                == "稽核主管 · 基金经办 ·  · night_shift")
    with translation.override("en"):
        assert (template.render(Context({"a": "appeal_reviewer", "b": "", "c": "", "d": ""}))
                == "Appeal reviewer ·  ·  · ")
