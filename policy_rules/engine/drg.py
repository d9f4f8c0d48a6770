"""CHS-DRG grouping on the DIP machinery (docs/drg.md): MDC by the main diagnosis, ADRG by the main
procedure (surgical) or the main diagnosis (medical), severity from the secondary diagnoses' CC/MCC list
with the main diagnosis's exclusions, then the ADRG's DRG of that severity. Pure and vectorised; the
points, point value and clearing are dip.score_year's.

Inputs:
  table   DrgTable (drg_table builds it from the spec's records)
  cases   as dip.py, plus `secondary`: the secondary diagnoses' codes joined by '|' ('' for none)
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dip import LEVELS, POINT_SCALE, DipInputError, DipParams, DipResult, code, decimal_scaled, score_year
from .money import FEN

SEVERITIES = ("none", "CC", "MCC")  # in increasing order; "any" takes every severity
NO_MDC, NO_ADRG, NO_DRG = "NO_MDC", "NO_ADRG", "NO_DRG"


@dataclass(frozen=True)
class DrgTable:
    mdc: dict[str, str]  # diagnosis prefix → MDC code (ties resolved: the smallest code)
    surgical: dict[str, str]  # "MDC|procedure prefix" → ADRG code
    medical: dict[str, str]  # "MDC|diagnosis prefix" → ADRG code
    cc: dict[str, tuple[int, frozenset[str]]]  # diagnosis prefix → (severity index, excluded main prefixes)
    drgs: pd.DataFrame  # code, adrg, severity, points_e4 (rw × 100), ref_<level>: dip's groups frame
    drg_of: dict[tuple[str, str], int]  # (ADRG, severity or "any") → row of drgs


def _prefix_map(pairs) -> dict[str, str]:
    """(prefix, code) pairs → prefix → the smallest code."""
    out: dict[str, str] = {}
    for prefix, value in sorted(pairs, key=lambda p: (p[0], p[1])):
        out.setdefault(prefix, value)
    return out


def drg_table(doc: Mapping) -> DrgTable:
    """The spec's table {mdc[], adrg[], cc[], drg[]} → a DrgTable. Raises DipInputError naming the record."""
    mdc = _prefix_map((code(p), m["code"]) for m in doc.get("mdc") or [] for p in m.get("diag_prefixes") or [])
    adrg_mdc = {}
    surgical, medical = [], []
    for i, a in enumerate(doc.get("adrg") or []):
        kind = a.get("kind")
        if kind not in ("surgical", "medical") or not a.get("code") or not a.get("mdc"):
            raise DipInputError(f"adrg[{i}]: code, mdc and kind (surgical or medical) are required")
        adrg_mdc[a["code"]] = a["mdc"]
        key = "oprn_prefixes" if kind == "surgical" else "diag_prefixes"
        (surgical if kind == "surgical" else medical).extend(
            (f"{a['mdc']}|{code(p)}", a["code"]) for p in a.get(key) or [])
    cc: dict[str, tuple[int, frozenset[str]]] = {}
    for i, c in enumerate(doc.get("cc") or []):
        if c.get("level") not in ("CC", "MCC") or not c.get("diag_prefix"):
            raise DipInputError(f"cc[{i}]: diag_prefix and level (CC or MCC) are required")
        prefix = code(c["diag_prefix"])
        level = SEVERITIES.index(c["level"])
        if prefix not in cc or cc[prefix][0] < level:
            cc[prefix] = (level, frozenset(code(p) for p in c.get("excluded_main_prefixes") or []))
    rows, drg_of = [], {}
    for i, d in enumerate(doc.get("drg") or []):
        if d.get("adrg") not in adrg_mdc or d.get("severity") not in (*SEVERITIES, "any"):
            raise DipInputError(f"drg[{i}]: adrg must be a listed ADRG and severity MCC, CC, none or any")
        rw_e4 = decimal_scaled(d.get("rw"), POINT_SCALE, f"drg[{i}].rw")
        ref = d.get("ref_cost") or {}
        drg_of.setdefault((d["adrg"], d["severity"]), len(rows))
        rows.append({"code": d["code"], "adrg": d["adrg"], "severity": d["severity"], "points_e4": rw_e4 * 100,
                     **{f"ref_{lv}": (decimal_scaled(ref[str(lv)], FEN, f"drg[{i}].ref_cost.{lv}") if str(lv) in ref else -1)
                        for lv in LEVELS}})
    drgs = pd.DataFrame(rows, columns=["code", "adrg", "severity", "points_e4", *(f"ref_{lv}" for lv in LEVELS)])
    return DrgTable(mdc, _prefix_map(surgical), _prefix_map(medical), cc, drgs, drg_of)


def _longest(values: pd.Series, table: dict[str, str], lead: pd.Series | None = None) -> pd.Series:
    """Each value's entry in `table` for its longest prefix found there ('' for none); with `lead`, the
    table's keys are "lead|prefix"."""
    out = pd.Series("", index=values.index, dtype=object)
    lengths = sorted({len(k.split("|", 1)[-1]) for k in table}, reverse=True)
    for length in lengths:
        open_ = out == ""
        if not open_.any():
            break
        keys = values[open_].str[:length]
        if lead is not None:
            keys = lead[open_] + "|" + keys
        found = keys.map(table)
        hit = found.notna()
        out[found.index[hit]] = found[hit]
    return out


