"""门慢特 in a real browser (issue 17): a caseworker records an application with its evidence, a second
caseworker decides it (four eyes), an institution applies for its patient in the portal, and a med_type 14
visit of the qualified person settles under the disease's benefit (worked example C1: 412.50 from the fund).
Screenshots docs/screenshots/chronic-*.png."""
from __future__ import annotations

import json
from pathlib import Path

from claims.cases import load_reference_data, local
from claims.intake.services import discharge_visit, register_visit, upload_fee_lines
from claims.models import Visit
from claims.roles import ensure_roles
from claims.settlement.services import settle_visit
from insurance.chronic_selectors import qualifications_of
from insurance.chronic_services import import_demo_diseases
from insurance.models import ChronicQualification, Institution, InstitutionUser, QualificationState
from tests.factories import UserFactory

from .conftest import PASSWORD
from .test_browser import SCREENSHOTS, browser  # noqa: F401

CASE = Path(__file__).resolve().parents[2] / "policy_rules" / "fixtures" / "cases" / "chronic-diseases.json"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _login(page, base, username, lands_on):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{lands_on}")


def test_apply_decide_and_settle_under_the_disease(transactional_db, live_server, browser, settings,  # noqa: F811
                                                   tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "attachments"
    doc = json.loads(CASE.read_text(encoding="utf-8"))
    load_reference_data(doc)
    ensure_roles()
    import_demo_diseases()
    clerk_a = UserFactory(username="jingban_a", password=PASSWORD, roles=["caseworker"])
    UserFactory(username="jingban_b", password=PASSWORD, roles=["caseworker"])
    h3 = Institution.objects.get(fixmedins_code="H99010000003")
    InstitutionUser.objects.create(user=UserFactory(username="yiyuan3", password=PASSWORD), institution=h3)
    evidence = tmp_path / "诊断证明.pdf"
    evidence.write_bytes(PDF)
    base = live_server.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # 1. caseworker A records E1's application for 糖尿病 with the evidence
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base, "jingban_a", "/ws/")
    page.click("nav.ws-nav >> text=门慢特资格认定")
    page.wait_for_url(f"{base}/ws/chronic/")
    page.click("#new-application")
    page.fill("#id_psn_no", "E1")
    page.select_option("#id_disease", "M03900")
    page.fill("#id_note", "糖化血红蛋白 8.1%，空腹血糖 9.2 mmol/L")
    page.set_input_files("#id_evidence", str(evidence))
    page.screenshot(path=str(SCREENSHOTS / "chronic-apply.png"), full_page=True)
    page.click("#chronic-apply button[type=submit]")
    q = ChronicQualification.objects.get()
    page.wait_for_url(f"{base}/ws/chronic/{q.pk}/")
    assert page.inner_text("#state") == "已申请"
    assert page.locator("#four-eyes").count() == 1 and page.locator("#chronic-decide").count() == 0
    context.close()

    # 2. caseworker B finds it among the pending applications and approves it
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base, "jingban_b", "/ws/")
    page.goto(f"{base}/ws/chronic/")
    page.screenshot(path=str(SCREENSHOTS / "chronic-pending.png"), full_page=True)
    page.click(f'a[href="/ws/chronic/{q.pk}/"]')
    page.wait_for_url(f"{base}/ws/chronic/{q.pk}/")
    page.check("#chronic-decide input[name=outcome][value=approved]")
    page.fill("#id_valid_from", "2026-01-10")
    page.fill("#id_valid_to", "2027-12-31")
    page.screenshot(path=str(SCREENSHOTS / "chronic-decide.png"), full_page=True)
    page.click("#chronic-decide button[type=submit]")
    page.wait_for_url(f"{base}/ws/chronic/{q.pk}/")
    assert page.inner_text("#state") == "已认定"
    assert page.inner_text("#validity") == "2026-01-10 ~ 2027-12-31"
    assert qualifications_of(q.person).get().state == QualificationState.APPROVED

    # 3. the qualified person's 门慢特 visit (C1 of worked example C) settles under the disease's benefit
    c1 = next(v for v in doc["visits"] if v["mdtrt_id"] == "C1")
    visit = register_visit(institution=h3, psn_no="E1", med_type="14", begntime=local(c1["begntime"]),
                           mdtrt_id="C1")
    Visit.objects.filter(pk=visit.pk).update(dise_codg="M03900")
    upload_fee_lines(visit, c1["lines"], source="case")
    visit = discharge_visit(Visit.objects.get(pk=visit.pk), endtime=local(c1["endtime"]))
    settlement = settle_visit(visit, setl_time=local(c1["setl_time"]))
    assert (str(settlement.hifp_pay), str(settlement.act_pay_dedc), settlement.ineligible_reason) == (
        "412.50", "200.00", "")
    page.goto(f"{base}/ws/visits/C1/")
    assert "412.50" in page.inner_text("body")
    page.screenshot(path=str(SCREENSHOTS / "chronic-visit.png"), full_page=True)
    page.goto(f"{base}/ws/persons/E1/")
    assert "2026-01-10 ~ 2027-12-31" in page.inner_text("#qualifications")
    page.screenshot(path=str(SCREENSHOTS / "chronic-person.png"), full_page=True)
    context.close()

    # 4. the hospital applies for its dialysis patient in the portal
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base, "yiyuan3", "/portal/")
    page.click("nav.portal-nav >> text=门慢特资格认定")
    page.wait_for_url(f"{base}/portal/chronic/")
    page.fill("#id_psn_no", "E3")
    page.select_option("#id_disease", "M07800")
    page.set_input_files("#id_evidence", str(evidence))
    page.click("#chronic-apply button[type=submit]")
    own = ChronicQualification.objects.get(person__psn_no="E3")
    page.wait_for_url(f"{base}/portal/chronic/{own.pk}/")
    assert own.applying_institution == h3 and own.designated_institution == h3 and own.applied_by != clerk_a
    page.goto(f"{base}/portal/chronic/")
    page.screenshot(path=str(SCREENSHOTS / "chronic-portal.png"), full_page=True)
    context.close()
