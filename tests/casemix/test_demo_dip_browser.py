"""The demo city's DIP in a real browser (Playwright + Debian's chromium), built as `make demo` builds it: the
Makefile's demo commands on a smaller city (300 persons; the demo day's own daily run and the audit rules left
out, which DIP does not read), the grouping tables imported with the Makefile's own arguments, and seed_demo_dip
closing 2025 (its lists, the final DIP run, the year-end clearing with the DIP lines) and trying 2026.

A caseworker of the bureau logs in and walks: the DIP index → 2025's year page (institutions, points, CMI) → an
institution's cases with their groups, kinds and points → its year-end clearing report with the DIP line (points,
point value, DIP amount, clearing, and D in the calculation). Screenshots: docs/screenshots/demo-dip-*.png."""
from __future__ import annotations

import datetime as dt
import io
import re
import shlex
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from casemix.models import DipRun
from casemix.selectors import dip_clearing_lines
from claims.permissions import CASEWORKER
from core.display import money_text
from fund_budget.models import ClearingLine, ClearingReport
from fund_budget.permissions import FUND_BUREAU_GROUP
from tests.factories import DEMO_PACK_PATH
from tests.workspace.test_browser import SCREENSHOTS, browser  # noqa: F401 - the chromium fixture
from tests.workspace.test_caseworker_day import PASSWORD, _login

DAY = dt.date(2026, 3, 16)
MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"
REGION = "410800"

pytestmark = pytest.mark.django_db(transaction=True)


def makefile_commands(name: str) -> list[list[str]]:
    """The arguments of each `manage.py NAME` line of the Makefile's demo target (continuations joined)."""
    text = MAKEFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    recipe = text.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    return [shlex.split(line.split("manage.py", 1)[1])[1:] for line in recipe.splitlines()
            if re.search(rf"manage\.py {name}\b", line)]


@pytest.fixture
def demo_city():
    out = io.StringIO()
    call_command("import_policy", str(DEMO_PACK_PATH), stdout=out)
    call_command("seed_demo", "--date", DAY.isoformat(), "--history", "--persons", "300", stdout=out)
    call_command("setup_roles", stdout=out)
    call_command("seed_demo_fund", "--date", DAY.isoformat(), stdout=out)
    tables = makefile_commands("import_grouping_table")
    assert [args[args.index("--code") + 1] for args in tables] == ["DEMO-DIP-2026", "DEMO-DIP-2025"]
    for args in tables:
        call_command("import_grouping_table", *args, stdout=out)
    call_command("seed_demo_dip", "--date", DAY.isoformat(), stdout=out)
    user = get_user_model().objects.create_user("dipcaseworker", password=PASSWORD)
    user.groups.add(Group.objects.get(name=CASEWORKER), Group.objects.get(name=FUND_BUREAU_GROUP))
    return out.getvalue()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"demo-dip-{name}.png"), full_page=True)


def test_the_demo_city_shows_its_dip_year_and_the_clearing_line(demo_city, live_server, browser):  # noqa: F811
    # the demo's commands closed 2025 with a final run and left a trial run of 2026
    assert re.search(r"DIP lists 410800 2025: \d+ uploaded", demo_city)
    assert re.search(r"clearing 2025: created 0, updated [1-9]\d*, .*dip_unplaced 0", demo_city)
    final = DipRun.objects.get(region=REGION, year=2025, final=True)
    assert final.grouped > 0 and final.point_value > 0
    assert DipRun.objects.filter(region=REGION, year=2026, final=False).exists()
    lines = dip_clearing_lines(REGION, 2025)
    # the institution with the most points, and its report carrying the DIP line
    result = max(lines.values(), key=lambda r: (r.points, r.institution_id))
    institution = result.institution
    dip_line = ClearingLine.objects.filter(key="dip", report__year=2025, report__institution=institution).first()
    assert dip_line is not None
    report = dip_line.report
    # every institution's DIP lines add up to its clearing, and the fund pays the grouped cases the budget
    by_institution: dict[int, Decimal] = {}
    for line in ClearingLine.objects.filter(key="dip", report__year=2025).select_related("report"):
        by_institution[line.report.institution_id] = by_institution.get(line.report.institution_id, 0) + line.amount
    assert by_institution == {pk: r.clearing for pk, r in lines.items()}
    budget = final.parameters.budget
    assert abs(sum(r.dip_amount for r in lines.values()) - budget) <= Decimal("0.01") * len(lines)

    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base, "dipcaseworker")

    page.click("nav.ws-nav >> text=病种分值付费")
    page.wait_for_url(f"{base}/dip/")
    index = page.locator("tbody tr")  # the latest run of each year, the newest year first
    assert index.nth(0).locator("td").nth(1).inner_text() == "2026" and "试算(非最终)" in index.nth(0).inner_text()
    assert index.nth(1).locator("td").nth(1).inner_text() == "2025"
    assert "最终分组(年终清算)" in index.nth(1).inner_text() and str(final.point_value) in index.nth(1).inner_text()
    _shot(page, "index")

    index.nth(1).locator("a").click()
    page.wait_for_url(f"{base}/dip/{REGION}/2025/")
    head = page.locator("thead").inner_text()
    assert "点数" in head and "CMI" in head and "DIP清算" in head
    text = page.locator("body").inner_text()
    assert str(final.point_value) in text and "DEMO-DIP-2025" in text
    assert page.locator("tbody tr").count() == len(lines)
    _shot(page, "year")

    page.click(f"tbody a:has-text('{institution.fixmedins_code}')")
    page.wait_for_url(f"{base}/dip/{REGION}/2025/{institution.fixmedins_code}/")
    cases = page.locator("tbody tr")
    assert cases.count() >= final.case_results.filter(institution=institution).count() > 0
    assert re.search(r"[A-Z]\d\d\.\d{4} ", cases.first.inner_text())  # a group's code and name
    assert "病种分值" in page.locator("tbody").inner_text()  # why: the group's points × coefficient
    _shot(page, "cases")

    page.goto(f"{base}/fund/clearings/{report.pk}/")
    card = page.locator("section.dip-line")
    card_text = card.inner_text()
    assert str(result.point_value) in card_text and money_text(result.points) in card_text
    assert money_text(result.dip_amount) in card_text and money_text(result.clearing) in card_text
    row = page.locator("table.formula tr", has_text="按病种分值付费清算 D")
    assert money_text(dip_line.amount) in row.inner_text()
    _shot(page, "clearing")

    row.locator("a").click()  # the DIP line leads back to the institution's cases
    page.wait_for_url(f"{base}/dip/{REGION}/2025/{institution.fixmedins_code}/")
    context.close()
    assert ClearingReport.objects.get(pk=report.pk).status == "draft"
