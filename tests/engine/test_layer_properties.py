"""The shared spec's invariants over the project's layers (docs/benefit-layers.md): random persons (civil
servants, veterans alone or beside a basic enrollment, maternity enrollments, 门慢特 qualifications) and
random visits (inpatient, 门慢特, prenatal, delivery) under one pack holding all four layers.

* every amount >= 0; fund + personal part = medfee; account + cash = personal part; fund_pay_sumamt is the
  sum of every layer's amount; the allowance is not in it;
* over the year no cap of a new layer is exceeded: the subsidy's cap, the prenatal limit, the 门慢特 caps;
* one visit at a time ≡ one batch ≡ chunks by person; cancelling and settling again gives the same.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy_rules.engine import adjudicate
from policy_rules.engine.cases import case_frames
from policy_rules.engine.money import fen_str, to_fen

from .test_properties import check_cancel_and_settle_again, check_chunks_by_person, check_one_at_a_time

CASES = Path(__file__).resolve().parents[2] / "policy_rules" / "fixtures" / "cases"
FUNDS = ("hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "cvlserv_pay", "hifdm_pay", "oth_pay", "matn_pay")


def _load(name):
    return json.loads((CASES / f"{name}.json").read_text())


def _pack() -> dict:
    """One pack with the four layers of the project's case files."""
    docs = {n: _load(n) for n in ("civil-servant", "veterans", "chronic-diseases", "maternity")}
    pack = dict(docs["civil-servant"]["policy"], code="PROJ-ALL-2026", name="四层合一")
    for key, name in (("veterans", "veterans"), ("chronic", "chronic-diseases"), ("maternity", "maternity")):
        pack[key] = docs[name]["policy"][key]
    pack["caps"] = {**pack["caps"], **docs["chronic-diseases"]["policy"]["caps"]}
    return pack


PACK = _pack()
CATALOG = _load("veterans")["catalog"]
INSTITUTIONS = _load("chronic-diseases")["institutions"]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = ("employee", "civil_servant", "erhyi", "lixiu", "maternity", "resident")


@st.composite
def person(draw, psn_no):
    kind = draw(st.sampled_from(KINDS))
    p = {"psn_no": psn_no, "name": psn_no, "gender": "2", "birth_date": "1980-01-01", "insutype": "310",
         "psn_type": "in_service", "enrolled_from": "2010-01-01", "enrolled_to": None, "paid_through": "2026-12",
         "assistance_category": None, "acct_balance": fen_str(draw(st.integers(0, 50_000))),
         "ytd": {"civil_servant_paid": fen_str(draw(st.integers(0, 2_100_000))),
                 "prenatal_paid": fen_str(draw(st.integers(0, 110_000))),
                 "cap_paid": {"chronic_common": fen_str(draw(st.integers(0, 420_000)))}}}
    parallel = {"civil_servant": "320", "erhyi": "350", "maternity": "510"}.get(kind)
    if parallel:
        p["parallel"] = [{"insutype": parallel, "enrolled_from": "2012-01-01",
                          "enrolled_to": draw(st.sampled_from([None, "2026-06-30"]))}]
    if kind == "lixiu":
        p.update(insutype="340", psn_type="retiree", paid_through=None)
    if kind == "resident":
        p.update(insutype="390", psn_type="resident_adult")
    if kind == "maternity":
        p["employer_wage"] = fen_str(draw(st.integers(0, 3_000_000)))
    p["qualifications"] = [
        {"disease": d, "valid_from": "2026-02-01", "valid_to": draw(st.sampled_from(["2026-09-30", "2027-12-31"])),
         "fixmedins_code": draw(st.sampled_from(["", INSTITUTIONS[1]["fixmedins_code"]]))}
        for d in draw(st.lists(st.sampled_from(["M03900", "M07800"]), max_size=2, unique=True))]
    return p


