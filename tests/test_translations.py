"""The English catalog (locale/en): every message translated with the same placeholders, the compiled .mo
in step with the .po, and English actually reaching model labels, service errors and rendered pages.

The UI's msgids are Chinese (LANGUAGE_CODE zh-hans); English is chosen per request by LocaleMiddleware
from the language cookie or Accept-Language."""
from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from tests.review.conftest import world  # noqa: F401 - the review test world, as in tests/workspace

ROOT = Path(__file__).resolve().parent.parent
EN_DIR = ROOT / "locale" / "en" / "LC_MESSAGES"
EN_PO = EN_DIR / "django.po"
EN_MO = EN_DIR / "django.mo"

# Chinese characters and full-width punctuation: none may be left in an English msgstr or page.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# %(name)s, %(n)d, %s, %(v)r, %% ...; {0}, {name}, {{, }}; HTML tags.
PERCENT = re.compile(r"%(?:\([^)]*\))?[#0+-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE = re.compile(r"\{\{|\}\}|\{[^{}\s]*\}")
TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def placeholders(text: str) -> list[str]:
    return sorted(PERCENT.findall(text) + BRACE.findall(text) + TAG.findall(text))


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index -> text; 0 for a singular msgstr

    def __str__(self):
        return f"line {self.line}: {self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    """A small PO reader (the project ships no polib): entries with their flags, context, ids and strings.
    Obsolete (#~) entries are left out; the header (empty msgid) is returned like any entry."""
    entries: list[Entry] = []
    flags: set[str] = set()
    last: tuple[str, int] | None = None
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        keyword = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
        if keyword:
            kind, index, text = keyword.group(1), int(keyword.group(2) or 0), keyword.group(3)
            # An entry starts at msgctxt, or at msgid unless a msgctxt just opened it.
            if kind == "msgctxt" or (kind == "msgid" and (last is None or last[0] != "msgctxt")):
                entries.append(Entry(line=lineno, flags=flags))
                flags = set()
            last = (kind, index)
        elif line.startswith('"') and last is not None:
            text = line
        else:
            raise AssertionError(f"{path}:{lineno}: cannot parse {raw!r}")
        entry, (kind, index) = entries[-1], last
        value = ast.literal_eval(text)
        if kind == "msgstr":
            entry.msgstr[index] = entry.msgstr.get(index, "") + value
        else:
            setattr(entry, kind, (getattr(entry, kind) or "") + value)
    return entries


@pytest.fixture(scope="module")
def en_entries() -> list[Entry]:
    entries = parse_po(EN_PO)
    assert entries and entries[0].msgid == "", "the catalog should start with its header"
    return entries[1:]


# --- (a) the catalog itself ------------------------------------------------------------------------------


def test_catalog_is_large_and_mostly_chinese(en_entries):
    """Guards the parser: the catalog holds several hundred messages, most with Chinese msgids."""
    assert len(en_entries) > 500
    assert sum(bool(CJK.search(e.msgid)) for e in en_entries) > len(en_entries) / 2


def test_every_entry_is_translated_and_not_fuzzy(en_entries):
    untranslated = [str(e) for e in en_entries if not e.msgstr or not all(e.msgstr.values())]
    fuzzy = [str(e) for e in en_entries if "fuzzy" in e.flags]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:10]}"


def test_plural_entries_have_both_english_forms(en_entries):
    plurals = [e for e in en_entries if e.msgid_plural is not None]
    assert plurals
    for e in plurals:
        assert sorted(e.msgstr) == [0, 1], e


def test_msgstr_is_english(en_entries):
    chinese = [f"{e}: {s!r}" for e in en_entries for s in e.msgstr.values() if CJK.search(s)]
    assert not chinese, chinese[:10]


def test_placeholders_match(en_entries):
    wrong = []
    for e in en_entries:
        for index, text in e.msgstr.items():
            source = e.msgid if index == 0 or e.msgid_plural is None else e.msgid_plural
            if placeholders(source) != placeholders(text):
                wrong.append(f"{e}[{index}]: {placeholders(source)} != {placeholders(text)}")
    assert not wrong, wrong


def test_placeholder_extraction():
    assert placeholders("规则 %(code)s %(name)s 命中 %(n)d 处") == ["%(code)s", "%(n)d", "%(name)s"]
    assert placeholders("超过指标进度 %(excess)s%%") == ["%%", "%(excess)s"]
    assert placeholders("不是有效的金额：%(v)r") == ["%(v)r"]
    assert placeholders("诊断应为 {{diag_code, diag_name}} 或 {0}") == ["{0}", "{{", "}}"]
    assert placeholders("<b>粗体</b>") == ["</b>", "<b>"]


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_msgfmt_check_reports_everything_translated():
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(EN_PO)],
                            capture_output=True, text=True, timeout=60, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+ translated messages?\.", result.stderr.strip()), result.stderr


