"""Exact money arithmetic for the engine.

Money is carried as integer fen (分, 0.01 yuan) in int64 arrays. Quantities and unit prices may carry
four decimals and are carried as integers scaled by 10^4. Ratios are integers scaled by 10^6.
Every division rounds half up (四舍五入); all the engine's quantities are non-negative.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np

FEN = 100  # fen per yuan
QTY_SCALE = 10_000  # cnt and pric carry up to 4 decimals
RATIO_SCALE = 1_000_000  # ratios carry up to 6 decimals
UNBOUNDED = np.int64(2**62)  # "no upper bound" on an axis, in fen
CENT = Decimal("0.01")

_SAFE = 2**62


def to_decimal(value) -> Decimal:
    """Parse a money-like value (str, int, Decimal; a float only through its repr) into a Decimal."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite decimal number: {value!r}")
    return result


def scaled(value, scale: int) -> int:
    """Decimal value → integer in units of 1/scale, rounded half up."""
    d = to_decimal(value) * scale
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_fen(value) -> int:
    return scaled(value, FEN)


def fen_to_decimal(fen: int) -> Decimal:
    return (Decimal(int(fen)) / FEN).quantize(CENT)


def fen_str(fen: int) -> str:
    return str(fen_to_decimal(fen))


def round_half_up_yuan(value: Decimal) -> Decimal:
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def div_round(num, den):
    """Round half up of num / den for non-negative integer arrays (den > 0), without overflow."""
    num = np.asarray(num)
    den = np.asarray(den)
    q, r = np.divmod(num, den)
    return q + (r * 2 >= den)


def mul_div_round(a, b, den):
    """round_half_up(a × b / den) for non-negative integer arrays.

    Exact: uses int64 where the product provably fits, Python integers elsewhere.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    den_arr = np.asarray(den, dtype=np.int64)
    if a.size == 0:
        return np.zeros(np.broadcast(a, b, den_arr).shape, dtype=np.int64)
    max_a = int(np.abs(a).max())
    max_b = int(np.abs(b).max())
    if max_a * max_b < _SAFE:
        return div_round(a * b, den_arr).astype(np.int64)
    a_o, b_o, d_o = np.broadcast_arrays(a.astype(object), b.astype(object), den_arr.astype(object))
    out = np.empty(a_o.shape, dtype=np.int64)
    for i, (x, y, d) in enumerate(zip(a_o.ravel(), b_o.ravel(), d_o.ravel(), strict=True)):
        n = x * y
        q, r = divmod(n, d)
        out.flat[i] = q + (1 if 2 * r >= d else 0)
    return out
