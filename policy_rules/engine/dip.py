"""DIP (按病种分值付费): grouping, points, point value and each institution's amount
(shared/spec/dip.md). Pure and vectorised: frames in, frames out; a city's year of inpatient cases at once.

Amounts are integer fen, points are scaled by 10^4 (4 decimals), the point value by 10^6, ratios and
coefficients by 10^6. Every rounding is half up at the place the spec names, computed exactly in integers
(Python integers where a product can pass int64).

Inputs:
  groups  code, diag, oprn ('' = conservative treatment, 保守治疗), points_e4, ref_<level> (fen, -1 = none)
          for the levels 0..3 (groups_frame builds it from the spec's records)
  cases   case_id, institution, level, main_diag, main_oprn ('' = none), medfee_fen, fund_fen, psn_part_fen,
          and optionally special (bool): the case is an approved special case (特病单议, docs/dip.md): grouped, it
          earns no points (kind `special`), is paid by items, and its fund payment comes out of the budget first
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .money import FEN, RATIO_SCALE, to_decimal

POINT_SCALE = 10_000  # points carry 4 decimals
VALUE_SCALE = 1_000_000  # the point value carries 6 decimals
LEVELS = (0, 1, 2, 3)
NORMAL, LOW, HIGH, SPECIAL = "normal", "low", "high", "special"


class DipInputError(ValueError):
    """Grouping tables, parameters or cases that cannot be scored (names the record and field)."""


@dataclass(frozen=True)
class DipParams:
    low_e6: int
    high_e6: int
    coef_e6: dict[int, int]  # institution level → coefficient
    budget_fen: int

    @classmethod
    def from_doc(cls, doc: Mapping) -> DipParams:
        """The spec's `params` {low, high, coef {level: ratio}, budget}."""
        coef = {int(level): decimal_scaled(v, RATIO_SCALE, f"coef.{level}") for level, v in (doc.get("coef") or {}).items()}
        low = decimal_scaled(doc.get("low", "0.5"), RATIO_SCALE, "low")
        high = decimal_scaled(doc.get("high", "2"), RATIO_SCALE, "high")
        if not 0 <= low <= RATIO_SCALE <= high:
            raise DipInputError("params: low must lie in [0, 1] and high be at least 1")
        return cls(low, high, coef, decimal_scaled(doc.get("budget"), FEN, "budget"))


@dataclass
class DipResult:
    cases: pd.DataFrame  # case_id, institution, group ('' = ungrouped), kind, points_e4 (-1 = none)
    # institution, points_e4, patient_share_fen, fund_paid_fen, special_fund_fen, dip_amount_fen, clearing_fen
    institutions: pd.DataFrame
    point_value_e6: int


def decimal_scaled(value, scale: int, field: str) -> int:
    if value is None:
        raise DipInputError(f"{field} is required")
    try:
        d = to_decimal(value) * scale
    except ValueError as exc:
        raise DipInputError(f"{field}: not a decimal number: {value!r}") from exc
    if d != d.to_integral_value() or d < 0:
        raise DipInputError(f"{field}: too many decimals or negative: {value!r}")
    return int(d)


def code(value) -> str:
    """A diagnosis or procedure code as grouping compares it: trimmed, upper case, '' for none."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip().upper()


def groups_frame(records: Iterable[Mapping]) -> pd.DataFrame:
    """The spec's group records → the grouping table frame."""
    rows = []
    for i, g in enumerate(records):
        if not code(g.get("code")) or not code(g.get("diag")):
            raise DipInputError(f"groups[{i}]: code and diag are required")
        ref = g.get("ref_cost") or {}
        rows.append({"code": str(g["code"]), "diag": code(g["diag"]), "oprn": code(g.get("oprn")),
                     "points_e4": decimal_scaled(g.get("points"), POINT_SCALE, f"groups[{i}].points"),
                     **{f"ref_{lv}": (decimal_scaled(ref[str(lv)], FEN, f"groups[{i}].ref_cost.{lv}")
                                      if str(lv) in ref else -1) for lv in LEVELS}})
    return pd.DataFrame(rows, columns=["code", "diag", "oprn", "points_e4", *(f"ref_{lv}" for lv in LEVELS)])


