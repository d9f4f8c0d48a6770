"""Per-disease capitation of 门慢特 (docs/benefit-layers.md §C, worked example C-cap): heads counted on the first
day of each month from the approved qualifications naming a primary institution, × the pack's monthly rate, on
the month's statement as its capitation payment."""
import datetime as dt
import json
from pathlib import Path

import pytest

from fund_budget import chronic_capitation
from insurance.chronic_services import import_demo_diseases, import_qualification, revoke_qualification
from insurance.models import ChronicDisease
from policy_rules.models import PolicyStatus, PolicyVersion
from tests.factories import PersonFactory, UserFactory

from .conftest import D, make_institution, settle, worked_parameters

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

    qualify("P1", dt.date(2026, 1, 10), clinic)
    qualify("P2", dt.date(2026, 2, 1), clinic)
    p3 = qualify("P3", dt.date(2026, 1, 1), clinic)
    revoke_qualification(p3.qualification, user=user, on=dt.date(2026, 2, 15), reason="迁出本统筹区")
    qualify("P4", dt.date(2026, 1, 1), hospital)
    qualify("P5", dt.date(2026, 1, 1), None)
    return clinic, hospital


def _amounts(month):
    frame = chronic_capitation.monthly_amounts(month)
    return dict(zip(frame["institution_id"], frame["capitation"], strict=True))


def test_heads_on_the_first_day_times_the_rate_at_primary_institutions(world):
    clinic, hospital = world
    _pack([{"disease": "M03900", "max_level": 1, "monthly_rate": "120"}])
    assert _amounts(dt.date(2026, 1, 1)) == {clinic.pk: D("120.00")}   # P3
    assert _amounts(dt.date(2026, 2, 1)) == {clinic.pk: D("360.00")}   # P1, P2, P3
    assert _amounts(dt.date(2026, 3, 1)) == {clinic.pk: D("240.00")}   # P1, P2 (P3 revoked on 15 Feb)


def test_the_rate_follows_the_pack_of_the_institutions_region(world):
    clinic, hospital = world
    assert _amounts(dt.date(2026, 2, 1)) == {}  # no pack in force: nothing owed
    _pack([{"disease": "M03900", "max_level": 2, "monthly_rate": "95.50"}])
    assert _amounts(dt.date(2026, 2, 1)) == {clinic.pk: D("286.50"), hospital.pk: D("95.50")}


def test_the_statement_pays_it_as_the_months_capitation(world):
    clinic, _hospital = world
    _pack([{"disease": "M03900", "max_level": 1, "monthly_rate": "120"}])
    got = []
    for month in ("2026-01", "2026-02", "2026-03"):
        run, _created = settle(month)
        s = run.statements.get(institution=clinic)
        got.append((s.fund_amount, s.capitation_amount, s.payable, s.net_payable))
    assert got == [(D("0.00"), D("120.00"), D("120.00"), D("120.00")),
                   (D("0.00"), D("360.00"), D("360.00"), D("360.00")),
                   (D("0.00"), D("240.00"), D("240.00"), D("240.00"))]
