"""Numbers and words on every page (issue 16): every figure formatted, every code shown by its label.

The demo is built the way `make demo` builds it (seed_demo --history, setup_roles, load_default_rules,
seed_demo_fund, run_daily; a smaller population), plus the review and negotiation steps the demo leaves
untaken, so that every page has rows in every state. Each page is then fetched and its visible text (no tags,
attributes, scripts or styles) scanned for
  - a decimal with more than two places (a raw ratio or an unrounded amount),
  - an amount of 1000 or more without thousands separators (every amount goes through |money),
  - an internal code as a word: the choices values of the models (settled, reversed, hifp, ...), the role and
    group names and the policy pack's cap groups (employee_pool, ...),
  - a code of a coded column (fee class 01, insurance type 310, ...) alone in a table cell.

A page is one line of PAGES: its name, the login that sees it and its URL from the demo's objects.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from claims.models import Accumulator, AccumulatorKind, MedType, Visit
from claims.permissions import ROLES
from devtools.demo_fund import ensure_parameters
from fund_budget import budget
from fund_budget.models import Fund, IndexStatus, InstitutionIndex
from insurance.models import AssistanceCategory, Insutype
from policy_rules.engine.audit.evidence import MED_TYPE_LABELS
from policy_rules.models import CapGroup, ChrgLv
from review import services as review
from review.models import SuspectItem, SuspectState
from tests.factories import InstitutionUserFactory, UserFactory

DAY = dt.date(2026, 3, 16)
REGION = "410800"
D = Decimal

# name: (login, url of the demo's objects). A new page is one more line.
PAGES = {
    "home": ("supervisor", lambda d: reverse("home")),
    "dashboard": ("supervisor", lambda d: reverse("workspace:dashboard") + f"?date={DAY}"),
    "dashboard-past-day": ("supervisor", lambda d: reverse("workspace:dashboard") + f"?date={DAY.replace(day=1)}"),
    "search-person": ("supervisor", lambda d: reverse("workspace:search") + f"?q={d.person.psn_no}"),
    "search-institution": ("supervisor", lambda d: reverse("workspace:search") + f"?q={d.institution.name[:3]}"),
    "search-visit": ("supervisor", lambda d: reverse("workspace:search") + f"?q={d.visit.mdtrt_id}"),
    "person": ("supervisor", lambda d: reverse("workspace:person", args=[d.person.psn_no]) + f"?year={DAY.year}"),
    "visit": ("supervisor", lambda d: reverse("workspace:visit", args=[d.visit.mdtrt_id])),
    "institution": ("supervisor", lambda d: reverse("workspace:institution", args=[d.institution.fixmedins_code])
                    + f"?year={DAY.year}"),
    "queue": ("supervisor", lambda d: reverse("workspace:queue")),
    "queue-all-states": ("supervisor", lambda d: reverse("workspace:queue") + "?state=&sort=-amount_at_stake"),
    "item-pending": ("supervisor", lambda d: reverse("workspace:item", args=[d.pending.pk])),
    "item-pending-reviewer": ("reviewer", lambda d: reverse("workspace:item", args=[d.pending.pk])),
    "item-reversed": ("supervisor", lambda d: reverse("workspace:item", args=[d.reversed.pk])),
    "item-appealed": ("supervisor", lambda d: reverse("workspace:item", args=[d.appealed.pk])),
    "item-dismissed": ("supervisor", lambda d: reverse("workspace:item", args=[d.dismissed.pk])),
    "appeals": ("supervisor", lambda d: reverse("workspace:appeals") + "?state="),
    "appeal-decided": ("supervisor", lambda d: reverse("workspace:appeal", args=[d.reversed.appeal.pk])),
    "appeal-filed": ("supervisor", lambda d: reverse("workspace:appeal", args=[d.appealed.appeal.pk])),
    "appeal-filed-appeal-reviewer": ("appeal_reviewer", lambda d: reverse("workspace:appeal",
                                                                         args=[d.appealed.appeal.pk])),
    "fund-dashboard": ("supervisor", lambda d: reverse("fund_budget:dashboard") + f"?year={DAY.year}"),
    "fund-dashboard-past-year": ("supervisor", lambda d: reverse("fund_budget:dashboard") + f"?year={DAY.year - 1}"),
    "negotiations": ("supervisor", lambda d: reverse("fund_budget:negotiations")),
    "negotiation": ("supervisor", lambda d: reverse("fund_budget:negotiation", args=[d.negotiation.pk])),
    "negotiations-institution": ("institution_user", lambda d: reverse("fund_budget:negotiations")),
    "negotiation-institution": ("institution_user", lambda d: reverse("fund_budget:negotiation",
                                                                args=[d.negotiation.pk])),
    "clearing-none": ("supervisor", lambda d: reverse("fund_budget:clearing-year-xlsx", args=[DAY.year + 5])),
    "chronic-list": ("supervisor", lambda d: reverse("workspace:chronic-list")),
    "chronic-apply": ("supervisor", lambda d: reverse("workspace:chronic-apply")),
    "portal-chronic": ("institution_user", lambda d: reverse("portal:chronic")),
}
# pages answered with another status than 200 (a page that says there is nothing)
STATUS = {"clearing-none": 404}


# --- the demo ------------------------------------------------------------------------------------------


def _user(username: str, *groups: str):
    user = UserFactory(username=username)
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


def _negotiation(bureau, clerk):
    """The next year's index of the clerk's institution negotiated "两上两下" with amounts of every size."""
    year = DAY.year + 1
    ensure_parameters([year])
    budget.prepare_indices(year, Fund.EMPLOYEE_POOL, REGION)
    index = (InstitutionIndex.objects.filter(year=year, fund=Fund.EMPLOYEE_POOL, status=IndexStatus.DRAFT,
                                             payment_mode="budget").select_related("institution").order_by("pk")
             .first())
    InstitutionUserFactory(user=clerk, institution=index.institution)
    negotiation = budget.open_negotiation(index, bureau)
    budget.propose(negotiation, clerk, D("1234567.89"), note="按上年实际增长")
    budget.draft(negotiation, bureau)
    budget.answer(negotiation, clerk)
    return budget.agree(negotiation, bureau)


def _person_with_admissions():
    """A person settled as an inpatient this year: the accumulators show counts and cap groups."""
    acc = (Accumulator.objects.filter(year=DAY.year, kind=AccumulatorKind.ADMISSIONS, amount__gt=0)
           .select_related("person").order_by("person__psn_no").first())
    return acc.person


def build_demo() -> SimpleNamespace:
    out = StringIO()  # seed_demo imports the demo policy pack itself
    call_command("seed_demo", "--date", DAY.isoformat(), "--history", "--persons", "400", stdout=out, stderr=out)
    call_command("setup_roles", stdout=out)
    call_command("load_default_rules", stdout=out)
    call_command("seed_demo_fund", "--date", DAY.isoformat(), stdout=out)
    call_command("run_daily", "--date", DAY.isoformat(), stdout=out)

    d = SimpleNamespace()
    d.supervisor = _user("jihe", "supervisor", "fund_bureau")
    d.reviewer = reviewer = _user("shenhe", "reviewer")
    d.appeal_reviewer = appeal_reviewer = _user("fuhe", "appeal_reviewer")
    items = list(SuspectItem.objects.filter(state=SuspectState.PENDING).select_related("institution")
                 .order_by("-amount_at_stake", "pk"))
    d.pending, first, second, third = items[0], items[1], items[2], items[3]
    clerks = {}
    for item in (first, second):
        item = review.confirm_item(item, user=reviewer, amount=item.amount_at_stake, reason="属实")
        clerk = clerks.get(item.institution_id) or InstitutionUserFactory(institution=item.institution).user
        clerks[item.institution_id] = clerk
        review.file_appeal(item, user=clerk, explanation="有医嘱")
    review.decide_appeal(SuspectItem.objects.get(pk=first.pk).appeal, user=appeal_reviewer, upheld=False,
                         reason="复查有医嘱")
    d.reversed = SuspectItem.objects.get(pk=first.pk)
    d.appealed = SuspectItem.objects.get(pk=second.pk)
    d.dismissed = review.dismiss_item(third, user=reviewer, reason="不成立")
    d.visit = d.reversed.visit
    d.institution = d.reversed.institution
    d.person = _person_with_admissions()
    d.institution_user = _user("jigou", "fund_institution")
    d.negotiation = _negotiation(d.supervisor, d.institution_user)
    return d


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, built once for the module inside a transaction that is rolled back at its end (each test's
    own transaction nests in it as a savepoint)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_demo()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- the scan ------------------------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a reader sees: data outside script, style and template elements, one string per run, and the
    table cells (td) with their classes for the coded-cell check."""

    HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.cells: list[tuple[str, str]] = []  # (class, text) of each td
        self._hidden = 0
        self._cell: list[str] | None = None
        self._cell_class = ""

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
        elif tag == "td":
            self._cell, self._cell_class = [], dict(attrs).get("class") or ""

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "td" and self._cell is not None:
            self.cells.append((self._cell_class, " ".join("".join(self._cell).split())))
            self._cell = None

    def handle_data(self, data):
        if self._hidden:
            return
        self.parts.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def text(self) -> str:
        return "\n".join(p.strip() for p in self.parts if p.strip())


