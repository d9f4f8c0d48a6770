"""The workspace on a phone (390 px wide, Playwright + Debian's chromium): no page is wider than the
screen — wide tables scroll inside their wrapper and the navigation wraps. The queue's screenshot goes to
docs/screenshots/mobile-390.png."""
from __future__ import annotations

import pytest

from .conftest import make_user, settled_today
from .test_browser import SCREENSHOTS, _login, browser  # noqa: F401 - the chromium fixture and sign-in

WIDTH = 390


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("path_of", [
    lambda item: "/ws/",
    lambda item: "/ws/queue/",
    lambda item: f"/ws/items/{item.pk}/",
    lambda item: f"/ws/visits/{item.visit.mdtrt_id}/",
    lambda item: "/ws/users/",
], ids=["dashboard", "queue", "item", "visit", "users"])
def test_no_horizontal_overflow_at_390px(transactional_db, live_server, world, browser, path_of):  # noqa: F811
    item = world.item(settlement=settled_today(world, "P9201"), amount_fen=6000)
    world.item(settlement=settled_today(world, "P9202"), amount_fen=4500, rule="BED-01")
    make_user("jihe_admin", "supervisor", "fund_bureau", "user_admin")
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, locale="zh-CN")
    page = context.new_page()
    _login(page, live_server.url, "jihe_admin")
    path = path_of(item)
    page.goto(f"{live_server.url}{path}")
    assert page.locator("nav.ws-nav").count() == 1
    assert _page_width(page) <= WIDTH, f"{path} is {_page_width(page)} px wide"
    if path == "/ws/queue/":
        # the queue's table is wider than the screen: it scrolls inside its wrapper
        wrapper = page.locator(".table-container").first
        assert wrapper.evaluate("el => el.scrollWidth > el.clientWidth")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "mobile-390.png"), full_page=True)
    context.close()
