"""Build the engine's input frames from plain records (dicts with decimal strings, dates, ...).

The bulk path builds the same columns straight from SQL; these builders serve the single-visit API,
the case runner and tests. Values are validated here, with errors naming the record and the field.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .money import FEN, QTY_SCALE, RATIO_SCALE, scaled, to_fen

CATALOG_COLUMNS = [
    "med_list_codg", "chrg_lv", "selfpay_prop_e6", "price_limit_e4", "restrict_gender", "restrict_min_age",
    "restrict_max_age", "restrict_min_level", "restrict_med_types",
]


def _none(v) -> bool:
    return v is None or v == "" or (isinstance(v, float) and np.isnan(v))


def _memo(convert):
    """convert(value), each distinct value converted once per frame (quantities, prices and amounts recur).

    Keyed by the value's type and text, so that values equal but written differently (1.5 and 1.50) are
    each converted on their own: the result is exactly convert(value)."""
    done: dict = {}

    def get(value):
        key = (type(value), str(value))
        try:
            return done[key]
        except KeyError:
            result = done[key] = convert(value)
            return result

    return get


def lines_frame(records: Iterable[Mapping]) -> pd.DataFrame:
    qty = _memo(lambda v: scaled(v, QTY_SCALE))
    fen = _memo(to_fen)
    rows = [
        (r["mdtrt_id"], str(r["feedetl_sn"]), r["med_list_codg"], qty(r["cnt"]), qty(r["pric"]),
         fen(r["det_item_fee_sumamt"]))
        for r in records
    ]
    df = pd.DataFrame(rows, columns=["mdtrt_id", "feedetl_sn", "med_list_codg", "cnt_e4", "pric_e4", "amount_fen"])
    return df.astype({"cnt_e4": np.int64, "pric_e4": np.int64, "amount_fen": np.int64})


def catalog_frame(records: Iterable[Mapping]) -> pd.DataFrame:
    """Records as in a case file's catalog[] (restrictions nested under `restrict`) or flat columns."""
    rows = []
    for r in records:
        restrict = r.get("restrict") or {}

        def pick(name, _r=r, _restrict=restrict):
            return _restrict.get(name, _r.get(f"restrict_{name}"))

        med_types = pick("med_types") or ()
        if isinstance(med_types, str):
            med_types = tuple(m for m in med_types.replace("|", ",").split(",") if m)
        row = {
            "med_list_codg": r.get("med_list_codg", r.get("code")),
            "chrg_lv": str(r["chrg_lv"]),
            "selfpay_prop_e6": -1 if _none(r.get("selfpay_prop")) else scaled(r["selfpay_prop"], RATIO_SCALE),
            "price_limit_e4": -1 if _none(r.get("price_limit")) else scaled(r["price_limit"], QTY_SCALE),
            "restrict_gender": "" if _none(pick("gender")) else str(pick("gender")),
            "restrict_min_age": -1 if _none(pick("min_age")) else int(pick("min_age")),
            "restrict_max_age": -1 if _none(pick("max_age")) else int(pick("max_age")),
            "restrict_min_level": -1 if _none(pick("min_level")) else int(pick("min_level")),
            "restrict_med_types": tuple(str(m) for m in med_types),
        }
        for k in ("effective_from", "effective_to"):
            if k in r:
                row[k] = r[k]
        rows.append(row)
    df = pd.DataFrame(rows, columns=CATALOG_COLUMNS + [c for c in ("effective_from", "effective_to")
                                                       if rows and c in rows[0]])
    for c in ("effective_from", "effective_to"):
        if c in df.columns:
            df[c] = pd.to_datetime(df[c])
    return df


def persons_frame(records: Iterable[Mapping]) -> pd.DataFrame:
    rows = [(r["psn_no"], str(r["gender"]), pd.Timestamp(r["birth_date"]),
             to_fen(r.get("acct_balance") or 0)) for r in records]
    return pd.DataFrame(rows, columns=["psn_no", "gender", "birth_date", "acct_balance_fen"]).astype(
        {"acct_balance_fen": np.int64})


VISIT_COLUMNS = [
    "mdtrt_id", "psn_no", "med_type", "begntime", "setl_time", "inst_level", "inst_designated", "insutype",
    "psn_type", "enrolled_from", "enrolled_to", "paid_through", "assistance_category",
]


def visits_frame(records: Iterable[Mapping]) -> pd.DataFrame:
    df = pd.DataFrame([{c: r.get(c) for c in VISIT_COLUMNS} for r in records], columns=VISIT_COLUMNS)
    for c in ("begntime", "setl_time", "enrolled_from", "enrolled_to"):
        df[c] = pd.to_datetime(df[c])
    df["inst_level"] = df["inst_level"].astype(np.int64)
    df["inst_designated"] = df["inst_designated"].astype(bool)
    df["assistance_category"] = df["assistance_category"].fillna("")
    return df


YTD_MONEY_BY_GROUP = {"cap_paid": "cap_paid", "deductible_used": "deductible_used", "band_position": "band_position"}
YTD_MONEY = ("large_amount_paid", "critical_illness_base", "assistance_base")


def state_from_ytd(psn_no: str, year: int, ytd: Mapping) -> list[dict]:
    """A case file's `ytd` object → accumulator rows (money in fen, admissions as a count)."""
    rows = []
    for kind in YTD_MONEY_BY_GROUP:
        for key, amount in (ytd.get(kind) or {}).items():
            rows.append({"psn_no": psn_no, "year": year, "kind": kind, "key": str(key), "amount": to_fen(amount)})
    for kind in YTD_MONEY:
        if ytd.get(kind) not in (None, ""):
            rows.append({"psn_no": psn_no, "year": year, "kind": kind, "key": "", "amount": to_fen(ytd[kind])})
    if ytd.get("admissions"):
        rows.append({"psn_no": psn_no, "year": year, "kind": "admissions", "key": "", "amount": int(ytd["admissions"])})
    return rows


def state_frame(rows: Iterable[Mapping]) -> pd.DataFrame:
    df = pd.DataFrame(list(rows), columns=["psn_no", "year", "kind", "key", "amount"])
    return df.astype({"year": np.int64, "amount": np.int64})


def money_columns_to_decimal(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Fen columns → Decimal yuan (for output to people and the database)."""
    from decimal import Decimal
    out = df.copy()
    for c in columns:
        out[c] = [Decimal(int(v)).scaleb(-2) for v in out[c].to_numpy()]
    return out


__all__ = [
    "FEN", "catalog_frame", "lines_frame", "money_columns_to_decimal", "persons_frame", "state_frame",
    "state_from_ytd", "visits_frame",
]