# a letter before the digits makes a code (diagnosis J18.900), not a figure
LONG_DECIMAL = re.compile(r"(?<![A-Za-z0-9_.])\d+\.\d{3,}")
UNGROUPED_AMOUNT = re.compile(r"(?<![A-Za-z0-9_.,])\d{4,}\.\d{2}(?!\d)")
# codes whose value is digits: alone in a text cell they are a code, not a figure
CODED_CELLS = set(ChrgLv.values) | set(Insutype.values)
# codes kept in free-text fields, with their labels in a choices class of their own; the role and group names
EXTRA_CODES = {*CapGroup.values, *AssistanceCategory.values, *ROLES, "fund_bureau", "fund_institution"}


def internal_codes() -> set[str]:
    """Every word-like choices value of the project's models whose label is not the value itself (a rating
    "A" is its own label), with the role and group names and the demo pack's cap groups."""
    codes = set(EXTRA_CODES)
    for label in ("claims", "review", "insurance", "policy_rules", "fund_budget"):
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.get_fields():
                for value, text in getattr(field, "flatchoices", None) or ():
                    value = str(value)
                    if re.fullmatch(r"[a-z][a-z_]*", value) and value not in str(text):
                        codes.add(value)
    return codes


def findings(html: str, codes: set[str] | None) -> list[str]:
    """What is wrong in the page's visible text; codes=None checks the figures only (an English page, where
    codes such as "open" or "paid" are also words)."""
    parser = VisibleText()
    parser.feed(html)
    text = parser.text
    found = [f"decimal with more than two places: {m.group()!r} in {_around(text, m)!r}"
             for m in LONG_DECIMAL.finditer(text)]
    found += [f"amount without thousands separators: {m.group()!r} in {_around(text, m)!r}"
              for m in UNGROUPED_AMOUNT.finditer(text)]
    if codes is None:
        return found
    words = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(sorted(map(re.escape, codes), key=len, reverse=True))
                       + r")(?![A-Za-z0-9_])")
    found += [f"internal code: {m.group()!r} in {_around(text, m)!r}" for m in words.finditer(text)]
    found += [f"code alone in a cell: {cell!r}" for cls, cell in parser.cells
              if cell in CODED_CELLS and "num" not in cls.split()]
    return found


