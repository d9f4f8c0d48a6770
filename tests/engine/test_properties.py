"""The invariants of shared/spec/adjudication.md ("Invariants the engine must keep"), as properties over
random policy packs, catalogs, persons (with year-to-date state) and visits.

* every amount >= 0; line parts sum to the line amount; visit parts sum to medfee_sumamt;
  fund + personal part = medfee; account + cash = personal part; fund = hifp + hifob + hifmi + maf;
* over the year no cap (with what was paid before), no layer cap, no deductible maximum and no account
  balance is exceeded, and the pool never pays more than its best ratio;
* critical illness and medical assistance pay, visit by visit, F(B after) - F(B before) and
  G(A after) - G(A before), computed here from the spec's formulas in Decimal;
* one visit at a time (each call fed the previous call's state and accounts) ≡ one batch ≡ chunks by
  person (any partition);
* cancelling a person's last settlements (subtracting their deltas, restoring the account) and settling
  them again gives the same numbers and the same state.

Each example is one scenario (1-2 yearly packs, 1-3 persons, 1-8 visits each, ineligible ones included)
settled as a batch and then checked against all of these, so that generation is paid for once.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from policy_rules.engine import adjudicate
from policy_rules.engine.cases import SETL_FIELDS
from policy_rules.engine.frames import state_frame
from policy_rules.engine.money import fen_str, mul_div_round, to_fen

from .builders import make_input, state_dict

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

INSUTYPES = ("310", "390")
MED_TYPES = ("11", "14", "21")
LEVELS = ("0", "1", "2", "3")
GROUPS = ("g1", "g2", "g3")
CATEGORIES = ("tekun", "dibao", "dibian")
LINE_PARTS = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")
LAYERS = ("hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay")


# --- strategies -------------------------------------------------------------------------------------------

def often(p_true: float):
    """True with about this probability (hypothesis's own integers lean on their bounds)."""
    n = round(p_true * 20)
    return st.sampled_from([True] * n + [False] * (20 - n))


@functools.cache
def yuan(lo_fen: int, hi_fen: int):
    """Money as a 2-decimal string: round hundreds of yuan, or any fen amount in the range."""
    return st.one_of(st.integers(lo_fen // 10_000, hi_fen // 10_000).map(lambda y: y * 10_000),
                     st.integers(lo_fen, hi_fen)).map(fen_str)


RATIO = st.one_of(st.sampled_from(["0.5", "0.55", "0.6", "0.8", "0.9", "1", "1.00", "0"]),
                  st.integers(0, 1_000_000).map(lambda r: str(Decimal(r).scaleb(-6))))


def ratio():
    return RATIO


@st.composite
def per_level(draw, levels, strategy):
    """A value for each level: mostly one value shared by the levels, sometimes a level's own."""
    shared = draw(strategy)
    return {lv: shared if draw(often(0.6)) else draw(strategy) for lv in levels}


@st.composite
def bands(draw, max_upto=500_000_00):
    k = draw(st.integers(1, 3))
    uptos = sorted(draw(st.sets(st.integers(1, max_upto // 100), min_size=k, max_size=k)))
    out = [{"upto": fen_str(u * 100), "ratio": draw(ratio())} for u in uptos]
    if draw(often(0.7)):
        out[-1]["upto"] = None  # most band lists end unbounded
    return out


SMALL_DEDUCTIBLE = st.one_of(st.just("0"), yuan(0, 1_500_00))
POOL_RATIO = st.one_of(RATIO, bands(20_000_00))


@st.composite
def deductible(draw, levels):
    if draw(st.booleans()):
        d = {"per": "admission", "by_level": draw(per_level(levels, SMALL_DEDUCTIBLE))}
        if draw(st.booleans()):
            d["subsequent_factor"] = draw(st.sampled_from(["0", "0.5", "0.333333", "1", "1.25"]))
        if draw(st.booleans()):
            d["annual_max"] = draw(yuan(0, 3_000_00))
        return d
    if draw(st.booleans()):
        return {"per": "year", "amount": draw(SMALL_DEDUCTIBLE)}
    return {"per": "year", "by_level": draw(per_level(levels, SMALL_DEDUCTIBLE))}


@st.composite
def benefit_doc(draw, insutype, med_type):
    levels = list(LEVELS) if draw(often(0.7)) else draw(subset(LEVELS))
    ratio_doc = {"by_level": draw(per_level(levels, POOL_RATIO))}
    base = draw(st.sampled_from([None, "deductible", "zero"]))
    if base:
        ratio_doc["band_base"] = base
    if draw(st.booleans()):
        ratio_doc["retiree_bonus"] = draw(st.sampled_from(["0", "0.05", "0.1", "0.5"]))
    doc = {"insutype": insutype, "med_type": med_type, "deductible": draw(deductible(levels)), "ratio": ratio_doc}
    group = draw(st.sampled_from((None,) + GROUPS))
    if group:
        doc["cap_group"] = group
    return doc


def subset(options, min_size=1):
    """Half the time all of them, else any subset."""
    return st.one_of(st.just(sorted(options)),
                     st.sets(st.sampled_from(options), min_size=min_size, max_size=len(options)).map(sorted))


@st.composite
def policy_doc(draw, year):
    doc = {
        "code": f"P-{year}", "name": f"random {year}", "region": "410800",
        "effective_from": f"{year}-01-01", "effective_to": f"{year}-12-31",
        "default_selfpay_prop": draw(ratio()),
        "caps": {g: None if draw(often(0.25)) else draw(yuan(0, 3_000_00)) for g in GROUPS},
        "benefits": [draw(benefit_doc(i, m)) for i in INSUTYPES for m in MED_TYPES if draw(often(0.85))],
    }
    if not doc["benefits"]:
        doc["benefits"] = [draw(benefit_doc("310", "21"))]
    if draw(st.booleans()):
        doc["large_amount"] = {"insutypes": draw(subset(INSUTYPES)), "cap_groups": draw(subset(GROUPS)),
                               "ratio": draw(ratio()), "cap": draw(st.one_of(st.none(), yuan(0, 3_000_00)))}
    if draw(st.booleans()):
        ci = {"insutypes": draw(subset(INSUTYPES)), "med_types": draw(subset(MED_TYPES)),
              "deductible": draw(yuan(0, 3_000_00)), "bands": draw(bands(10_000_00)),
              "cap": draw(st.one_of(st.none(), yuan(0, 3_000_00)))}
        for k, options in (("bands_from", ["deductible", "zero"]), ("include_preselfpay", [True, False]),
                           ("include_deductible", [True, False])):
            if draw(st.booleans()):
                ci[k] = draw(st.sampled_from(options))
        doc["critical_illness"] = ci
    if draw(st.booleans()):
        doc["medical_assistance"] = {
            "med_types": draw(subset(MED_TYPES)), "include_preselfpay": draw(st.booleans()),
            "categories": {c: {"ratio": draw(ratio()), "deductible": draw(SMALL_DEDUCTIBLE),
                               "cap": draw(st.one_of(st.none(), yuan(0, 2_000_00)))}
                           for c in draw(subset(CATEGORIES, min_size=0))}}
    if draw(st.booleans()):
        doc["personal_account"] = {"insutypes": draw(subset(INSUTYPES)), "med_types": draw(subset(MED_TYPES))}
    return doc


def e4(value: int) -> str:
    return str(Decimal(value).scaleb(-4))


@st.composite
def catalog_doc(draw):
    items = []
    for i in range(draw(st.integers(1, 6))):
        item = {"code": f"I{i}", "name": f"item {i}", "chrg_lv": draw(st.sampled_from(["01", "02", "01", "02", "03"]))}
        if draw(st.booleans()):
            item["selfpay_prop"] = draw(ratio())
        if draw(often(0.3)):
            item["price_limit"] = e4(draw(st.one_of(st.integers(0, 3_000).map(lambda y: y * 10_000),
                                                    st.integers(0, 30_000_000))))
        if draw(often(0.2)):
            item["restrict"] = draw(st.fixed_dictionaries({}, optional={
                "gender": st.sampled_from(["1", "2"]), "min_age": st.integers(0, 80),
                "max_age": st.integers(0, 80), "min_level": st.sampled_from(LEVELS),
                "med_types": subset(MED_TYPES)}))
        items.append(item)
    return items


@st.composite
def ytd_doc(draw):
    opt = {
        "cap_paid": st.dictionaries(st.sampled_from(GROUPS), yuan(0, 5_000_00), max_size=2),
        "large_amount_paid": yuan(0, 3_000_00), "critical_illness_base": yuan(0, 20_000_00),
        "assistance_base": yuan(0, 3_000_00), "admissions": st.integers(0, 2),
        "deductible_used": st.dictionaries(st.sampled_from(MED_TYPES), yuan(0, 2_000_00), max_size=2),
        "band_position": st.dictionaries(st.sampled_from(GROUPS + MED_TYPES), yuan(0, 20_000_00), max_size=2),
    }
    return draw(st.fixed_dictionaries({}, optional=opt))


@st.composite
def person_doc(draw, psn_no):
    insutype = draw(st.sampled_from(INSUTYPES))
    types = ["in_service", "retiree"] if insutype == "310" else ["resident_adult", "student_child", "elderly"]
    ytd = {}
    for year in (2025, 2026):
        if draw(often(0.35)):
            ytd[year] = draw(ytd_doc())
    return {
        "psn_no": psn_no, "gender": draw(st.sampled_from(["1", "2"])),
        "birth_date": (dt.date(1940, 1, 1) + dt.timedelta(days=draw(st.integers(0, 31_000)))).isoformat(),
        "insutype": insutype, "psn_type": draw(st.sampled_from(types)),
        "enrolled_from": "2026-03-01" if draw(often(0.1)) else "2020-01-01",
        "enrolled_to": "2026-09-30" if draw(often(0.1)) else None,
        "paid_through": draw(st.sampled_from(["2026-12"] * 8 + [None, "2026-12", "2026-03", "2025-11"])),
        "assistance_category": draw(st.sampled_from([*CATEGORIES, "tekun", "dibao", "other", None, None])),
        "acct_balance": draw(st.one_of(yuan(0, 3_000_00), st.just("0"))),
        "_ytd": ytd,
    }


@st.composite
def line(draw, codes):
    cnt = draw(st.one_of(st.integers(1, 20).map(lambda c: c * 10_000), st.integers(1, 100_000)))  # 4 decimals
    pric = draw(st.one_of(st.integers(1, 3_000).map(lambda p: p * 10_000), st.integers(1, 30_000_000)))
    amount = (cnt * pric + 500_000) // 1_000_000  # round half up to the fen
    return (draw(st.sampled_from(codes)), e4(cnt), e4(pric), fen_str(amount))


START = dt.datetime(2025, 12, 1, 8)


@st.composite
def visit_doc(draw, psn_no, codes):
    begn = START + dt.timedelta(days=draw(st.integers(0, 400)), hours=draw(st.integers(0, 1)))
    setl = begn + dt.timedelta(days=draw(st.sampled_from([0, 0, 1, 12, 40])))
    return {
        "psn_no": psn_no, "med_type": draw(st.sampled_from(MED_TYPES)), "level": draw(st.integers(0, 3)),
        "designated": draw(often(0.9)), "begntime": begn.isoformat(), "setl_time": setl.isoformat(),
        "lines": [] if draw(often(0.05)) else draw(st.lists(line(codes), min_size=1, max_size=4)),
    }


@st.composite
def scenarios(draw):
    docs = [draw(policy_doc(2026))]
    if draw(st.booleans()):
        docs.insert(0, draw(policy_doc(2025)))
    catalog = draw(catalog_doc())
    codes = [c["code"] for c in catalog] * 4 + ["NOT-IN-CATALOG"]
    persons = [draw(person_doc(f"P{i}")) for i in range(draw(st.integers(1, 3)))]
    visits = []
    for p in persons:
        for _ in range(draw(st.integers(1, 8))):
            visits.append(draw(visit_doc(p["psn_no"], codes)))
    for i, v in enumerate(visits):
        v["mdtrt_id"] = f"M{draw(st.integers(0, 99)):02d}{i:02d}"  # ids out of visit order
    return {
        "docs": docs, "catalog": catalog, "persons": persons, "visits": visits,
        "partition": [draw(st.integers(0, 2)) for _ in persons],
        "cancel_person": draw(st.integers(0, len(persons) - 1)), "cancel_count": draw(st.integers(1, 8)),
    }


def build(sc) -> dict:
    persons = [{k: v for k, v in p.items() if k != "_ytd"} for p in sc["persons"]]
    ytd = {p["psn_no"]: p["_ytd"] for p in sc["persons"] if p["_ytd"]}
    return make_input(sc["docs"], persons, sc["visits"], catalog=sc["catalog"], ytd=ytd)


# --- helpers ----------------------------------------------------------------------------------------------

def part(frames, *, visit_ids=None, psn_nos=None, state=None, balances=None) -> dict:
    """The frames restricted to some visits or persons, with a given state and account balances.

    Restricted to visits, the whole state is passed on (and comes back, updated, in Result.state)."""
    visits = frames["visits"]
    if visit_ids is not None:
        visits = visits[visits["mdtrt_id"].isin(visit_ids)]
    if psn_nos is not None:
        visits = visits[visits["psn_no"].isin(psn_nos)]
    persons = frames["persons"][frames["persons"]["psn_no"].isin(set(visits["psn_no"]))].copy()
    if balances is not None:
        persons["acct_balance_fen"] = persons["psn_no"].map(balances).astype("int64")
    state = frames["state"] if state is None else state
    if psn_nos is not None:  # a chunk of persons carries only its persons' state
        state = state[state["psn_no"].isin(psn_nos)]
    lines = frames["lines"][frames["lines"]["mdtrt_id"].isin(set(visits["mdtrt_id"]))]
    return {**frames, "visits": visits, "lines": lines, "persons": persons, "state": state}


def settlement_rows(settlements: pd.DataFrame) -> pd.DataFrame:
    return settlements.sort_values("mdtrt_id").reset_index(drop=True)


def line_rows(lines: pd.DataFrame) -> pd.DataFrame:
    return lines.sort_values(["mdtrt_id", "feedetl_sn"]).reset_index(drop=True)


def assert_same(got_settlements, got_lines, want_settlements, want_lines):
    """Same settlements (every column: amounts, reason, year, policy, balc) and the same line splits."""
    pd.testing.assert_frame_equal(settlement_rows(got_settlements), settlement_rows(want_settlements),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(line_rows(got_lines), line_rows(want_lines), check_dtype=False)


def frame_of_state(d: dict) -> pd.DataFrame:
    return state_frame([{"psn_no": k[0], "year": k[1], "kind": k[2], "key": k[3], "amount": v} for k, v in d.items()])


def accounts_dict(result) -> dict:
    return dict(zip(result.accounts["psn_no"], result.accounts["balance_fen"].astype(int), strict=True))


def half_up(d: Decimal) -> int:
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- properties -------------------------------------------------------------------------------------------

@SETTINGS
@given(scenarios())
def test_engine_invariants(sc):
    """One random scenario, settled as a batch, then checked against every property."""
    frames = build(sc)
    batch = adjudicate(**frames)
    check_amounts_add_up(batch)
    check_limits(sc, frames, batch.settlements)
    check_cumulative_layers(sc, frames, batch.settlements)
    check_one_at_a_time(frames, batch)
    check_chunks_by_person(sc, frames, batch)
    check_cancel_and_settle_again(sc, frames, batch)


def check_amounts_add_up(result):
    s = result.settlements
    lines = result.lines

    # every amount >= 0; line parts sum to the line amount
    assert (lines[["amount_fen", *LINE_PARTS]] >= 0).all().all()
    assert (lines[list(LINE_PARTS)].sum(axis=1) == lines["amount_fen"]).all()
    assert (s[[*SETL_FIELDS, "balc"]] >= 0).all().all(), s[[*SETL_FIELDS]].min()
    # visit parts sum to medfee; the totals
    assert (s[list(LINE_PARTS)].sum(axis=1) == s["medfee_sumamt"]).all()
    assert (s["fund_pay_sumamt"] + s["psn_part_amt"] == s["medfee_sumamt"]).all()
    assert (s["acct_pay"] + s["psn_cash_pay"] == s["psn_part_amt"]).all()
    assert (s[list(LAYERS)].sum(axis=1) == s["fund_pay_sumamt"]).all()
    assert (s["act_pay_dedc"] <= s["inscp_scp_amt"]).all()
    assert (s["hifp_pay"] <= s["inscp_scp_amt"] - s["act_pay_dedc"]).all()
    # visit totals are the sums of their lines
    sums = lines.groupby("mdtrt_id")[["amount_fen", *LINE_PARTS]].sum()
    for row in s.itertuples(index=False):
        want = sums.loc[row.mdtrt_id].tolist() if row.mdtrt_id in sums.index else [0] * 5
        assert [row.medfee_sumamt, *(getattr(row, f) for f in LINE_PARTS)] == want
    # an ineligible visit: nothing from the funds, nothing from the account, nothing accumulated
    inel = s[s["ineligible_reason"].notna()]
    assert (inel[["act_pay_dedc", *LAYERS, "acct_pay"]] == 0).all().all()
    assert (inel["psn_cash_pay"] == inel["medfee_sumamt"]).all()
    assert not set(inel["mdtrt_id"]) & set(result.deltas["mdtrt_id"])


def check_limits(sc, frames, s):
    """Over each person's year: caps (with the year-to-date), layer caps, deductible maximums, balances."""
    docs = {int(d["effective_from"][:4]): d for d in sc["docs"]}
    persons = {p["psn_no"]: p for p in sc["persons"]}
    visits = {v["mdtrt_id"]: v for v in frames["visits"][["mdtrt_id", "med_type", "inst_level"]].to_dict("records")}
    totals = defaultdict(int)
    for row in s[s["ineligible_reason"].isna()].itertuples(index=False):
        p, year = persons[row.psn_no], int(row.year)
        doc, v = docs[year], visits[row.mdtrt_id]
        ben = next(b for b in doc["benefits"] if (b["insutype"], b["med_type"]) == (p["insutype"], v["med_type"]))
        group = ben.get("cap_group")
        if group:
            totals[("cap", row.psn_no, year, group)] += row.hifp_pay
        totals[("ded", row.psn_no, year, v["med_type"])] += row.act_pay_dedc
        for layer in ("hifob_pay", "hifmi_pay", "maf_pay"):
            totals[(layer, row.psn_no, year, "")] += getattr(row, layer)
        # the pool pays at most the best ratio of the visit's level (with the retiree bonus, at most 1)
        r = ben["ratio"]["by_level"][str(v["inst_level"])]
        best = max(Decimal(b["ratio"]) for b in r) if isinstance(r, list) else Decimal(r)
        if p["psn_type"] == "retiree":
            best = min(best + Decimal(ben["ratio"].get("retiree_bonus", "0")), Decimal(1))
        assert row.hifp_pay <= half_up((row.inscp_scp_amt - row.act_pay_dedc) * best)

    def ytd(psn_no, year, kind, key=None):
        obj = persons[psn_no]["_ytd"].get(year, {}).get(kind) or ({} if key is not None else "0")
        return to_fen(obj.get(key, "0") if key is not None else obj)

    for (what, psn_no, year, key), total in totals.items():
        doc = docs[year]
        if what == "cap":
            cap = doc["caps"].get(key)
            if cap is not None:
                assert total <= max(0, to_fen(cap) - ytd(psn_no, year, "cap_paid", key)), (what, key)
        elif what == "ded":
            ben = next(b for b in doc["benefits"]
                       if (b["insutype"], b["med_type"]) == (persons[psn_no]["insutype"], key))
            d = ben["deductible"]
            used = ytd(psn_no, year, "deductible_used", key)
            if d["per"] == "admission" and d.get("annual_max") is not None:
                assert total <= max(0, to_fen(d["annual_max"]) - used)
            elif d["per"] == "year":
                most = max(to_fen(a) for a in ([d["amount"]] if "amount" in d else d["by_level"].values()))
                assert total <= max(0, most - used)
        elif what == "hifob_pay" and total:
            cap = doc["large_amount"]["cap"]
            if cap is not None:
                assert total <= max(0, to_fen(cap) - ytd(psn_no, year, "large_amount_paid"))
        elif what == "hifmi_pay" and total:
            cap = doc["critical_illness"]["cap"]
            if cap is not None:
                assert total <= to_fen(cap)
        elif what == "maf_pay" and total:
            cap = doc["medical_assistance"]["categories"][persons[psn_no]["assistance_category"]]["cap"]
            if cap is not None:
                assert total <= to_fen(cap)
    # accounts: never below zero, and the balance falls by exactly what the account paid
    paid = s.groupby("psn_no")["acct_pay"].sum()
    for psn_no, p in persons.items():
        assert paid.get(psn_no, 0) <= to_fen(p["acct_balance"])


def cumulative(total: int, deductible: int, bands: list[dict], from_zero: bool, cap: int | None) -> int:
    """The spec's F(B): min(cap, round(Σ ratio_k × the part of B above the deductible in band k)), fen."""
    lo, hi = (deductible, max(deductible, total)) if from_zero else (0, max(total - deductible, 0))
    paid, lower = Decimal(0), 0
    for band in bands:
        upper = hi if band["upto"] is None else to_fen(band["upto"])
        paid += max(0, min(hi, upper) - max(lo, lower)) * Decimal(band["ratio"])
        lower = upper
    return half_up(paid) if cap is None else min(half_up(paid), cap)


def check_cumulative_layers(sc, frames, s):
    """Critical illness and medical assistance, visit by visit, against the spec's cumulative F(B) and G(A):
    hifmi = F(B after) - F(B before), maf = G(A after) - G(A before), B and A starting at the year-to-date."""
    docs = {int(d["effective_from"][:4]): d for d in sc["docs"]}
    persons = {p["psn_no"]: p for p in sc["persons"]}
    med_types = dict(zip(frames["visits"]["mdtrt_id"], frames["visits"]["med_type"], strict=True))
    rows = s.set_index("mdtrt_id").loc[[m for m, _ in settlement_order(frames)]].reset_index()
    position = {}
    for row in rows.itertuples(index=False):
        p, year = persons[row.psn_no], int(row.year)
        doc, med_type = docs.get(year), med_types[row.mdtrt_id]
        ci = (doc or {}).get("critical_illness")
        hifmi = maf = 0
        if row.ineligible_reason is None and ci and p["insutype"] in ci["insutypes"] and med_type in ci["med_types"]:
            base = row.inscp_scp_amt - row.hifp_pay - row.hifob_pay
            base += row.preselfpay_amt if ci.get("include_preselfpay") else 0
            base -= 0 if ci.get("include_deductible", True) else row.act_pay_dedc
            assert base >= 0
            key = ("ci", row.psn_no, year)
            b0 = position.get(key, to_fen(p["_ytd"].get(year, {}).get("critical_illness_base", "0")))
            position[key] = b0 + base
            args = (to_fen(ci["deductible"]), ci["bands"], ci.get("bands_from") == "zero",
                    None if ci["cap"] is None else to_fen(ci["cap"]))
            hifmi = cumulative(b0 + base, *args) - cumulative(b0, *args)
        assert row.hifmi_pay == hifmi, (row.mdtrt_id, "hifmi_pay")
        ma = (doc or {}).get("medical_assistance")
        cat = ma and ma["categories"].get(p["assistance_category"])
        if row.ineligible_reason is None and cat and med_type in ma["med_types"]:
            base = row.inscp_scp_amt - row.hifp_pay - row.hifob_pay - row.hifmi_pay
            base += row.preselfpay_amt if ma["include_preselfpay"] else 0
            assert base >= 0
            key = ("ma", row.psn_no, year)
            a0 = position.get(key, to_fen(p["_ytd"].get(year, {}).get("assistance_base", "0")))
            position[key] = a0 + base
            args = (to_fen(cat["deductible"]), [{"upto": None, "ratio": cat["ratio"]}], False,
                    None if cat["cap"] is None else to_fen(cat["cap"]))
            maf = cumulative(a0 + base, *args) - cumulative(a0, *args)
        assert row.maf_pay == maf, (row.mdtrt_id, "maf_pay")


def settlement_order(frames):
    return frames["visits"].sort_values(["setl_time", "mdtrt_id"])[["mdtrt_id", "psn_no"]].to_numpy()


def check_one_at_a_time(frames, batch):
    """Each visit alone, in settlement order, each call fed the previous call's state and accounts."""
    balances0 = dict(zip(frames["persons"]["psn_no"], frames["persons"]["acct_balance_fen"].astype(int), strict=True))
    paid = batch.settlements.groupby("psn_no")["acct_pay"].sum()
    assert accounts_dict(batch) == {k: v - int(paid.get(k, 0)) for k, v in balances0.items()}

    visit_of = {m: frames["visits"].iloc[[i]] for i, m in enumerate(frames["visits"]["mdtrt_id"])}
    lines_of = dict(tuple(frames["lines"].groupby("mdtrt_id", sort=False)))
    person_of = {p: frames["persons"].iloc[[i]] for i, p in enumerate(frames["persons"]["psn_no"])}
    no_lines = frames["lines"].iloc[:0]
    state, balances = frames["state"], dict(balances0)
    settled, split = [], []
    for mdtrt_id, psn_no in settlement_order(frames):
        r = adjudicate(lines=lines_of.get(mdtrt_id, no_lines), visits=visit_of[mdtrt_id],
                       persons=person_of[psn_no].assign(acct_balance_fen=balances[psn_no]),
                       catalog=frames["catalog"], policies=frames["policies"], state=state)
        settled.append(r.settlements)
        split.append(r.lines)
        state = r.state
        balances.update(accounts_dict(r))
    assert_same(pd.concat(settled), pd.concat(split), batch.settlements, batch.lines)
    assert state_dict(state) == state_dict(batch.state)
    assert balances == accounts_dict(batch)


def check_chunks_by_person(sc, frames, batch):
    """The batch split into chunks by person (the drawn partition), each chunk with its persons' state."""
    chunks = defaultdict(list)
    for p, c in zip(sc["persons"], sc["partition"], strict=True):
        chunks[c].append(p["psn_no"])
    results = [adjudicate(**part(frames, psn_nos=psns)) for psns in chunks.values()]
    assert_same(pd.concat([r.settlements for r in results]), pd.concat([r.lines for r in results]),
                batch.settlements, batch.lines)
    merged = {}
    for r in results:
        merged.update(state_dict(r.state))
        assert set(accounts_dict(r).items()) <= set(accounts_dict(batch).items())
    assert merged == state_dict(batch.state)


def check_cancel_and_settle_again(sc, frames, batch):
    """Cancel a person's last k settlements (冲销): subtract their deltas from the state and give back what
    the account paid; settling the same visits again gives the same numbers and the same state."""
    psn_no = sc["persons"][sc["cancel_person"]]["psn_no"]
    mine = [m for m, p in settlement_order(frames) if p == psn_no]
    cancelled = mine[-min(sc["cancel_count"], len(mine)):]
    undone = state_dict(batch.state)
    for row in batch.deltas[batch.deltas["mdtrt_id"].isin(cancelled)].itertuples(index=False):
        k = (row.psn_no, int(row.year), row.kind, row.key)
        undone[k] = undone.get(k, 0) - int(row.delta)
    refund = int(batch.settlements.loc[batch.settlements["mdtrt_id"].isin(cancelled), "acct_pay"].sum())
    balances = {**accounts_dict(batch), psn_no: accounts_dict(batch)[psn_no] + refund}
    again = adjudicate(**part(frames, visit_ids=cancelled, state=frame_of_state(undone), balances=balances))
    assert_same(again.settlements, again.lines, batch.settlements[batch.settlements["mdtrt_id"].isin(cancelled)],
                batch.lines[batch.lines["mdtrt_id"].isin(cancelled)])
    assert state_dict(again.state) == state_dict(batch.state)
    assert accounts_dict(again)[psn_no] == accounts_dict(batch)[psn_no]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**40), st.integers(0, 2**40), st.integers(1, 2**40)), min_size=1,
                max_size=5))
@example([(2**40, 2**40, 2**30 + 1), (3, 5, 2), (1, 1, 2), (1, 1, 3)])  # beyond int64; 7.5 → 8; 0.5 → 1
def test_mul_div_round_is_exact_half_up_also_beyond_int64(triples):
    """round_half_up(a × b / d) on arrays equals the exact integer answer, also when a × b overflows int64
    (the answer itself is a money amount and fits in int64)."""
    assume(all(x * y // z < 2**62 for x, y, z in triples))
    a, b, d = (np.array(x, dtype=np.int64) for x in zip(*triples, strict=True))
    want = [(x * y * 2 + z) // (2 * z) for x, y, z in triples]  # half up for non-negative values
    assert mul_div_round(a, b, d).tolist() == want
