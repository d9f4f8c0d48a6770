"""Step 1 of the spec: classify every fee line (甲/乙/丙, restrictions, price limit, 乙类先行自付)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .columnar import column
from .lookup import str_lookup, str_table
from .money import QTY_SCALE, RATIO_SCALE, mul_div_round

NOT_IN_CATALOG = "NOT_IN_CATALOG"
CLASS_C = "CLASS_C"
RESTRICTED = "RESTRICTED"

CLASS_A, CLASS_B, CLASS_C_CODE = "01", "02", "03"


def catalog_positions(lines: pd.DataFrame, catalog: pd.DataFrame, line_day: np.ndarray) -> np.ndarray:
    """Row of `catalog` for every line (-1: not in catalog).

    When the catalog is effective-dated (columns effective_from / effective_to), an item counts for a
    line only on the days it is in force; `line_day` is the day (datetime64[D]) each line is judged on.
    """
    dated = "effective_from" in catalog.columns
    # one visit's lines and its catalog rows: by dict, when the codes are unique str (as pandas would find them)
    line_codes = column(lines, "med_list_codg", object)
    pos = str_lookup(str_table(column(catalog, "med_list_codg", object)), line_codes)
    if pos is not None:
        return _only_in_force(pos, catalog, line_day) if dated else pos
    codes = pd.Index(column(catalog, "med_list_codg", object))
    if not codes.has_duplicates:
        pos = codes.get_indexer(line_codes)
        return _only_in_force(pos, catalog, line_day) if dated else pos
    if not dated:
        raise ValueError("catalog has duplicate med_list_codg without effective dates")
    # Several versions of a code: the one in force on the line's day (the latest start wins).
    cand = pd.DataFrame({"line": np.arange(len(lines)), "med_list_codg": column(lines, "med_list_codg"),
                         "day": line_day})
    versions = pd.DataFrame({"med_list_codg": codes, "row": np.arange(len(catalog)),
                             "start": column(catalog, "effective_from", "datetime64[D]"),
                             "end": column(catalog, "effective_to", "datetime64[D]")})
    m = cand.merge(versions, on="med_list_codg", how="inner")
    ok = (m["start"] <= m["day"]) & (m["end"].isna() | (m["day"] <= m["end"]))
    m = m[ok].sort_values(["line", "start"]).drop_duplicates("line", keep="last")
    pos = np.full(len(lines), -1, dtype=np.int64)
    pos[m["line"].to_numpy()] = m["row"].to_numpy()
    return pos


def _only_in_force(pos, catalog, line_day):
    if not len(catalog):  # no row to look at: every line is outside the catalog (a chunk of uncatalogued sales)
        return np.full(len(pos), -1, dtype=np.int64)
    start = column(catalog, "effective_from", "datetime64[D]")
    end = column(catalog, "effective_to", "datetime64[D]")
    p = np.maximum(pos, 0)
    s, e = start[p], end[p]
    ok = (s <= line_day) & (np.isnat(e) | (line_day <= e))
    return np.where((pos >= 0) & ok, pos, -1)


def classify_lines(lines: pd.DataFrame, ctx: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """Split every line into fulamt_ownpay / overlmt_selfpay / preselfpay / inscp_scp (all in fen).

    lines:   mdtrt_id, feedetl_sn, med_list_codg, cnt_e4, pric_e4, amount_fen
    ctx:     one row per line, aligned with `lines`: gender, age (full years at admission), level,
             med_type, default_prop_e6 (the policy's 乙类 default), day (datetime64[D]); a frame, or a
             dict of arrays (what adjudicate hands over: no frame to build for a few lines)
    catalog: see frames.catalog_frame
    (lines and catalog: frames, or their Columns: columnar)
    """
    return pd.DataFrame(split_columns(lines, ctx, catalog), copy=False)


def split_columns(lines: pd.DataFrame, ctx: pd.DataFrame, catalog: pd.DataFrame) -> dict[str, np.ndarray]:
    """classify_lines' columns as fresh arrays (copies of the input's), in the frame's order: adjudicate sums
    them per visit from here, without reading each column back from the frame (a column read costs pandas
    about as much as adding up a visit's lines)."""
    n = len(lines)
    pos = catalog_positions(lines, catalog, _ctx_column(ctx, "day", "datetime64[D]"))
    found = pos >= 0
    p = np.maximum(pos, 0)

    def col(name, fill):
        values = column(catalog, name)
        return np.where(found, values[p] if len(values) else fill, fill)

    amount = column(lines, "amount_fen", np.int64)
    chrg = col("chrg_lv", "")
    restricted = _restricted(ctx, catalog, p, found)

    reason = np.full(n, None, dtype=object)
    reason[restricted] = RESTRICTED
    reason[chrg == CLASS_C_CODE] = CLASS_C
    reason[~found] = NOT_IN_CATALOG
    full = ~pd.isna(reason)

    fulamt = np.where(full, amount, 0)
    limit = col("price_limit_e4", -1).astype(np.int64)
    pric = column(lines, "pric_e4", np.int64)
    cnt = column(lines, "cnt_e4", np.int64)
    over_mask = ~full & (limit >= 0) & (pric > limit)
    overlmt = np.zeros(n, dtype=np.int64)
    if over_mask.any():
        excess = mul_div_round(pric[over_mask] - limit[over_mask], cnt[over_mask], QTY_SCALE * QTY_SCALE // 100)
        overlmt[over_mask] = np.minimum(amount[over_mask], excess)

    own_prop = col("selfpay_prop_e6", -1).astype(np.int64)
    default_prop = _ctx_column(ctx, "default_prop_e6", np.int64)
    is_b = ~full & (chrg == CLASS_B)
    prop = np.where(is_b, np.where(own_prop >= 0, own_prop, default_prop), -1)
    preselfpay = np.zeros(n, dtype=np.int64)
    if is_b.any():
        preselfpay[is_b] = mul_div_round(amount[is_b] - overlmt[is_b], prop[is_b], RATIO_SCALE)
    inscp = amount - fulamt - overlmt - preselfpay

    # every column a fresh array (copies of the input's): the frame takes them as they are (copy=False)
    # instead of copying and consolidating them once more
    return {
        "mdtrt_id": column(lines, "mdtrt_id").copy(),
        "feedetl_sn": column(lines, "feedetl_sn").copy(),
        "amount_fen": amount.copy(),
        "fulamt_ownpay_amt": fulamt,
        "overlmt_selfpay": overlmt,
        "preselfpay_amt": preselfpay,
        "inscp_scp_amt": inscp,
        "chrgitm_lv": chrg,
        "selfpay_prop_e6": prop,
        "reason": reason,
    }


def _ctx_column(ctx, name: str, dtype) -> np.ndarray:
    column = ctx[name]
    return column.to_numpy(dtype=dtype) if isinstance(column, pd.Series) else np.asarray(column, dtype=dtype)


def _restricted(ctx, catalog: pd.DataFrame, p: np.ndarray, found: np.ndarray) -> np.ndarray:
    if not len(catalog):
        return np.zeros(len(p), dtype=bool)
    gender = column(catalog, "restrict_gender", object)[p]
    min_age = column(catalog, "restrict_min_age", np.int64)[p]
    max_age = column(catalog, "restrict_max_age", np.int64)[p]
    min_level = column(catalog, "restrict_min_level", np.int64)[p]
    age = _ctx_column(ctx, "age", np.int64)
    level = _ctx_column(ctx, "level", np.int64)
    bad = (gender != "") & (gender != _ctx_column(ctx, "gender", object))
    bad |= (min_age >= 0) & (age < min_age)
    bad |= (max_age >= 0) & (age > max_age)
    bad |= (min_level >= 0) & (level < min_level)
    med_types = column(catalog, "restrict_med_types", object)
    has_mt = np.array([bool(m) for m in med_types], dtype=bool)[p]
    check = found & has_mt
    if check.any():
        idx = np.flatnonzero(check)
        visit_mt = _ctx_column(ctx, "med_type", object)
        bad[idx] |= np.array([visit_mt[i] not in med_types[p[i]] for i in idx], dtype=bool)
    return found & bad