def _around(text: str, match) -> str:
    return " ".join(text[max(0, match.start() - 30):match.end() + 30].split())


@pytest.mark.parametrize("page", list(PAGES))
def test_page_shows_figures_formatted_and_codes_by_label(demo, client, db, page):
    login, url = PAGES[page]
    client.force_login(getattr(demo, login))
    response = client.get(url(demo))
    assert response.status_code == STATUS.get(page, 200), (page, response.status_code)
    problems = findings(response.content.decode(), internal_codes())
    assert not problems, f"{page} ({url(demo)}):\n" + "\n".join(problems)


@pytest.mark.parametrize("page", list(PAGES))
def test_page_in_english_shows_figures_formatted(demo, client, db, page):
    """Money keeps its two decimals and thousands separators in English too."""
    login, url = PAGES[page]
    client.force_login(getattr(demo, login))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override(settings.LANGUAGE_CODE):  # LocaleMiddleware's "en" stays with this test
        response = client.get(url(demo))
    assert response.status_code == STATUS.get(page, 200), (page, response.status_code)
    assert '<html lang="en">' in response.content.decode()
    problems = findings(response.content.decode(), None)
    assert not problems, f"{page} ({url(demo)}, English):\n" + "\n".join(problems)


def test_the_scan_catches_what_it_looks_for():
    """The scan itself: each kind of finding on a made-up page, and nothing in attributes or scripts."""
    page = ('<p data-x="employee_pool 1234.567">ok</p><script>var a = "settled 1.23456";</script>'
            '<p>12,345.67 · 5.5% · 2026-03-16 · 住院</p>')
    assert findings(page, {"employee_pool", "settled"}) == []
    bad = ('<p>0.12345</p><p>17146.15</p><p>基金 hifp</p><table><tr><td>01</td><td class="num">01</td>'
           '</tr></table>')
    assert [f.split(":")[0] for f in findings(bad, {"hifp"})] == [
        "decimal with more than two places", "amount without thousands separators", "internal code",
        "code alone in a cell"]


