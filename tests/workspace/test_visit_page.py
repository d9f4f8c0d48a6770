"""The visit page (/ws/visits/<mdtrt_id>/): every visit explained, settled or not, reversed or re-settled; the
breakdown adds up to the fen on every shared case; bureau roles only."""
from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from claims.cases import run_case
from claims.intake.services import register_visit, upload_fee_lines
from claims.models import SettlementKind, SettlementStatus
from claims.roles import ensure_roles
from claims.selectors import inscp_copay, settlement_breakdown
from claims.settlement.services import cancel_settlement, settle_visit
from tests.api.base import CASES_DIR, ROOT
from tests.factories import local_dt as local
from tests.review.conftest import LINES, make_person, make_user

D = Decimal
CASE_FILES = sorted(CASES_DIR.glob("*.json"))
# the project's case files with a stored layer (docs/benefit-layers.md)
PROJECT_CASE_FILES = [ROOT / "policy_rules" / "fixtures" / "cases" / f"{n}.json"
                      for n in ("civil-servant", "veterans", "maternity")]
UNKNOWN_CODE = "ZZ9999999"

# eleven lines, so that text order (1, 10, 11, 2, …) and numeric order differ; line 7 is not in the catalog;
# the five of LINES bring the in-scope amount above the deductible
ELEVEN = [*LINES, *({"feedetl_sn": str(n), "med_list_codg": UNKNOWN_CODE if n == 7 else "250101001", "cnt": "1",
                     "pric": "25.00", "det_item_fee_sumamt": "25.00"} for n in range(6, 12))]


def url(visit) -> str:
    return reverse("workspace:visit", args=[visit.mdtrt_id])


def body_of(client, visit) -> str:
    response = client.get(url(visit))
    assert response.status_code == 200
    return response.content.decode()


def test_settled_visit_shows_header_lines_and_breakdown(world, login):
    settlement = world.settled_visit(lines=ELEVEN)
    visit = settlement.visit
    body = body_of(login(world.caseworker), visit)
    assert visit.person.psn_no in body and reverse("workspace:person", args=[visit.person.psn_no]) in body
    assert world.inst_a.name in body and "普通住院" in body and "已结算" in body
    # lines in numeric order, each with its catalog item's name and class label
    lines = body[body.index('id="lines"'):body.index('id="history"')]
    sns = re.findall(r"<tr[^>]*>\s*<td>(\d+)</td>", lines)
    assert sns == [str(n) for n in range(1, 12)]
    assert "血常规" in lines and "甲类" in lines
    assert "目录外项目，全自费" in lines and "NOT_IN_CATALOG" not in body
    # the breakdown names the co-payment, formatted with two decimals and thousands separators
    copay = inscp_copay(settlement)
    assert copay > 0
    assert "统筹内自付" in body and f"{copay:,.2f}" in body
    assert f"{settlement.medfee_sumamt:,.2f}" in body
    assert settlement.setl_id in body


def test_unsettled_visit_renders_with_its_own_classification(world, login):
    make_person("P7001")
    visit = register_visit(institution=world.inst_a, psn_no="P7001", med_type="21", begntime=local(2026, 3, 2, 9))
    upload_fee_lines(visit, LINES, audit=False)
    body = body_of(login(world.reviewer), visit)
    assert "该就诊尚未结算。" in body and "已登记" in body
    assert "阿莫西林胶囊" in body and "2,000.00" in body


def test_reversed_and_resettled_visit_shows_its_history(world, login):
    first = world.settled_visit()
    reversal = cancel_settlement(first, reason="费用录入错误")
    visit = first.visit
    visit.refresh_from_db()
    body = body_of(login(world.supervisor), visit)
    assert first.setl_id in body and reversal.setl_id in body and "冲销" in body and "已撤销" in body
    again = settle_visit(visit, setl_time=timezone.now(), audit=False)
    assert again.kind == SettlementKind.SETTLEMENT and again.status == SettlementStatus.SETTLED
    body = body_of(login(world.supervisor), visit)
    history = body[body.index('id="history"'):body.index('id="items"')]
    assert history.index(first.setl_id) < history.index(reversal.setl_id) < history.index(again.setl_id)
    breakdown = body[body.index('id="breakdown"'):body.index('id="lines"')]
    assert again.setl_id in breakdown  # the breakdown is of the settlement in force


