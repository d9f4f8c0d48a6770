"""The monitoring page (login required, charts on the page), its figures and warnings, and the admin."""
import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.shortcuts import resolve_url
from django.urls import reverse

from fund_budget import monitoring
from fund_budget.models import (
    ClearingStatus,
    Disbursement,
    DisbursementStatus,
    Fund,
    FundBudget,
    IndexStatus,
    InstitutionIndex,
    PaymentMethod,
    PaymentStandard,
)
from tests.factories import FUND_FACTORIES, FUND_READ_ONLY

from .conftest import local, make_institution, make_settlement, settle, worked_parameters

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def caseworker(db):
    user = User.objects.create_user("caseworker", password="x")
    user.groups.add(Group.objects.get(name="fund_bureau"))
    return user


def test_dashboard_requires_login(client):
    response = client.get("/fund/")
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL)) and "next=/fund/" in response["Location"]


def test_dashboard_renders_for_a_caseworker(client, caseworker):
    client.force_login(caseworker)
    response = client.get("/fund/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "基金运行监测" in page
    # the chart: ECharts and its starter from static (never a CDN), its data in a json_script
    assert '<script src="/static/vendor/echarts/echarts.min.js" defer></script>' in page
    assert '<script src="/static/js/charts.js" defer></script>' in page
    assert 'data-chart="fund-chart-310100"' in page
    assert '<script id="fund-chart-310100" type="application/json">' in page
    assert "<svg" not in page and "cdn" not in page.lower()


def test_dashboard_refuses_a_login_without_the_permission(client):
    client.force_login(User.objects.create_user("nobody", password="x"))
    assert client.get("/fund/").status_code == 403


def test_monitoring_figures_and_warnings(client, caseworker, person, policy):
    worked_parameters(2026, warning_excess=D("0.10"))
    FundBudget.objects.create(year=2026, region="410800", fund=Fund.EMPLOYEE_POOL, amount=D("1200000"))
    fast, slow = make_institution(50), make_institution(51)
    InstitutionIndex.objects.create(year=2026, institution=fast, agreed_amount=D("600000"), status=IndexStatus.AGREED)
    InstitutionIndex.objects.create(year=2026, institution=slow, agreed_amount=D("600000"), status=IndexStatus.AGREED)
    for month in (1, 2, 3):
        make_settlement(fast, local(2026, month, 10), person=person, policy=policy, hifp="120000")
        make_settlement(slow, local(2026, month, 10), person=person, policy=policy, hifp="20000", hifob="5")
    # 31 March: a quarter of the year gone (90/365); spending 420,000 against a pace of 295,890.41
    data = monitoring.dashboard(2026, Fund.EMPLOYEE_POOL, "410800", today=dt.date(2026, 3, 31))
    assert data["ytd"] == D("420000.00") and data["pace_to_date"] == D("295890.41")
    assert data["projection"] == D("1703333.33")  # 420,000 / (90/365)
    assert data["months_left"] == D("5.5")  # (1,200,000 − 420,000) / (420,000 / 2.959 months)
    assert data["warnings"] and data["warnings"][0]["excess"] == D("41.9")
    assert [w["code"] for w in data["institution_warnings"]] == [fast.fixmedins_code]
    assert data["table"][2]["cumulative"] == D("420000.00") and data["table"][3]["cumulative"] is None

    page_data = monitoring.overview(2026, "410800", today=dt.date(2026, 3, 31))
    assert [p["fund"] for p in page_data["panels"]] == [Fund.EMPLOYEE_POOL, Fund.LARGE_AMOUNT]
    assert [row["funds"] for row in page_data["table"][:3]] == [[D("140000.00"), D("5.00")]] * 3

    # the page uses today's date: give the fast institution an index it is well above at any date
    InstitutionIndex.objects.filter(institution=fast).update(agreed_amount=D("100000"))
    client.force_login(caseworker)
    page = client.get("/fund/", {"year": 2026, "fund": "310100", "region": "410800"}).content.decode()
    assert fast.fixmedins_code in page and "预警" in page
    assert client.get("/fund/", {"fund": "nope"}).status_code == 404


@pytest.mark.parametrize("label", sorted(FUND_FACTORIES))
def test_admin_pages_render(admin_client, label):
    obj = FUND_FACTORIES[label]()
    app, model = label.split(".")
    changelist = admin_client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert changelist.status_code == 200
    assert admin_client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk])).status_code == 200
    assert admin_client.get(reverse(f"admin:{app}_{model}_changelist"), {"q": "zzz"}).status_code == 200
    if label in FUND_READ_ONLY:
        assert admin_client.get(reverse(f"admin:{app}_{model}_add")).status_code == 403
        page = admin_client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk])).content.decode()
        assert 'name="_save"' not in page