def test_compiled_catalog_matches_the_po(en_entries):
    """Django reads the .mo: it must be compiled from the current .po (make messages / compilemessages)."""
    with EN_MO.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = []
    for e in en_entries:
        msgid = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural is None:
            got = mo.gettext(msgid)
            want = e.msgstr[0]
        else:
            got = (mo.ngettext(msgid, e.msgid_plural, 1), mo.ngettext(msgid, e.msgid_plural, 2))
            want = (e.msgstr[0], e.msgstr[1])
        if got != want:
            stale.append(f"{e}: .mo has {got!r}, .po has {want!r}")
    assert not stale, f"locale/en .mo is stale; run make messages: {stale[:5]}"


# --- (b) English through gettext ------------------------------------------------------------------------


def test_model_labels_in_english():
    from claims.models import MedType, Settlement
    from insurance.models import Person
    from review.models import SuspectState

    with translation.override("en"):
        assert str(Settlement._meta.verbose_name) == "Settlement record"
        assert str(Person._meta.get_field("psn_no").verbose_name) == "Person number"
        assert str(SuspectState.PENDING.label) == "Pending review"
        assert str(MedType.INPATIENT.label) == "General inpatient"
    with translation.override("zh-hans"):
        assert str(Settlement._meta.verbose_name) == "结算记录"


def test_service_errors_in_english():
    from fund_budget.common import FundError, parse_month
    from insurance.validators import validate_certno

    with translation.override("en"):
        with pytest.raises(FundError, match=r"^The month must be in YYYY-MM format, e\.g\. 2026-03\.$"):
            parse_month("2026/03")
        with pytest.raises(ValidationError) as excinfo:
            validate_certno("123")
        assert excinfo.value.messages == ["The ID number must have 18 characters."]


def test_formatted_and_plural_messages_in_english():
    with translation.override("en"):
        text = translation.gettext("规则 %(code)s %(name)s 命中 %(n)d 处") % {"code": "DUP-01", "name": "x", "n": 3}
        assert text == "Rule DUP-01 x: 3 hit(s)"
        assert translation.ngettext("%(n)s result", "%(n)s results", 1) % {"n": 1} == "1 result"
        assert translation.ngettext("%(n)s result", "%(n)s results", 2) % {"n": 2} == "2 results"
        assert str(settings.LANGUAGES[0][1]) == "Simplified Chinese"


# --- (c) English pages through LocaleMiddleware ---------------------------------------------------------

LANGUAGE_SWITCH = re.compile(r'<select id="lang-select".*?</select>', re.S)


def chinese_left(html: str) -> list[str]:
    """Chinese characters on an English page, outside the language switch (which names each language in
    itself: 简体中文 / English)."""
    assert LANGUAGE_SWITCH.search(html), "the language switch is missing from the page"
    return CJK.findall(LANGUAGE_SWITCH.sub("", html))


@pytest.mark.django_db
def test_login_page_in_english_by_accept_language(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Sign in" in html and "User name" in html and "Password" in html
    assert not chinese_left(html), chinese_left(html)

    chinese = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "登录" in chinese and "用户名" in chinese


@pytest.mark.django_db
def test_fund_pages_in_english_by_language_cookie(client, django_user_model):
    admin = django_user_model.objects.create_superuser("i18n-admin", password="pw-12345678")
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(reverse("fund_budget:negotiations")).content.decode()
    assert '<html lang="en">' in html
    assert "Two-up-two-down index negotiation" in html and "No negotiations." in html
    assert not chinese_left(html), chinese_left(html)

    response = client.get(reverse("fund_budget:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Fund monitoring" in html and "Spending to date" in html
    assert not chinese_left(html), chinese_left(html)


@pytest.mark.django_db
def test_workspace_item_page_in_english(world, client):  # noqa: F811
    from tests.workspace.conftest import settled_today

    item = world.item(settlement=settled_today(world, "P9101"))
    client.force_login(world.reviewer)
    html = client.get(reverse("workspace:item", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Settlement breakdown" in html and "Total medical fees" in html and "Review trail" in html
    assert "Pending review" in html  # the suspect item's state, a Chinese-msgid model choice
    assert "待审核" not in html and "审核轨迹" not in html