def test_hits_and_items_are_listed_with_links(world, login):
    item = world.item()
    body = body_of(login(world.caseworker), item.visit)
    assert reverse("workspace:item", args=[item.pk]) in body and "DUP-01" in body
    assert "同日重复收取血常规" in body


def test_visit_ids_link_to_the_visit_page(world, login):
    item = world.item()
    visit = item.visit
    client = login(world.caseworker)
    href = f'href="{url(visit)}"'
    for page in (reverse("workspace:person", args=[visit.person.psn_no]),
                 reverse("workspace:search") + "?q=" + visit.mdtrt_id,
                 reverse("workspace:queue"),
                 reverse("workspace:item", args=[item.pk])):
        assert href in client.get(page).content.decode(), page


def test_unknown_visit_is_404_and_doors_are_bureau_only(world, login, client):
    settlement = world.settled_visit()
    assert client.get(url(settlement.visit)).status_code == 302  # anonymous: to the login page
    assert login(world.hosp_a).get(url(settlement.visit)).status_code == 403
    assert login(world.nobody).get(url(settlement.visit)).status_code == 403
    assert login(world.caseworker).get(reverse("workspace:visit", args=["NO-SUCH"])).status_code == 404


def assert_adds_up(settlement) -> None:
    for group in settlement_breakdown(settlement):
        if group["children"]:
            assert sum(c["amount"] for c in group["children"]) == group["amount"], (settlement.setl_id, group)
        for node in (group, *group["children"]):
            assert node["amount"] >= 0, (settlement.setl_id, node)
            assert node["amount"] == node["amount"].quantize(D("0.01"))


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_breakdown_adds_up_to_the_fen_on_every_shared_case(db, path):
    result = run_case(json.loads(path.read_text(encoding="utf-8")))
    assert result.settlements
    for settlement in result.settlements.values():
        settlement.refresh_from_db()
        assert_adds_up(settlement)


@pytest.mark.parametrize("path", PROJECT_CASE_FILES, ids=lambda p: p.stem)
def test_breakdown_adds_up_to_the_fen_with_the_projects_layers(db, path):
    result = run_case(json.loads(path.read_text(encoding="utf-8")))
    assert result.differences == []
    for settlement in result.settlements.values():
        settlement.refresh_from_db()
        assert_adds_up(settlement)


def test_a_delivery_shows_its_layers_and_its_kind_by_label(db, login):
    result = run_case(json.loads(PROJECT_CASE_FILES[2].read_text(encoding="utf-8")))
    delivery = result.settlements["M1"]
    delivery.refresh_from_db()
    with translation.override("en"):
        labels = {str(c["label"]): c["amount"] for g in settlement_breakdown(delivery) for c in [g, *g["children"]]}
    assert labels["Maternity fund"] == D("3800.00")
    assert labels["Maternity allowance (paid to the person)"] == D("29037.01")
    assert "Civil-servant medical subsidy" not in labels  # a layer that paid nothing is not shown
    ensure_roles()
    body = body_of(login(make_user("jingban-m", "caseworker")), delivery.visit)
    card = body[body.index('id="breakdown"'):]
    assert "生育类别 正常产" in card and "生育基金" in card and "生育津贴（支付给参保人）" in card
    assert "29,037.01" in card and "3,800.00" in card


def test_the_shared_cases_are_there():
    assert len(CASE_FILES) >= 11


def test_copay_closes_the_in_scope_amount(world):
    settlement = world.settled_visit()
    assert_adds_up(settlement)
    assert inscp_copay(settlement) == (settlement.inscp_scp_amt - settlement.act_pay_dedc - settlement.hifp_pay
                                      - settlement.hifob_pay)
    assert settlement.act_pay_dedc + settlement.hifp_pay + settlement.hifob_pay + inscp_copay(settlement) \
        == settlement.inscp_scp_amt

