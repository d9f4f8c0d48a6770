"""The 403, 404 and 500 pages: in Chinese (English on request), in the site's layout, with DEBUG off; the
fund dashboard refused to a reviewer shows the site's 403 page, not Django's bare "403 Forbidden"."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

SITE = "医保结算审核平台"


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


def test_reviewer_opening_the_fund_dashboard_gets_the_chinese_403(world, login):
    response = login(world.reviewer).get(reverse("fund_budget:dashboard"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "无权访问" in html and SITE in html and 'class="site-header"' in html
    assert "403 Forbidden" not in html and "<h1>403 Forbidden</h1>" not in html
    assert "返回工作台" in html


def test_workspace_403_says_why(world, login):
    html = login(world.nobody).get(reverse("workspace:queue")).content.decode()
    assert "无权访问" in html and "只有医保局工作人员可以使用经办工作台。" in html


def test_403_in_english_on_request(world, login):
    response = login(world.reviewer).get(reverse("fund_budget:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Access denied" in html and "无权访问" not in html


def test_404_is_chinese_in_the_layout(world, login):
    client = login(world.caseworker)
    for url in ("/no-such-page/", reverse("workspace:person", args=["NOBODY"])):
        response = client.get(url)
        assert response.status_code == 404
        html = response.content.decode()
        assert "页面不存在" in html and SITE in html and 'class="site-header"' in html
        assert "Not Found" not in html


@pytest.mark.urls("tests.workspace.boom_urls")
def test_500_is_chinese_in_the_layout_without_the_database(db):
    client = Client(raise_request_exception=False)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器错误" in html and SITE in html and 'class="site-header"' in html
    assert "a bug" not in html and "Traceback" not in html
    assert len(queries) == 0  # static-safe: no context processors, no database


@pytest.mark.urls("tests.workspace.boom_urls")
def test_500_in_english_on_request(db):
    response = Client(raise_request_exception=False).get("/boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    assert "Server error" in response.content.decode()
