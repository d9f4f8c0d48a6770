"""The workspace in a real browser (Playwright + Debian's chromium) against pytest-django's live server:
a reviewer confirms an item from the queue, then an appeal reviewer decides the institution's appeal;
a reviewer dismisses three items at once and confirms one with the keyboard (issue 16).
Screenshots of the dashboard, the queue, an item page and the bulk verbs go to docs/screenshots/."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from review import services as review
from review.models import AppealState, SuspectState

from .conftest import PASSWORD, settled_today

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

# Playwright's sync API runs an event loop in this thread; the ORM calls made here are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium with "
                    "`apt-get update && apt-get install -y chromium` (the browser tests need it).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: `.venv/bin/pip install -e '.[dev]'` (or pip install playwright).")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()
            # ORM calls made while Playwright's loop runs get their own connection (asgiref's Local is
            # context-bound): close it here, or the test database cannot be dropped at the end.
            from django.db import connections

            connections.close_all()


def _login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/ws/")


def test_confirm_then_decide_appeal_in_the_browser(transactional_db, live_server, world, browser):
    base = live_server.url
    item = world.item(settlement=settled_today(world, "P9101"), amount_fen=6000)
    other = world.item(settlement=settled_today(world, "P9102"), amount_fen=4500, rule="BED-01")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base, world.reviewer.username)
    assert page.locator("h1").first.inner_text().startswith("工作台")
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    page.click("nav.ws-nav >> text=审核队列")
    page.wait_for_url(f"{base}/ws/queue/")
    assert page.locator(f'a[href="/ws/items/{item.pk}/?state=pending"]').count() == 1
    page.screenshot(path=str(SCREENSHOTS / "queue.png"), full_page=True)

    page.click(f'a[href="/ws/items/{item.pk}/?state=pending"]')
    page.wait_for_url(f"{base}/ws/items/{item.pk}/?state=pending")
    page.screenshot(path=str(SCREENSHOTS / "item.png"), full_page=True)
    page.fill("#id_amount", "40.00")
    page.fill("form[action*='/confirm/'] textarea[name=reason]", "同日重复收取血常规，属实")
    page.click("button[name=confirm]")
    page.wait_for_url(f"{base}/ws/items/{other.pk}/?state=pending")  # on to the next open item of the queue
    assert f"#{item.pk}" in page.inner_text("ul.messages")
    page.goto(f"{base}/ws/items/{item.pk}/")
    page.wait_for_selector("#deduction")
    assert "40.00" in page.inner_text("#confirmed-amount")
    trail = page.inner_text("table.trail")
    assert "确认扣款" in trail and "同日重复收取血常规，属实" in trail
    item.refresh_from_db()
    assert item.state == SuspectState.CONFIRMED and item.deduction is not None
    context.close()

    appeal = review.file_appeal(item, user=world.hosp_a, explanation="第二次血常规为复查，有医嘱")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base, world.appeal_reviewer.username)
    page.click("nav.ws-nav >> text=申诉")
    page.wait_for_url(f"{base}/ws/appeals/")
    page.click(f'a[href="/ws/appeals/{appeal.pk}/"]')
    page.check("input[name=decision][value=reversed]")
    page.fill("textarea[name=reason]", "复查有医嘱，撤销扣款")
    page.click("text=提交复核")
    page.wait_for_selector("text=申诉已复核。")
    assert "撤销扣款" in page.inner_text("h1")
    assert "复查有医嘱，撤销扣款" in page.inner_text("table.trail")
    context.close()
    appeal.refresh_from_db()
    assert appeal.state == AppealState.REVERSED


def test_bulk_dismiss_three_and_confirm_one_from_the_queue(transactional_db, live_server, world, browser):
    base = live_server.url
    items = [world.item(settlement=settled_today(world, f"P92{n:02d}"), amount_fen=1000 * (n + 1))
             for n in range(5)]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base, world.reviewer.username)
    page.goto(f"{base}/ws/queue/")

    # select all on the page, then uncheck two: three items are dismissed with one reason
    page.check("#select-all")
    assert page.locator("input.select-item:checked").count() == 5
    for item in items[3:]:
        page.uncheck(f"input.select-item[value='{item.pk}']")
    assert page.inner_text("#selected-count").startswith("3")
    page.fill("#bulk-reason", "复查有医嘱，批量排除")
    page.click("button[name=action][value=dismiss]")
    page.wait_for_selector("ul.messages")
    assert "已排除 3 条疑点。" in page.inner_text("ul.messages")
    assert page.locator("input.select-item").count() == 2  # the pending queue: two left

    # the keyboard: ? shows the help; j moves to the first row, x checks it, c focuses the reason
    # (confirm chosen), Ctrl+Enter submits
    page.keyboard.press("?")
    assert page.is_visible("#shortcuts-help")
    page.keyboard.press("Escape")
    assert not page.is_visible("#shortcuts-help")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.locator("tr.current input.select-item:checked").count() == 1
    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "bulk-reason"
    page.keyboard.type("jk 不触发快捷键")  # typing in the field: no shortcut fires
    assert page.input_value("#bulk-reason") == "jk 不触发快捷键"
    page.fill("#bulk-reason", "同日重复收费属实")
    page.screenshot(path=str(SCREENSHOTS / "queue-bulk.png"), full_page=True)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=已按疑点金额确认 1 条疑点。")
    context.close()

    states = {}
    for item in items:
        item.refresh_from_db()
        states[item.pk] = item.state
    assert [states[i.pk] for i in items] == [SuspectState.DISMISSED] * 3 + [SuspectState.CONFIRMED,
                                                                           SuspectState.PENDING]
    assert items[3].confirmed_amount == items[3].amount_at_stake and items[3].confirmed_by == world.reviewer