def _severity(main: pd.Series, secondary: pd.Series, table: DrgTable) -> np.ndarray:
    """Index into SEVERITIES of each case: its most severe counting complication. Vectorised over the
    (case, secondary diagnosis) pairs: the CC entry by the longest prefix, then its exclusions by every
    prefix length they have."""
    out = np.zeros(len(main), dtype=np.int64)
    pairs = secondary.fillna("").astype(str).str.split("|").explode()
    pairs = pairs[pairs.str.strip() != ""].str.strip().str.upper()
    if pairs.empty or not table.cc:
        return out
    positions = pd.Index(main.index).get_indexer(pairs.index)
    pairs = pairs.reset_index(drop=True)
    entry = _longest(pairs, {p: p for p in table.cc})
    level = entry.map({p: lv for p, (lv, _x) in table.cc.items()}).fillna(0).to_numpy(np.int64)
    exclusions = {f"{p}|{x}" for p, (_lv, xs) in table.cc.items() for x in xs}
    excluded = np.zeros(len(pairs), dtype=bool)
    main_of = pd.Series(main.to_numpy(dtype=object)[positions])
    for length in sorted({len(k.split("|", 1)[1]) for k in exclusions}):
        excluded |= (entry + "|" + main_of.str[:length]).isin(exclusions).to_numpy()
    counting = (entry != "").to_numpy() & ~excluded
    np.maximum.at(out, positions[counting], level[counting])
    return out


def group_drg(cases: pd.DataFrame, table: DrgTable) -> tuple[np.ndarray, np.ndarray]:
    """(each case's row in table.drgs or -1, the reason of an ungrouped case: NO_MDC, NO_ADRG, NO_DRG or '')."""
    row, reason, _path = group_drg_path(cases, table)
    return row, reason


def group_drg_path(cases: pd.DataFrame, table: DrgTable) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """group_drg with each case's path: a frame of its MDC and ADRG ('' for none) and the severity of its
    complications (none, CC or MCC; '' without an MDC) before any fall to a lower DRG."""
    main = cases["main_diag"].fillna("").astype(str).str.strip().str.upper().reset_index(drop=True)
    oprn = cases["main_oprn"].fillna("").astype(str).str.strip().str.upper().reset_index(drop=True)
    secondary = cases["secondary"].reset_index(drop=True) if "secondary" in cases else pd.Series([""] * len(main))
    mdc = _longest(main, table.mdc)
    adrg = pd.Series("", index=main.index, dtype=object)
    has_oprn = (oprn != "") & (mdc != "")
    if has_oprn.any():
        adrg[has_oprn] = _longest(oprn[has_oprn], table.surgical, mdc[has_oprn])
    medical = (adrg == "") & (mdc != "")
    if medical.any():
        adrg[medical] = _longest(main[medical], table.medical, mdc[medical])
    severity = _severity(main, secondary, table)
    row = np.full(len(main), -1, dtype=np.int64)
    adrgs = adrg.to_numpy(dtype=object)
    lookup = {f"{a}|{sev}": r for (a, sev), r in table.drg_of.items()}
    names = np.array(SEVERITIES, dtype=object)
    level = severity.copy()
    # the case's severity, else the next lower one that the ADRG has; then a DRG of severity "any"
    for _step in range(len(SEVERITIES)):
        open_ = (row < 0) & (adrgs != "") & (level >= 0)
        if not open_.any():
            break
        found = (adrg[open_] + "|" + names[level[open_]]).map(lookup)
        hit = found.notna().to_numpy()
        idx = np.flatnonzero(open_)
        row[idx[hit]] = found.to_numpy()[hit].astype(np.int64)
        level[idx[~hit]] -= 1
    open_ = (row < 0) & (adrgs != "")
    if open_.any():
        found = (adrg[open_] + "|any").map(lookup)
        hit = found.notna().to_numpy()
        row[np.flatnonzero(open_)[hit]] = found.to_numpy()[hit].astype(np.int64)
    reason = np.full(len(main), "", dtype=object)
    reason[(row < 0) & (adrgs != "")] = NO_DRG
    reason[(adrgs == "") & (mdc != "").to_numpy()] = NO_ADRG
    reason[(mdc == "").to_numpy()] = NO_MDC
    path = pd.DataFrame({"mdc": mdc.to_numpy(dtype=object), "adrg": adrgs,
                         "severity": np.where((mdc != "").to_numpy(), names[severity], "")})
    return row, reason, path


def drg_year(cases: pd.DataFrame, table: DrgTable, params: DipParams, rate_e6: int | None = None) -> DipResult:
    """Group by DRG and score the year (点数法; 费率法 with `rate_e6`): dip.score_year on the DRGs; the cases
    frame also carries each case's reason, mdc, adrg and severity (group_drg_path)."""
    row, reason, path = group_drg_path(cases, table)
    result = score_year(cases, row, table.drgs, params, rate_e6)
    result.cases["reason"] = reason
    for column in path.columns:
        result.cases[column] = path[column].to_numpy()
    return result