def group_cases(main_diag: pd.Series, main_oprn: pd.Series, groups: pd.DataFrame) -> np.ndarray:
    """Each case's group (its row in `groups`), -1 for none (未入组).

    A group matches when the main diagnosis starts with its `diag` and either it is conservative and the
    case has no main procedure, or the main procedure starts with its `oprn`; the longest `diag` wins, then
    the longest `oprn`, then the smallest `code`. Vectorised by prefix length: one look-up of every case per
    (diag length, oprn length) the table holds, longest first."""
    diag = main_diag.fillna("").astype(str).str.strip().str.upper()
    oprn = main_oprn.fillna("").astype(str).str.strip().str.upper()
    out = np.full(len(diag), -1, dtype=np.int64)
    if not len(groups) or not len(diag):
        return out
    g = groups.assign(_row=np.arange(len(groups)), _ld=groups["diag"].str.len(), _lo=groups["oprn"].str.len())
    g = g.sort_values(["_ld", "_lo", "code"], ascending=[False, False, True], kind="stable")
    has_oprn = (oprn != "").to_numpy()
    prefixes: dict[tuple[str, int], pd.Series] = {}

    def prefix(series: pd.Series, name: str, length: int) -> pd.Series:
        key = (name, length)
        if key not in prefixes:
            prefixes[key] = series.str[:length]
        return prefixes[key]

    for (ld, lo), part in g.groupby(["_ld", "_lo"], sort=False):
        # the smallest code among groups with the same (diag, oprn) prefixes: the first in sorted order
        table: dict[str, int] = {}
        for d, o, row in zip(part["diag"], part["oprn"], part["_row"], strict=True):
            table.setdefault(f"{d}|{o}", int(row))
        open_ = out < 0
        eligible = open_ & (has_oprn if lo > 0 else ~has_oprn)
        if not eligible.any():
            continue
        keys = prefix(diag, "d", ld) + "|" + (prefix(oprn, "o", lo) if lo > 0 else "")
        found = keys[eligible].map(table)
        hit = found.notna().to_numpy()
        idx = np.flatnonzero(eligible)[hit]
        out[idx] = found.to_numpy()[hit].astype(np.int64)
    return out


def _round_div(num, den):
    """Half-up num / den for non-negative Python-integer object arrays."""
    return (2 * num + den) // (2 * den)


def special_cases(cases: pd.DataFrame) -> np.ndarray:
    """The cases' `special` column as booleans (all False without the column)."""
    if "special" not in cases:
        return np.zeros(len(cases), dtype=bool)
    return cases["special"].fillna(False).to_numpy(dtype=bool)


def score_cases(cases: pd.DataFrame, group: np.ndarray, groups: pd.DataFrame, params: DipParams) -> pd.DataFrame:
    """Kind and points of each case (spec section 2). Ungrouped, or no reference cost at the case's level:
    kind '' and points -1. A scored case marked special: kind `special` and points -1 (it keeps its group)."""
    n = len(cases)
    level = cases["level"].to_numpy(np.int64)
    medfee = cases["medfee_fen"].to_numpy(np.int64)
    grouped = group >= 0
    g = np.where(grouped, group, 0)
    ref_matrix = groups[[f"ref_{lv}" for lv in LEVELS]].to_numpy(np.int64) if len(groups) else np.full((1, 4), -1)
    ref = np.where(grouped, ref_matrix[g, np.clip(level, 0, 3)], -1)
    scored = grouped & (ref > 0)
    missing = sorted({int(lv) for lv in level[scored]} - set(params.coef_e6))
    if missing:
        raise DipInputError(f"params.coef: no coefficient for institution level {missing[0]}")
    coef = np.zeros(n, np.int64)
    for lv, c in params.coef_e6.items():
        coef[level == lv] = c
    points = groups["points_e4"].to_numpy(np.int64)[g] if len(groups) else np.zeros(n, np.int64)
    special = scored & special_cases(cases)
    pointed = scored & ~special
    low = pointed & (medfee * RATIO_SCALE < params.low_e6 * ref)
    high = pointed & (medfee * RATIO_SCALE > params.high_e6 * ref)
    normal = pointed & ~low & ~high
    out = np.full(n, -1, dtype=np.int64)
    out[normal] = (2 * points[normal] * coef[normal] + RATIO_SCALE) // (2 * RATIO_SCALE)
    if low.any():
        m, r, p, c = (a[low].astype(object) for a in (medfee, ref, points, coef))
        out[low] = _round_div(m * p * c, r * RATIO_SCALE).astype(np.int64)
    if high.any():
        m, r, p, c = (a[high].astype(object) for a in (medfee, ref, points, coef))
        num = (m * RATIO_SCALE - (params.high_e6 - RATIO_SCALE) * r) * p * c
        out[high] = _round_div(num, r * RATIO_SCALE * RATIO_SCALE).astype(np.int64)
    kind = np.full(n, "", dtype=object)
    kind[normal], kind[low], kind[high], kind[special] = NORMAL, LOW, HIGH, SPECIAL
    codes = groups["code"].to_numpy(dtype=object)[g] if len(groups) else np.full(n, "", dtype=object)
    return pd.DataFrame({"case_id": cases["case_id"].to_numpy(), "institution": cases["institution"].to_numpy(),
                         "group": np.where(scored, codes, ""), "kind": kind, "points_e4": out})


