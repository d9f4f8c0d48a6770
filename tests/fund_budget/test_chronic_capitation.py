"""Per-disease capitation of 门慢特 (docs/benefit-layers.md §C, worked example C-cap): heads counted on the first
day of each month from the approved qualifications naming a primary institution, × the pack's monthly rate, on
the month's statement as its capitation payment."""
import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from fund_budget import chronic_capitation
from fund_budget.capitation import reconcile_capitation
from fund_budget.models import (
    CapitationContract,
    CapitationReconciliation,
    ChronicCapitationReconciliation,
    PaymentMethod,
)
from insurance.chronic_services import import_demo_diseases, import_qualification, revoke_qualification
from insurance.models import ChronicDisease
from policy_rules.models import PolicyStatus, PolicyVersion
from tests.factories import PersonFactory, UserFactory

from .conftest import D, local, make_institution, make_settlement, reverse, settle, worked_parameters

REGION = "990100"
CASES = Path(__file__).resolve().parents[2] / "policy_rules" / "fixtures" / "cases"


def _pack(capitation: list[dict]) -> PolicyVersion:
    doc = json.loads((CASES / "chronic-diseases.json").read_text())["policy"]
    doc["chronic"]["capitation"] = capitation
    return PolicyVersion.objects.create(code=doc["code"], name=doc["name"], region=doc["region"],
                                        effective_from=dt.date(2026, 1, 1), effective_to=dt.date(2026, 12, 31),
                                        status=PolicyStatus.ACTIVE, document=doc)


@pytest.fixture
def world(db):
    """Clinic K (level 1) with P3 (from 1 Jan, revoked 15 Feb), P1 (from 10 Jan) and P2 (from 1 Feb); P4 names
    hospital H (level 2); P5's qualification names no institution."""
    import_demo_diseases()
    diabetes = ChronicDisease.objects.get(code="M03900")
    user = UserFactory(username="jingban_cap")
    clinic = make_institution(1, level=1, region=REGION, name="社区卫生服务中心K")
    hospital = make_institution(2, level=2, region=REGION, name="二级医院H")
    worked_parameters(2026)

    def qualify(psn_no, start, institution):
        return import_qualification(person=PersonFactory(psn_no=psn_no), disease=diabetes, valid_from=start,
                                    valid_to=None, user=user, source="示范登记册", institution=institution)

    w = SimpleNamespace(clinic=clinic, hospital=hospital)
    w.p1 = qualify("P1", dt.date(2026, 1, 10), clinic).qualification.person
    w.p2 = qualify("P2", dt.date(2026, 2, 1), clinic).qualification.person
    p3 = qualify("P3", dt.date(2026, 1, 1), clinic)
    revoke_qualification(p3.qualification, user=user, on=dt.date(2026, 2, 15), reason="迁出本统筹区")
    w.p4 = qualify("P4", dt.date(2026, 1, 1), hospital).qualification.person
    qualify("P5", dt.date(2026, 1, 1), None)
    return w


def _amounts(month):
    frame = chronic_capitation.monthly_amounts(month)
    return dict(zip(frame["institution_id"], frame["capitation"], strict=True))


def test_heads_on_the_first_day_times_the_rate_at_primary_institutions(world):
    clinic = world.clinic
    _pack([{"disease": "M03900", "max_level": 1, "monthly_rate": "120"}])
    assert _amounts(dt.date(2026, 1, 1)) == {clinic.pk: D("120.00")}   # P3
    assert _amounts(dt.date(2026, 2, 1)) == {clinic.pk: D("360.00")}   # P1, P2, P3
    assert _amounts(dt.date(2026, 3, 1)) == {clinic.pk: D("240.00")}   # P1, P2 (P3 revoked on 15 Feb)


def test_the_rate_follows_the_pack_of_the_institutions_region(world):
    clinic, hospital = world.clinic, world.hospital
    assert _amounts(dt.date(2026, 2, 1)) == {}  # no pack in force: nothing owed
    _pack([{"disease": "M03900", "max_level": 2, "monthly_rate": "95.50"}])
    assert _amounts(dt.date(2026, 2, 1)) == {clinic.pk: D("286.50"), hospital.pk: D("95.50")}


