"""Small vectorized helpers of the generator: zero-padded and concatenated strings, GB 11643 check
characters, ranks within groups, and integer money and quantities as the decimal text COPY reads."""
from __future__ import annotations

import numpy as np

from insurance.validators import CERTNO_CHECK_CHARS, CERTNO_WEIGHTS

# the GB 11643 tables of insurance.validators, as arrays for certno_check_digits
_CERTNO_WEIGHTS = np.array(CERTNO_WEIGHTS, dtype=np.int64)
_CERTNO_CHECK_CHARS = np.array(list(CERTNO_CHECK_CHARS))


def zfill(values: np.ndarray, width: int) -> np.ndarray:
    if np.size(values) == 0:
        return np.zeros(0, dtype=f"U{width}")
    return np.char.zfill(np.asarray(values, dtype=np.int64).astype(str), width)


def cat(*parts) -> np.ndarray:
    """Element-wise string concatenation of arrays and scalars."""
    out = np.asarray(parts[0]).astype(str)
    for p in parts[1:]:
        out = np.char.add(out, np.asarray(p).astype(str))
    return out


def certno_check_digits(first17: np.ndarray) -> np.ndarray:
    """GB 11643 check characters of an array of 17-digit strings (ISO 7064 MOD 11-2): validators.certno_check_digit,
    vectorized."""
    first17 = np.asarray(first17, dtype="U17")
    digits = first17.view("U1").reshape(len(first17), 17).astype(np.int64) if len(first17) else \
        np.zeros((0, 17), np.int64)
    return _CERTNO_CHECK_CHARS[(digits @ _CERTNO_WEIGHTS) % 11]


def rank_within_groups(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each group of equal keys (int64), in the original order of the rows."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys)) - group_start
    return rank


def fen_text(fen: np.ndarray) -> np.ndarray:
    """Integer fen → '123.45' (non-negative), for COPY into numeric columns."""
    fen = np.asarray(fen, dtype=np.int64)
    return cat(fen // 100, ".", zfill(fen % 100, 2))


def e4_text(v: np.ndarray) -> np.ndarray:
    """Integer ×10^4 → '12.3400' (non-negative)."""
    v = np.asarray(v, dtype=np.int64)
    return cat(v // 10_000, ".", zfill(v % 10_000, 4))


def amount_fen(cnt_e4: np.ndarray, pric_e4: np.ndarray) -> np.ndarray:
    """round(cnt × pric) to the fen, half up (as the upload validation computes it), in integers."""
    return (cnt_e4 * pric_e4 + 500_000) // 1_000_000
