"""The vectorized string helpers the smart audit's evidence sentences are built with."""
from __future__ import annotations

import datetime as dt
from itertools import repeat

import numpy as np
import pandas as pd

from .units import NAT

INT64_MIN = np.iinfo(np.int64).min
_EPOCH = dt.date(1970, 1, 1)
_EPOCH_TIME = dt.datetime(1970, 1, 1)
_DAY_MIN = (dt.date(1000, 1, 1) - _EPOCH).days  # the years Python and numpy both write with four digits
_DAY_MAX = (dt.date(9999, 12, 31) - _EPOCH).days

MED_TYPE_LABELS = {"11": "普通门诊", "12": "门诊挂号", "13": "急诊", "14": "门诊慢特病", "21": "普通住院",
                   "22": "外伤住院", "41": "定点药店购药", "51": "生育门诊", "52": "生育住院"}
GENDER_LABELS = {"1": "男", "2": "女"}


def cat(*parts) -> np.ndarray:
    """Concatenate strings elementwise; each part is a str or an array of strings (or of numbers)."""
    n = next(len(p) for p in parts if not isinstance(p, str))
    cols = []
    for p in parts:
        if isinstance(p, str):
            cols.append(repeat(p, n))
        else:
            p = np.asarray(p)
            cols.append((p if p.dtype == object else p.astype(str)).tolist())
    out = np.empty(n, dtype=object)
    out[:] = ["".join(t) for t in zip(*cols, strict=False)]
    return out


def join_nonempty(parts, sep: str) -> np.ndarray:
    acc = np.asarray(parts[0], dtype=object)
    for p in parts[1:]:
        p = np.asarray(p, dtype=object)
        acc = np.where((acc != "") & (p != ""), acc + sep + p, acc + p)
    return acc


SMALL = 256  # up to this many values, Python's str methods format faster than numpy's string functions


def fmt_scaled(values, digits: int, min_decimals: int = 0) -> np.ndarray:
    """Integers scaled by 10^digits as decimal strings: trailing zeros dropped down to min_decimals."""
    v = np.asarray(values, dtype=np.int64)
    if not len(v):
        return np.zeros(0, dtype=object)
    if len(v) <= SMALL and v.min() != INT64_MIN:  # (numpy's abs keeps INT64_MIN negative: numpy decides it)
        out = np.empty(len(v), dtype=object)
        out[:] = [_scaled_str(x, digits, min_decimals) for x in v.tolist()]
        return out
    sign = np.where(v < 0, "-", "").astype(object)
    a = np.abs(v)
    ip = (a // 10**digits).astype(str).astype(object)
    if digits == 0:
        return sign + ip
    fp = np.char.rstrip(np.char.zfill((a % 10**digits).astype(str), digits), "0")
    if min_decimals:
        fp = np.char.ljust(fp, min_decimals, "0")
    dot = np.where(np.char.str_len(fp) > 0, ".", "").astype(object)
    return sign + ip + dot + fp.astype(object)


def _scaled_str(x: int, digits: int, min_decimals: int) -> str:
    """fmt_scaled of one value, with the same str operations as its numpy path."""
    sign = "-" if x < 0 else ""
    ip, fp = divmod(abs(x), 10**digits)
    if digits == 0:
        return f"{sign}{ip}"
    fp = str(fp).zfill(digits).rstrip("0")
    if min_decimals:
        fp = fp.ljust(min_decimals, "0")
    return f"{sign}{ip}.{fp}" if fp else f"{sign}{ip}"


def grouped(texts: np.ndarray, values, digits: int) -> np.ndarray:
    """Thousands separators in the integer part of fmt_scaled's strings (1232.94 → 1,232.94), as the pages show
    money; only the strings of values of 1000 or more are rewritten, the rest are left as they are."""
    big = np.flatnonzero(np.abs(np.asarray(values, dtype=np.int64)) >= 1000 * 10**digits)
    if not len(big):
        return texts
    out = np.array(texts, dtype=object)
    for i in big.tolist():
        whole, dot, frac = out[i].partition(".")
        sign = "-" if whole.startswith("-") else ""
        out[i] = f"{sign}{int(whole.lstrip('-')):,}{dot}{frac}"
    return out


def fmt_fen(values) -> np.ndarray:
    """Amounts in fen as yuan: two decimals and thousands separators (1234567 → 12,345.67)."""
    return grouped(fmt_scaled(values, 2, 2), values, 2)


def fmt_qty(values_e4) -> np.ndarray:
    return fmt_scaled(values_e4, 4)


def fmt_price(values_e4) -> np.ndarray:
    """Prices kept ×10^4 as yuan: at least two decimals, thousands separators."""
    return grouped(fmt_scaled(values_e4, 4, 2), values_e4, 4)


def fmt_day(days) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    if len(days) <= SMALL:  # a few days: Python's isoformat, the same text within years 1000-9999
        items = days.tolist()
        if all(v == NAT or _DAY_MIN <= v <= _DAY_MAX for v in items):
            return _objects(["" if v == NAT else (_EPOCH + dt.timedelta(days=v)).isoformat() for v in items])
    out = np.datetime_as_string(days.astype("datetime64[D]")).astype(object)
    return np.where(days == NAT, "", out)


def fmt_time(ns) -> np.ndarray:
    ns = np.asarray(ns, dtype=np.int64)
    if len(ns) <= SMALL:  # a few times from 1970 on: whole seconds (numpy floors; so does // here), no "T"
        items = ns.tolist()
        if all(v == NAT or v >= 0 for v in items):
            return _objects(["" if v == NAT else (_EPOCH_TIME + dt.timedelta(seconds=v // 10**9)).isoformat(" ")
                             for v in items])
    s = np.char.replace(np.datetime_as_string(ns.astype("datetime64[ns]").astype("datetime64[s]")), "T", " ")
    return np.where(ns == NAT, "", s.astype(object))


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def label_map(codes, labels: dict) -> np.ndarray:
    codes = np.asarray(codes, dtype=object)
    if all(type(c) is str for c in codes) and all(type(v) is str for v in labels.values()):
        # the common case, without a Series to map (the same result: a code without a label stays)
        out = np.empty(len(codes), dtype=object)
        out[:] = [labels.get(c, c) for c in codes]
        return out
    codes = pd.Series(codes)
    return codes.map(labels).fillna(codes).to_numpy(dtype=object)

