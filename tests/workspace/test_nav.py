"""The workspace navigation and the site header show only the links the user's role may open."""
from __future__ import annotations

import pytest
from django.urls import reverse

from .conftest import make_user

DASHBOARD, QUEUE, APPEALS = "/ws/", "/ws/queue/", "/ws/appeals/"
FUND, USERS, ADMIN = "/fund/", "/ws/users/", "/admin/"


def nav_links(html: str) -> set[str]:
    start = html.index('<nav class="ws-nav"') if '<nav class="ws-nav"' in html else html.index("<main")
    nav = html[start:html.index("</nav>", start)] if '<nav class="ws-nav"' in html else ""
    site = html[html.index('<nav class="site-nav"'):html.index("</nav>", html.index('<nav class="site-nav"'))]
    return {href for href in (DASHBOARD, QUEUE, APPEALS, FUND, USERS, ADMIN)
            if f'href="{href}"' in nav or f'href="{href}"' in site}


@pytest.mark.parametrize(("role", "expected"), [
    ("caseworker", {DASHBOARD, QUEUE, APPEALS}),
    ("reviewer", {DASHBOARD, QUEUE, APPEALS}),
    ("appeal_reviewer", {DASHBOARD, QUEUE, APPEALS}),
    ("supervisor", {DASHBOARD, QUEUE, APPEALS, ADMIN}),  # the test world's supervisor is staff
])
def test_bureau_roles_see_their_links_only(world, login, role, expected):
    client = login(getattr(world, role))
    html = client.get(reverse("workspace:dashboard")).content.decode()
    assert nav_links(html) == expected
    assert "基金监测" not in html  # no fund role: no link to a page that would answer 403
    for href in expected:
        assert client.get(href).status_code in (200, 302), href


def test_fund_officer_sees_the_fund_dashboard(world, login):
    officer = make_user("jijin", "caseworker", "fund_bureau")
    html = login(officer).get(reverse("workspace:dashboard")).content.decode()
    assert nav_links(html) == {DASHBOARD, QUEUE, APPEALS, FUND}
    assert "基金监测" in html


def test_user_admin_sees_the_user_pages(world, login):
    admin = make_user("yonghu", "caseworker", "user_admin")
    html = login(admin).get(reverse("workspace:users")).content.decode()
    assert nav_links(html) == {DASHBOARD, QUEUE, APPEALS, USERS}
    assert "用户与角色" in html


def test_superuser_sees_every_link(world, login, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    html = login(root).get(reverse("workspace:dashboard")).content.decode()
    assert nav_links(html) == {DASHBOARD, QUEUE, APPEALS, FUND, USERS, ADMIN}


@pytest.mark.parametrize("who", ["hosp_a", "nobody"])
def test_logins_without_a_bureau_role_see_no_workspace_links(world, login, who):
    html = login(getattr(world, who)).get(reverse("home")).content.decode()
    assert nav_links(html) == set()


def test_anonymous_sees_the_admin_sign_in_only(world, client):
    assert nav_links(client.get(reverse("home")).content.decode()) == {ADMIN}
