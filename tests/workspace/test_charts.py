"""The institution page's charts: ECharts and its starter served from static, the data passed with json_script
(money as numbers of yuan to the fen, labels in Chinese)."""
from __future__ import annotations

import json
import re

from django.urls import reverse

from .conftest import settled_today


def chart_data(page: str, element_id: str) -> dict:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)
    assert match, f"no json_script {element_id}"
    return json.loads(match.group(1))


def test_the_institution_page_charts_its_months_and_rule_hits(world, login):
    settlement = world.settled_visit()  # 2026-03-10: fund 1,344.00 of 2,480.00
    world.record(settlement, {"rule_code": "DUP-01", "amount_fen": 5000})
    r = login(world.caseworker).get(reverse("workspace:institution", args=[world.inst_a.fixmedins_code]),
                                     {"year": 2026})
    page = r.content.decode()
    assert '<script src="/static/vendor/echarts/echarts.min.js" defer></script>' in page
    assert '<script src="/static/js/charts.js" defer></script>' in page
    assert 'data-chart="inst-months-data"' in page and 'data-chart="inst-hits-data"' in page

    months = chart_data(page, "inst-months-data")
    assert months["categories"][2] == "3月" and months["x_name"] == "月份" and months["y_name"] == "金额（元）"
    medfee, fund = months["series"]
    assert (medfee["name"], fund["name"]) == ("医疗费总额", "基金支付合计")
    assert medfee["data"][2] == 2480.0 and fund["data"][2] == 1344.0
    assert fund["data"][:2] == [0.0, 0.0] and sum(fund["data"]) == 1344.0

    hits = chart_data(page, "inst-hits-data")
    assert hits["money"] is False and hits["categories"] == ["DUP-01 同日重复收费"]
    assert hits["series"][0]["data"] == [1]


def test_a_year_without_data_charts_zeros(world, login):
    settled_today(world, "P9001")
    page = login(world.caseworker).get(reverse("workspace:institution", args=[world.inst_a.fixmedins_code]),
                                       {"year": 2020}).content.decode()
    assert chart_data(page, "inst-months-data")["series"][1]["data"] == [0.0] * 12
    assert chart_data(page, "inst-hits-data")["categories"] == []