def test_every_visit_of_the_demo_has_a_labelled_medical_type(demo, db):
    """The visit page shows med_type by its label (claims.MedType); the demo uses no type without one."""
    med_types = set(Visit.objects.values_list("med_type", flat=True).distinct())
    assert med_types and all(Visit(med_type=m).med_type_label != m for m in med_types), med_types


def _cells(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return [text for _cls, text in parser.cells]


def test_person_page_counts_admissions_and_names_cap_groups(demo, client, db):
    client.force_login(demo.supervisor)
    html = client.get(PAGES["person"][1](demo)).content.decode()
    cells = _cells(html)
    admissions = cells[cells.index(str(AccumulatorKind.ADMISSIONS.label)) + 2]
    assert re.fullmatch(r"\d+", admissions), admissions
    assert any(str(label) in cells for label in CapGroup.labels), cells


def test_institution_table_heads_its_name_column_as_the_institution_name(demo, client, db):
    """The search's institution table: code, then 机构名称 (it was headed 姓名, the persons' column)."""
    client.force_login(demo.supervisor)
    html = client.get(PAGES["search-institution"][1](demo)).content.decode()
    heads = [" ".join(re.sub(r"<[^>]+>", "", h).split()) for h in re.findall(r"<th[^>]*>(.*?)</th>", html, re.S)]
    assert heads[heads.index("机构编码") + 1] == "机构名称", heads


def test_medical_types_have_one_set_of_labels():
    """claims.MedType (the pages) and the audit engine's MED_TYPE_LABELS (its evidence sentences, which cannot
    import Django) name the same codes the same way."""
    with translation.override("zh-hans"):
        assert {m.value: str(m.label) for m in MedType} == MED_TYPE_LABELS


def test_the_demo_has_amounts_that_need_separators(demo, db):
    """The scan means something only if the pages have amounts of 1000 or more: the item under review does."""
    assert demo.pending.amount_at_stake >= 1000 and demo.negotiation.proposed_amount >= 1000
