"""DIP case files (shared/spec/dip.md section 5): read them into the DIP engine's frames and compare its
results with `expected`, item by item: every case, every institution and the point value."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .dip import (
    POINT_SCALE,
    VALUE_SCALE,
    DipInputError,
    DipParams,
    DipResult,
    code,
    decimal_scaled,
    dip_year,
    groups_frame,
)
from .drg import drg_table, drg_year
from .money import fen_str, to_fen

TOP_KEYS = ("year", "params", "groups", "institutions", "cases", "expected")
INSTITUTION_FIGURES = ("points", "patient_share", "fund_paid_by_items", "dip_amount", "clearing")


@dataclass
class DipDifference:
    item: str  # "case c1", "institution H1", "point_value"
    field: str
    expected: object
    got: object


def points_str(points_e4: int) -> str | None:
    return None if points_e4 < 0 else f"{points_e4 // POINT_SCALE}.{points_e4 % POINT_SCALE:04d}"


def value_str(value_e6: int) -> str:
    return f"{value_e6 // VALUE_SCALE}.{value_e6 % VALUE_SCALE:06d}"


def dip_case_frames(doc) -> tuple[pd.DataFrame, pd.DataFrame, DipParams]:
    """(cases, groups, params) of a DIP case file. Raises DipInputError naming what is missing."""
    if not isinstance(doc, dict):
        raise DipInputError("a DIP case file must be a JSON object")
    missing = [k for k in TOP_KEYS if k not in doc]
    if missing:
        raise DipInputError(f"missing top-level keys: {', '.join(missing)}")
    levels = {i["fixmedins_code"]: int(i["level"]) for i in doc["institutions"]}
    rows = []
    for i, c in enumerate(doc["cases"]):
        if c.get("fixmedins_code") not in levels:
            raise DipInputError(f"cases[{i}].fixmedins_code: unknown institution {c.get('fixmedins_code')!r}")
        medfee, fund, part = (to_fen(c[k]) for k in ("medfee_sumamt", "fund_pay_sumamt", "psn_part_amt"))
        if medfee != fund + part:
            raise DipInputError(f"cases[{i}]: medfee_sumamt must equal fund_pay_sumamt + psn_part_amt")
        rows.append({"case_id": str(c["setl_id"]), "institution": c["fixmedins_code"],
                     "level": levels[c["fixmedins_code"]], "main_diag": code(c.get("main_diag")),
                     "main_oprn": code(c.get("main_oprn")), "medfee_fen": medfee, "fund_fen": fund,
                     "psn_part_fen": part, "secondary": "|".join(code(d) for d in c.get("secondary_diags") or [])})
    cases = pd.DataFrame(rows, columns=["case_id", "institution", "level", "main_diag", "main_oprn", "medfee_fen",
                                        "fund_fen", "psn_part_fen", "secondary"])
    return cases, groups_frame(doc["groups"]), DipParams.from_doc(doc["params"])


def run_case_file(doc) -> DipResult:
    """A DIP case file (shared/spec/dip.md), or a DRG one (docs/drg.md: `method` drg_points or drg_rate with
    `drg_table` and `params.rate`), through the engine."""
    cases, groups, params = dip_case_frames(doc)
    method = doc.get("method", "dip")
    if method == "dip":
        return dip_year(cases, groups, params)
    if method not in ("drg_points", "drg_rate"):
        raise DipInputError(f"method: must be dip, drg_points or drg_rate, not {method!r}")
    rate = decimal_scaled(doc["params"].get("rate"), VALUE_SCALE, "params.rate") if method == "drg_rate" else None
    return drg_year(cases, drg_table(doc.get("drg_table") or {}), params, rate)


def compare_dip(expected: dict, result: DipResult) -> tuple[list[DipDifference], int, int]:
    """(differences, items matching, items) over every case, every institution and the point value."""
    diffs: list[DipDifference] = []
    bad: set[str] = set()
    by_case = result.cases.set_index("case_id")
    for case_id, want in (expected.get("cases") or {}).items():
        item = f"case {case_id}"
        if case_id not in by_case.index:
            diffs.append(DipDifference(item, "case", "present", "missing"))
            bad.add(item)
            continue
        row = by_case.loc[case_id]
        got = {"group": row["group"] or None, "kind": row["kind"] or None, "points": points_str(int(row["points_e4"])),
               "reason": row.get("reason") or None}
        for field, value in got.items():
            if field in want and want[field] != value:
                diffs.append(DipDifference(item, field, want[field], value))
                bad.add(item)
    by_inst = result.institutions.set_index("institution")
    for inst, want in (expected.get("institutions") or {}).items():
        item = f"institution {inst}"
        if inst not in by_inst.index:
            diffs.append(DipDifference(item, "institution", "present", "missing"))
            bad.add(item)
            continue
        row = by_inst.loc[inst]
        got = {"points": points_str(int(row["points_e4"])), "patient_share": fen_str(int(row["patient_share_fen"])),
               "fund_paid_by_items": fen_str(int(row["fund_paid_fen"])),
               "dip_amount": fen_str(int(row["dip_amount_fen"])), "clearing": fen_str(int(row["clearing_fen"]))}
        for field in INSTITUTION_FIGURES:
            if field in want and want[field] != got[field]:
                diffs.append(DipDifference(item, field, want[field], got[field]))
                bad.add(item)
    total = len(expected.get("cases") or {}) + len(expected.get("institutions") or {}) + 1
    if "point_value" in expected and expected["point_value"] != value_str(result.point_value_e6):
        diffs.append(DipDifference("point_value", "point_value", expected["point_value"],
                                   value_str(result.point_value_e6)))
        bad.add("point_value")
    return diffs, total - len(bad), total
