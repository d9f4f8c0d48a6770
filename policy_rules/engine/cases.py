"""Case files (shared/spec/case-format.md): parse them into engine frames and compare results."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .facts import PARALLEL_COLUMNS, QUALIFICATION_COLUMNS, chronic_flags, parallel_in_force
from .frames import catalog_frame, lines_frame, persons_frame, state_frame, state_from_ytd, visits_frame
from .money import fen_str, to_fen
from .pack import PolicyPack, PolicyPackError, parse_pack

SETL_FIELDS = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
    "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay",
)
LINE_FIELDS = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "reason")
TOP_KEYS = ("title", "policy", "catalog", "institutions", "persons", "visits", "expected")


class CaseFormatError(ValueError):
    pass


@dataclass
class Difference:
    mdtrt_id: str
    field: str
    expected: object
    got: object


def validate_case(doc) -> PolicyPack:
    """Check the case file's shape; return its parsed policy pack. Raises CaseFormatError."""
    if not isinstance(doc, dict):
        raise CaseFormatError("a case file must be a JSON object")
    missing = [k for k in TOP_KEYS if k not in doc]
    if missing:
        raise CaseFormatError(f"missing top-level keys: {', '.join(missing)}")
    for k in ("catalog", "institutions", "persons", "visits"):
        if not isinstance(doc[k], list):
            raise CaseFormatError(f"{k} must be a list")
    if not isinstance(doc["expected"], dict):
        raise CaseFormatError("expected must be an object keyed by mdtrt_id")
    try:
        pack = parse_pack(doc["policy"])
    except PolicyPackError as exc:
        raise CaseFormatError(f"policy: {exc}") from exc
    ids = set()
    for i, v in enumerate(doc["visits"]):
        for f in ("mdtrt_id", "psn_no", "fixmedins_code", "med_type", "begntime", "setl_time", "lines"):
            if f not in v:
                raise CaseFormatError(f"visits[{i}].{f} is required")
        ids.add(v["mdtrt_id"])
    unknown = set(doc["expected"]) - ids
    if unknown:
        raise CaseFormatError(f"expected names visits that are not in visits[]: {sorted(unknown)}")
    return pack


def case_frames(doc) -> dict:
    """A case file → the engine's input frames (used by pure-engine tests and simulations)."""
    pack = validate_case(doc)
    insts = {i["fixmedins_code"]: i for i in doc["institutions"]}
    persons = {p["psn_no"]: p for p in doc["persons"]}
    visit_rows, line_rows = [], []
    for v in doc["visits"]:
        p, inst = persons[v["psn_no"]], insts[v["fixmedins_code"]]
        visit_rows.append({
            **{k: x for k, x in v.items() if k != "lines"}, "inst_level": int(inst["level"]),
            "inst_designated": bool(inst["designated"]),
            "insutype": p["insutype"], "psn_type": p["psn_type"], "enrolled_from": p["enrolled_from"],
            "enrolled_to": p.get("enrolled_to"), "paid_through": p.get("paid_through"),
            "assistance_category": p.get("assistance_category"),
        })
        line_rows += [{**ln, "mdtrt_id": v["mdtrt_id"]} for ln in v["lines"]]
    _layer_facts(doc, visit_rows)
    years = sorted({pd.Timestamp(v["setl_time"]).year for v in doc["visits"]}) or [pack.effective_from.year]
    state_rows = [r for p in doc["persons"] for r in state_from_ytd(p["psn_no"], years[0], p.get("ytd") or {})]
    return {
        "lines": lines_frame(line_rows), "visits": visits_frame(visit_rows), "persons": persons_frame(doc["persons"]),
        "catalog": catalog_frame(doc["catalog"]), "policies": [pack], "state": state_frame(state_rows),
    }


def compare(expected: dict, settlements: pd.DataFrame, lines: pd.DataFrame) -> list[Difference]:
    """Every expected field of every visit and line against the engine's output (fen frames)."""
    diffs: list[Difference] = []
    setl = settlements.set_index("mdtrt_id")
    for mdtrt_id, exp in expected.items():
        if mdtrt_id not in setl.index:
            diffs.append(Difference(mdtrt_id, "settlement", "settled", "missing"))
            continue
        row = setl.loc[mdtrt_id]
        for f, want in (exp.get("setl") or {}).items():
            got = fen_str(row[f])
            if got != str(want):
                diffs.append(Difference(mdtrt_id, f, want, got))
        if "ineligible_reason" in exp:
            got = row["ineligible_reason"]
            got = None if pd.isna(got) else got
            if got != exp["ineligible_reason"]:
                diffs.append(Difference(mdtrt_id, "ineligible_reason", exp["ineligible_reason"], got))
        vl = lines[lines["mdtrt_id"] == mdtrt_id].set_index("feedetl_sn")
        for ln in exp.get("lines") or []:
            sn = str(ln["feedetl_sn"])
            if sn not in vl.index:
                diffs.append(Difference(mdtrt_id, f"line {sn}", "present", "missing"))
                continue
            for f in LINE_FIELDS:
                if f not in ln:
                    continue
                got = vl.loc[sn, f]
                got = (None if pd.isna(got) else got) if f == "reason" else fen_str(got)
                if got != ln[f]:
                    diffs.append(Difference(mdtrt_id, f"line {sn} {f}", ln[f], got))
    return diffs


def _layer_facts(doc, visit_rows: list[dict]) -> None:
    """The facts of the project's layers (docs/benefit-layers.md) for each visit, from the case file's
    persons: `parallel` enrollments, 门慢特 `qualifications`, `employer_wage`. Nothing is added for a file
    that uses none of them, so the shared case files run exactly as before."""
    persons = doc["persons"]
    if not any(k in p for p in persons for k in ("parallel", "qualifications", "employer_wage")):
        return
    visits = pd.DataFrame({
        "person": [v["psn_no"] for v in visit_rows],
        "begin_date": [pd.Timestamp(v["begntime"]).date() for v in visit_rows],
        "dise_codg": [v.get("dise_codg") or "" for v in visit_rows],
        "institution": [v["fixmedins_code"] for v in visit_rows],
    })
    parallel = pd.DataFrame([{"person": p["psn_no"], **e} for p in persons for e in p.get("parallel") or []],
                            columns=PARALLEL_COLUMNS)
    quals = pd.DataFrame([{"person": p["psn_no"], "disease": q["disease"], "valid_from": q["valid_from"],
                           "valid_to": q.get("valid_to"), "institution": q.get("fixmedins_code") or ""}
                          for p in persons for q in p.get("qualifications") or []], columns=QUALIFICATION_COLUMNS)
    held = parallel_in_force(visits, parallel)
    qualified, at_institution = chronic_flags(visits, quals)
    wages = {p["psn_no"]: to_fen(p["employer_wage"]) for p in persons if p.get("employer_wage") is not None}
    for i, row in enumerate(visit_rows):
        row.update(parallel=held[i], chronic_qualified=bool(qualified[i]),
                   chronic_at_institution=bool(at_institution[i]), employer_wage_fen=wages.get(row["psn_no"], -1))