def test_the_statement_pays_it_as_the_months_capitation_reconciled_at_year_end(world):
    """K also holds an ordinary capitation contract (10 heads × 12.50 = 125.00 a month): the statement pays both,
    shows the 门慢特 part, and each is reconciled on its own row."""
    clinic = world.clinic
    _pack([{"disease": "M03900", "max_level": 1, "monthly_rate": "120"}])
    contract = CapitationContract.objects.create(institution=clinic, year=2026, heads=10, monthly_rate=D("12.50"))
    got = []
    for month in ("2026-01", "2026-02", "2026-03"):
        run, _created = settle(month)
        s = run.statements.get(institution=clinic)
        got.append((s.fund_amount, s.capitation_amount, s.chronic_capitation_amount, s.payable, s.net_payable))
    assert got == [(D("0.00"), D("245.00"), D("120.00"), D("245.00"), D("245.00")),
                   (D("0.00"), D("485.00"), D("360.00"), D("485.00"), D("485.00")),
                   (D("0.00"), D("365.00"), D("240.00"), D("365.00"), D("365.00"))]
    assert reconcile_capitation(2026) == {"created": 2, "updated": 0, "unchanged": 0}
    rec = CapitationReconciliation.objects.get(contract=contract)
    assert (rec.months, rec.monthly_total, rec.penalty_total, rec.net) == (3, D("375.00"), D("0.00"), D("375.00"))
    chronic = ChronicCapitationReconciliation.objects.get(institution=clinic, year=2026)
    assert (chronic.months, chronic.monthly_total, chronic.net) == (3, D("720.00"), D("720.00"))
    assert reconcile_capitation(2026) == {"created": 0, "updated": 0, "unchanged": 2}


def methods(statement) -> dict:
    return {m.method: (m.visits, m.ffs_fund_amount, m.claim_amount, m.gain_loss) for m in statement.method_lines.all()}


def test_the_heads_visits_for_the_disease_are_left_to_the_capitation(world):
    """Worked example C-cap, visits: only P1's February 门慢特 visit at K is paid by the head; its reversal in
    March stays with the capitation."""
    w = world
    pack = _pack([{"disease": "M03900", "max_level": 1, "monthly_rate": "120"}])

    def visit(institution, person, day, hifp, med_type="14"):
        return make_settlement(institution, local(2026, *day, 10), person=person, policy=pack, hifp=hifp,
                               psn_part="30", med_type=med_type, begin=local(2026, *day, 9),
                               dise_codg="M03900" if med_type == "14" else "")

    visit(w.clinic, w.p1, (1, 20), "80")              # P1 not yet a head on 1 January: item by item
    covered = visit(w.clinic, w.p1, (2, 5), "150")    # P1 a head on 1 February: the capitation pays
    visit(w.hospital, w.p4, (2, 6), "200")            # level 2 > max_level 1: item by item
    visit(w.clinic, w.p2, (2, 7), "50", med_type="11")  # another medical type: item by item
    reverse(covered, local(2026, 3, 3, 10))
    runs = {month: settle(month)[0] for month in ("2026-01", "2026-02", "2026-03")}
    jan, feb, mar = (runs[m].statements.get(institution=w.clinic) for m in ("2026-01", "2026-02", "2026-03"))
    assert (jan.fund_amount, jan.withheld, jan.capitation_amount, jan.payable) == (
        D("80.00"), D("4.00"), D("120.00"), D("196.00"))
    assert methods(jan) == {PaymentMethod.FEE_FOR_SERVICE: (1, D("80.00"), D("80.00"), D("0.00")),
                            PaymentMethod.CAPITATION: (0, D("0.00"), D("120.00"), D("120.00"))}
    assert (feb.fund_amount, feb.withheld, feb.capitation_amount, feb.payable) == (
        D("50.00"), D("2.50"), D("360.00"), D("407.50"))
    assert methods(feb) == {PaymentMethod.FEE_FOR_SERVICE: (1, D("50.00"), D("50.00"), D("0.00")),
                            PaymentMethod.CAPITATION: (1, D("150.00"), D("360.00"), D("210.00"))}
    assert (mar.fund_amount, mar.capitation_amount, mar.payable) == (D("0.00"), D("240.00"), D("240.00"))
    assert methods(mar) == {PaymentMethod.CAPITATION: (-1, D("-150.00"), D("240.00"), D("390.00"))}
    h_feb = runs["2026-02"].statements.get(institution=w.hospital)
    assert (h_feb.fund_amount, h_feb.withheld, h_feb.capitation_amount, h_feb.payable) == (
        D("200.00"), D("10.00"), D("0.00"), D("190.00"))