@st.composite
def visit(draw, mdtrt_id, psn_no):
    med_type = draw(st.sampled_from(["21", "14", "51", "52"]))
    day = f"2026-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}"
    lines = []
    for sn in range(1, draw(st.integers(1, 3)) + 1):
        amount = fen_str(draw(st.integers(1, 3_000_000)))
        lines.append({"feedetl_sn": str(sn), "med_list_codg": draw(st.sampled_from([c["code"] for c in CATALOG])),
                      "cnt": "1", "pric": amount, "det_item_fee_sumamt": amount})
    v = {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "fixmedins_code": draw(st.sampled_from(INSTITUTIONS))["fixmedins_code"],
         "med_type": med_type, "begntime": f"{day}T08:00:00", "endtime": f"{day}T09:00:00",
         "setl_time": f"{day}T{draw(st.integers(9, 20)):02d}:00:00", "lines": lines}
    if med_type == "14":
        v["dise_codg"] = draw(st.sampled_from(["M03900", "M07800", "M99999"]))
    if med_type == "52":
        v["matn_type"] = draw(st.sampled_from(["1", "3", "5", "9"]))
    return v


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 4))
    persons = [draw(person(f"P{i}")) for i in range(n)]
    visits = [draw(visit(f"V{i}{j}", p["psn_no"])) for i, p in enumerate(persons)
              for j in range(draw(st.integers(1, 6)))]
    doc = {"title": "random", "policy": PACK, "catalog": CATALOG, "institutions": INSTITUTIONS, "persons": persons,
           "visits": visits, "expected": {}}
    return {"doc": doc, "persons": persons, "partition": [draw(st.integers(0, 2)) for _ in persons],
            "cancel_person": draw(st.integers(0, n - 1)), "cancel_count": draw(st.integers(1, 3))}


@SETTINGS
@given(scenarios())
def test_layer_invariants(sc):
    frames = case_frames(sc["doc"])
    batch = adjudicate(**frames)
    s = batch.settlements
    for c in (*FUNDS, "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "act_pay_dedc", "matn_alwn_amt"):
        assert (s[c] >= 0).all(), c
    assert (s["fund_pay_sumamt"] == s[list(FUNDS)].sum(axis=1)).all()
    assert (s["fund_pay_sumamt"] + s["psn_part_amt"] == s["medfee_sumamt"]).all()
    assert (s["acct_pay"] + s["psn_cash_pay"] == s["psn_part_amt"]).all()
    check_caps(sc, frames, s)
    check_one_at_a_time(frames, batch)
    check_chunks_by_person(sc, frames, batch)
    check_cancel_and_settle_again(sc, frames, batch)


def check_caps(sc, frames, s):
    med_type = dict(zip(frames["visits"]["mdtrt_id"], frames["visits"]["med_type"], strict=True))
    disease = {v["mdtrt_id"]: v.get("dise_codg") for v in sc["doc"]["visits"]}
    totals = defaultdict(int)
    for row in s.itertuples(index=False):
        totals[(row.psn_no, "cs")] += row.cvlserv_pay
        if med_type[row.mdtrt_id] == "51":
            totals[(row.psn_no, "prenatal")] += row.matn_pay
        if med_type[row.mdtrt_id] == "14" and disease[row.mdtrt_id] == "M03900":
            totals[(row.psn_no, "chronic")] += row.hifp_pay
    for p in sc["persons"]:
        ytd = p["ytd"]
        factor = 60 if p["insutype"] == "390" and not p.get("parallel") else 100
        assert totals[(p["psn_no"], "cs")] <= max(0, to_fen("20000") - to_fen(ytd["civil_servant_paid"]))
        assert totals[(p["psn_no"], "prenatal")] <= max(0, to_fen("1000") * factor // 100 - to_fen(ytd["prenatal_paid"]))
        assert totals[(p["psn_no"], "chronic")] <= max(0, to_fen("4000") - to_fen(ytd["cap_paid"]["chronic_common"]))
