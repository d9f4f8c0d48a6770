"""The units the smart audit computes in, and the conversions into them.

Money in integer fen, cnt/pric scaled by 10^4, ratios by 10^6 (engine.money); days are integer days since
1970-01-01; timestamps are int64 nanoseconds with NAT for a missing value.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..money import QTY_SCALE

NAT = np.iinfo(np.int64).min
NEVER = np.iinfo(np.int64).max  # "no end yet" for an open stay
DAY_NS = 86_400 * 10**9
HOUR_NS = 3_600 * 10**9
E4_E4_TO_FEN = QTY_SCALE * QTY_SCALE // 100  # cnt_e4 × pric_e4 / this = fen


def ns_of(values) -> np.ndarray:
    """A datetime-like column as int64 nanoseconds (NAT where missing). A datetime64[ns] array (a Columns'
    column) is read as it is: the same integers a Series of it gives."""
    if isinstance(values, np.ndarray) and values.dtype == np.dtype("datetime64[ns]"):
        return values.view(np.int64)
    s = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
    if not (s.dtype.kind == "M" and not isinstance(s.dtype, pd.DatetimeTZDtype)):
        s = pd.to_datetime(s)
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_localize(None)
    return s.to_numpy(dtype="datetime64[ns]").view(np.int64)


def day_of(ns) -> np.ndarray:
    ns = np.asarray(ns, dtype=np.int64)
    return np.where(ns == NAT, NAT, ns // DAY_NS)