def point_value_e6(budget_fen: int, patient_share_fen: int, points_e4: int) -> int:
    """round((budget + Σ patients' share) ÷ Σ points, 6); 0 without points. `budget_fen` is what is left of the
    budget after the special cases' fund payments and may be negative; the point value is never below 0."""
    if points_e4 <= 0 or budget_fen + patient_share_fen <= 0:
        return 0
    return int(_round_div((budget_fen + patient_share_fen) * (VALUE_SCALE * POINT_SCALE // FEN), points_e4))


def dip_year(cases: pd.DataFrame, groups: pd.DataFrame, params: DipParams) -> DipResult:
    """Group and score the year's cases, the point value, and each institution's DIP amount and clearing."""
    return score_year(cases, group_cases(cases["main_diag"], cases["main_oprn"], groups), groups, params)


def score_year(cases: pd.DataFrame, group: np.ndarray, groups: pd.DataFrame, params: DipParams,
               rate_e6: int | None = None) -> DipResult:
    """Points of the grouped cases (`group`: each case's row in `groups`, -1 ungrouped), the point value,
    and each institution's amount and clearing. DIP and DRG both end here; `rate_e6`, when given, is a
    fixed value per point (DRG 费率法) in place of the value computed from the budget."""
    scored = score_cases(cases, group, groups, params)
    counted = scored["points_e4"].to_numpy() >= 0
    special = (scored["kind"] == SPECIAL).to_numpy()
    rows = counted | special
    fund = cases["fund_fen"].to_numpy(np.int64)
    frame = pd.DataFrame({"institution": cases["institution"].to_numpy()[rows],
                          "points_e4": np.where(counted, scored["points_e4"].to_numpy(), 0)[rows],
                          "patient_share_fen": np.where(counted, cases["psn_part_fen"].to_numpy(np.int64), 0)[rows],
                          "fund_paid_fen": fund[rows],
                          "special_fund_fen": np.where(special, fund, 0)[rows]})
    per = frame.groupby("institution", sort=True).sum()
    # the special cases are paid by items out of the budget first; the rest is shared by the points
    value = (point_value_e6(params.budget_fen - int(frame["special_fund_fen"].sum()),
                            int(frame["patient_share_fen"].sum()), int(frame["points_e4"].sum()))
             if rate_e6 is None else rate_e6)
    points = per["points_e4"].to_numpy(np.int64).astype(object)
    gross = _round_div(points * value, VALUE_SCALE * POINT_SCALE // FEN) if len(per) else np.array([], dtype=object)
    dip_amount = (np.asarray(gross, dtype=object) - per["patient_share_fen"].to_numpy(np.int64).astype(object)
                  + per["special_fund_fen"].to_numpy(np.int64).astype(object))
    institutions = pd.DataFrame({
        "institution": per.index.to_numpy(), "points_e4": per["points_e4"].to_numpy(np.int64),
        "patient_share_fen": per["patient_share_fen"].to_numpy(np.int64),
        "fund_paid_fen": per["fund_paid_fen"].to_numpy(np.int64),
        "special_fund_fen": per["special_fund_fen"].to_numpy(np.int64),
        "dip_amount_fen": dip_amount.astype(np.int64),
    })
    institutions["clearing_fen"] = institutions["dip_amount_fen"] - institutions["fund_paid_fen"]
    return DipResult(scored, institutions, value)