def test_every_fund_model_has_an_admin_and_a_factory():
    registered = {m._meta.label_lower for m in admin.site._registry if m._meta.app_label == "fund_budget"}
    assert registered == set(FUND_FACTORIES)


def test_admin_approve_and_mark_paid_actions(admin_client, admin_user):
    report = FUND_FACTORIES["fund_budget.clearingreport"]()
    worked_parameters(2025)
    response = admin_client.post(reverse("admin:fund_budget_clearingreport_changelist"),
                                 {"action": "approve", "_selected_action": [report.pk]})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ClearingStatus.APPROVED and report.approved_by == admin_user
    payment = Disbursement.objects.get(clearing_report=report)
    assert payment.amount == D("927500.00")
    admin_client.post(reverse("admin:fund_budget_disbursement_changelist"),
                      {"action": "mark_paid", "_selected_action": [payment.pk]})
    payment.refresh_from_db()
    assert payment.status == DisbursementStatus.PAID and payment.paid_by == admin_user
    page = admin_client.get(reverse("admin:fund_budget_clearingreport_change", args=[report.pk])).content.decode()
    assert 'name="_save"' not in page


def test_monitoring_uses_statements_for_stated_months_and_settlements_after(person, policy):
    worked_parameters(2026)
    h = make_institution(52, level=2)
    PaymentStandard.objects.create(year=2026, med_type="21", method=PaymentMethod.PER_DISEASE, disease_code="K35.800",
                                   standard=D("5000"))
    # January: fee for service 4500, paid at the standard 5000 − 1000 = 4000 on the statement
    make_settlement(h, local(2026, 1, 10), person=person, policy=policy, hifp="4500", psn_part="1000",
                    diagnoses=["K35.800"])
    make_settlement(h, local(2026, 2, 10), person=person, policy=policy, hifp="100")
    settle("2026-01")
    settle("2026-02")
    make_settlement(h, local(2026, 3, 10), person=person, policy=policy, hifp="70")  # live
    make_settlement(h, local(2026, 2, 20), person=person, policy=policy, hifp="30",
                    created_at=local(2026, 3, 20))  # recorded after February's run: live, in February
    frame = monitoring.spending_frame(2026, None).set_index("month")
    assert frame.loc[1, "310100"] == D("4000.00") and frame.loc[2, "310100"] == D("130.00")
    assert frame.loc[3, "310100"] == D("70.00")


def chart_data(page: str, element_id: str) -> dict:
    """The spec a page passes to charts.js in <script id=element_id type=application/json> (json_script)."""
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)
    assert match, f"no json_script {element_id}"
    return json.loads(match.group(1))


def test_the_chart_data_is_the_months_in_yuan_numbers(client, caseworker, person, policy):
    worked_parameters(2026, warning_excess=D("0.10"))
    FundBudget.objects.create(year=2026, region="410800", fund=Fund.EMPLOYEE_POOL, amount=D("1200000"))
    inst = make_institution(50)
    for month in (1, 2, 3):
        make_settlement(inst, local(2026, month, 10), person=person, policy=policy, hifp="140000.01")
    spec = monitoring.dashboard(2026, Fund.EMPLOYEE_POOL, "410800", today=dt.date(2026, 3, 31))["chart"]
    assert spec["kind"] == "line" and spec["money"] is True
    assert spec["categories"] == [f"{m}月" for m in range(1, 13)] and spec["x_name"] == "月份"
    assert spec["y_name"] == "金额（元）"
    pace, actual, projection = spec["series"]
    assert (pace["name"], actual["name"], projection["name"]) == ("预算进度(预算/12 累计)", "实际累计支出", "线性预测至年末")
    assert pace["data"] == [100000.0 * k for k in range(1, 13)]
    assert actual["data"] == [140000.01, 280000.02, 420000.03] + [None] * 9  # to the fen, as numbers
    # the line through the spending to date: 420,000.03 / (90/365) a year, from the current month on
    assert projection["data"][:2] == [None, None] and projection["style"] == "dashed"
    assert projection["data"][11] == 1703333.46 and projection["data"][2] == 425833.37

    client.force_login(caseworker)
    page = client.get("/fund/", {"year": 2026, "fund": "310100", "region": "410800"}).content.decode()
    assert chart_data(page, "fund-chart-310100")["series"][1]["data"][:3] == [140000.01, 280000.02, 420000.03]
