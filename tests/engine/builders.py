"""Small engine inputs for unit tests, built with the engine's own record builders (frames.py).

    frames = one_person(pack(benefit(...)), [visit("1000.00"), visit("500.00", med_type="11")])
    result = settle(frames)
    assert amounts(result)["V1"]["hifp_pay"] == "720.00"

Money in and out is decimal strings with two places; a visit given as an amount gets one line of the
class 甲 item "A" (cnt 1, pric = the amount), so its in-scope amount is the amount itself.
"""
from __future__ import annotations

import copy

import pandas as pd

from policy_rules.engine import adjudicate, parse_pack
from policy_rules.engine.cases import SETL_FIELDS
from policy_rules.engine.frames import (
    catalog_frame,
    lines_frame,
    persons_frame,
    state_frame,
    state_from_ytd,
    visits_frame,
)
from policy_rules.engine.money import fen_str

# 甲 / 乙 (policy default share) / 乙 with its own 20% share / 丙
CATALOG = [
    {"code": "A", "name": "甲类药", "chrg_lv": "01"},
    {"code": "B", "name": "乙类药", "chrg_lv": "02"},
    {"code": "B20", "name": "乙类药(自付20%)", "chrg_lv": "02", "selfpay_prop": "0.20"},
    {"code": "C", "name": "丙类药", "chrg_lv": "03"},
]


def benefit(insutype="310", med_type="21", *, deductible=None, ratio=None, cap_group=None, **ratio_opts) -> dict:
    """One benefit. Defaults: no deductible (per year, 0) and 0.50 at every level."""
    doc = {
        "insutype": insutype, "med_type": med_type,
        "deductible": deductible or {"per": "year", "amount": "0"},
        "ratio": {"by_level": ratio or {lv: "0.50" for lv in "0123"}, **ratio_opts},
    }
    if cap_group is not None:
        doc["cap_group"] = cap_group
    return doc


def pack(*benefits, year=2026, caps=None, code=None, default_selfpay_prop="0.10", **layers) -> dict:
    """A policy pack document for one calendar year (layers: large_amount, critical_illness, ...)."""
    doc = {
        "code": code or f"T-{year}", "name": f"test policy {year}", "region": "410800",
        "effective_from": f"{year}-01-01", "effective_to": f"{year}-12-31",
        "default_selfpay_prop": default_selfpay_prop, "caps": caps or {},
        "benefits": list(benefits) or [benefit()],
    }
    doc.update(layers)
    return doc


def person(psn_no="P1", **over) -> dict:
    rec = {
        "psn_no": psn_no, "gender": "1", "birth_date": "1970-05-01", "insutype": "310",
        "psn_type": "in_service", "enrolled_from": "2020-01-01", "enrolled_to": None,
        "paid_through": "2026-12", "assistance_category": None, "acct_balance": "0",
    }
    rec.update(over)
    return rec


def visit(amount=None, *, lines=None, med_type="21", level=3, begntime="2026-03-01T08:00:00", setl_time=None,
          designated=True, psn_no=None, mdtrt_id=None) -> dict:
    """A visit: either `amount` (one 甲 line) or `lines` [(code, cnt, pric, amount), ...]."""
    if lines is None:
        lines = [("A", "1", amount, amount)]
    return {
        "mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": med_type, "level": level, "begntime": begntime,
        "setl_time": setl_time or begntime, "designated": designated, "lines": lines,
    }


def make_input(policies, persons, visits, *, catalog=None, ytd=None) -> dict:
    """Engine frames for several persons. `policies`: pack documents (or one); `ytd`:
    {psn_no: {year: ytd object as in a case file}} (or {psn_no: ytd} for 2026)."""
    docs = policies if isinstance(policies, list | tuple) else [policies]
    by_psn = {p["psn_no"]: p for p in persons}
    visit_rows, line_rows = [], []
    for i, v in enumerate(visits, start=1):
        mdtrt_id = v.get("mdtrt_id") or f"V{i}"
        p = by_psn[v.get("psn_no") or persons[0]["psn_no"]]
        visit_rows.append({
            "mdtrt_id": mdtrt_id, "psn_no": p["psn_no"], "med_type": v["med_type"], "begntime": v["begntime"],
            "setl_time": v["setl_time"], "inst_level": v["level"], "inst_designated": v["designated"],
            "insutype": p["insutype"], "psn_type": p["psn_type"], "enrolled_from": p["enrolled_from"],
            "enrolled_to": p.get("enrolled_to"), "paid_through": p.get("paid_through"),
            "assistance_category": p.get("assistance_category"),
        })
        for sn, (code, cnt, pric, amt) in enumerate(v["lines"], start=1):
            line_rows.append({"mdtrt_id": mdtrt_id, "feedetl_sn": str(sn), "med_list_codg": code, "cnt": cnt,
                              "pric": pric, "det_item_fee_sumamt": amt})
    state_rows = []
    for psn_no, by_year in (ytd or {}).items():
        if not all(isinstance(k, int) for k in by_year):
            by_year = {2026: by_year}
        for year, obj in by_year.items():
            state_rows += state_from_ytd(psn_no, year, obj)
    return {
        "lines": lines_frame(line_rows), "visits": visits_frame(visit_rows), "persons": persons_frame(persons),
        "catalog": catalog_frame(copy.deepcopy(catalog if catalog is not None else CATALOG)),
        "policies": [parse_pack(d) for d in docs], "state": state_frame(state_rows),
    }


def one_person(policies, visits, *, catalog=None, ytd=None, **person_fields) -> dict:
    """Engine frames for one person (P1, fields overridable) and N visits (V1..VN in the given order)."""
    p = person(**person_fields)
    return make_input(policies, [p], visits, catalog=catalog, ytd={p["psn_no"]: ytd} if ytd else None)


def settle(frames: dict, **over):
    return adjudicate(**{**frames, **over})


def amounts(result) -> dict[str, dict]:
    """mdtrt_id → the 14 settlement amounts as 2-decimal strings, plus `reason` and `balc`."""
    out = {}
    for row in result.settlements.to_dict("records"):
        d = {f: fen_str(row[f]) for f in SETL_FIELDS}
        d["reason"] = None if pd.isna(row["ineligible_reason"]) else row["ineligible_reason"]
        d["balc"] = fen_str(row["balc"])
        out[row["mdtrt_id"]] = d
    return out


def line_amounts(result) -> dict[tuple[str, str], dict]:
    """(mdtrt_id, feedetl_sn) → the four line parts as strings, plus the reason."""
    out = {}
    for row in result.lines.to_dict("records"):
        d = {f: fen_str(row[f]) for f in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")}
        d["reason"] = None if pd.isna(row["reason"]) else row["reason"]
        out[(row["mdtrt_id"], row["feedetl_sn"])] = d
    return out


def state_dict(state: pd.DataFrame) -> dict[tuple, int]:
    """Accumulators as {(psn_no, year, kind, key): amount}, zeros left out."""
    return {(r.psn_no, int(r.year), r.kind, "" if pd.isna(r.key) else str(r.key)): int(r.amount)
            for r in state.itertuples(index=False) if int(r.amount) != 0}


def pick(d: dict, *fields) -> dict:
    return {f: d[f] for f in fields}
