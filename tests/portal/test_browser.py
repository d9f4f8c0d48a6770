"""The portal in a real browser (Playwright + Debian's chromium, as tests/workspace/test_browser.py): the
institution's user opens a confirmed suspect item from the portal's home and files an appeal with a PDF
attached. The screenshot goes to docs/screenshots/portal-appeal.png."""
from __future__ import annotations

import os
from pathlib import Path

from portal.models import AppealAttachment
from review.models import SuspectState
from tests.portal.conftest import PDF
from tests.workspace.conftest import PASSWORD, settled_today
from tests.workspace.test_browser import SCREENSHOTS, browser  # noqa: F401 - the chromium fixture

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_institution_files_an_appeal_with_a_pdf(transactional_db, live_server, world, browser,  # noqa: F811
                                                 tmp_path, private_root):
    base = live_server.url
    item = world.confirmed(settlement=settled_today(world, "P9201"), amount_fen=6000, amount="40.00")
    pdf = tmp_path / "住院病历.pdf"
    pdf.write_bytes(PDF)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/?next=/portal/")
    page.fill("#id_username", world.hosp_a.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/portal/")
    assert "机构门户" in page.inner_text("h1")
    assert page.locator('nav.portal-nav a[href="/fund/statements/"]').count() == 1

    page.click(f'#items a[href="/portal/items/{item.pk}/"]')
    page.wait_for_url(f"{base}/portal/items/{item.pk}/")
    page.fill("textarea[name=explanation]", "第二次血常规为术后复查，有医嘱，附住院病历")
    page.set_input_files("input[name=attachments]", str(pdf))
    page.click("button[name=appeal]")
    page.wait_for_selector("text=申诉已提交。")
    assert "申诉中" in page.inner_text("h1")
    assert page.locator("#appeal a", has_text="住院病历.pdf").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "portal-appeal.png"), full_page=True)

    with page.expect_download() as download:
        page.click("#appeal a:has-text('住院病历.pdf')")
    assert Path(download.value.path()).read_bytes() == PDF
    context.close()

    item.refresh_from_db()
    assert item.state == SuspectState.APPEALED
    attachment = AppealAttachment.objects.get(appeal__item=item)
    assert (attachment.original_name, attachment.content_type) == ("住院病历.pdf", "application/pdf")
    assert (private_root / attachment.file.name).read_bytes() == PDF
