"""Look-ups by dict and set for the small inputs of one visit, giving the results of the pandas calls they replace.

A settlement at the counter hands the engine one visit: a hundred lines, a few dozen catalog items. There,
pandas' fixed cost per call (building an Index, get_indexer, factorize, isin) outweighs the work, while a dict
or set look-up costs only its few values. Each helper returns None when it cannot promise pandas' exact result
(more than SMALL values, a value that is not a str, duplicates where pandas would raise), and the caller then
takes its pandas path: one engine, with a shortcut for small inputs.
"""
from __future__ import annotations

import numpy as np

SMALL = 2048  # up to this many values, plain-Python look-ups beat pandas' per-call costs
_TEXT = {str, type(None)}


def all_str(values: list) -> bool:
    return all(type(v) is str for v in values)


def str_table(values: np.ndarray) -> dict[str, int] | None:
    """{value: position} for unique str values (pd.Index(values) as a dict); None when they are many, not all
    str, or not unique."""
    if len(values) > SMALL:
        return None
    items = values.tolist()
    if not all_str(items):
        return None
    table = {v: i for i, v in enumerate(items)}
    return table if len(table) == len(items) else None


def last_table(values: np.ndarray) -> dict[str, int] | None:
    """{value: position of its last occurrence} for str values (what keep="last" de-duplication finds); None
    when they are many or not all str."""
    if len(values) > SMALL:
        return None
    items = values.tolist()
    return {v: i for i, v in enumerate(items)} if all_str(items) else None


def str_lookup(table: dict[str, int] | None, values: np.ndarray) -> np.ndarray | None:
    """The position of each value in `table` (-1: absent) as int64, as Index.get_indexer finds it; None when
    there is no table, or the values are many or not all str."""
    if table is None or len(values) > SMALL:
        return None
    items = values.tolist()
    if not all_str(items):
        return None
    return np.fromiter((table.get(v, -1) for v in items), np.int64, len(items))


def str_isin(values: np.ndarray, choices) -> np.ndarray | None:
    """np.isin(values, choices) for str values and str choices (equality of str is set membership); None
    otherwise."""
    if len(values) > SMALL:
        return None
    items, choices = values.tolist(), list(choices)
    if not (all_str(items) and all_str(choices)):
        return None
    wanted = set(choices)
    return np.fromiter((v in wanted for v in items), bool, len(items))


def str_factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """pd.factorize(values) for str values: (codes as int64, in order of first appearance; the distinct values
    as an object array); None otherwise (pandas also gives missing values the code -1)."""
    if len(values) > SMALL:
        return None
    items = values.tolist()
    if not all_str(items):
        return None
    ids: dict[str, int] = {}
    codes = np.fromiter((ids.setdefault(v, len(ids)) for v in items), np.int64, len(items))
    uniques = np.empty(len(ids), dtype=object)
    uniques[:] = list(ids)
    return codes, uniques


def str_first(values: np.ndarray) -> np.ndarray | None:
    """~pd.Index(values).duplicated(keep="first"): whether each value is the first of its kind, for str
    values; None otherwise."""
    if len(values) > SMALL:
        return None
    items = values.tolist()
    if not all_str(items):
        return None
    seen: set[str] = set()
    out = np.empty(len(items), bool)
    for i, v in enumerate(items):
        out[i] = v not in seen
        seen.add(v)
    return out


def filled_text(values: np.ndarray) -> np.ndarray | None:
    """Series(values).fillna("").to_numpy(dtype=object) as a fresh object array, for str values with None where
    missing (what the readers give); None otherwise (NaN, numbers, datetimes: fillna's own rules, which also
    convert what it does not fill, then decide)."""
    if len(values) > SMALL:
        return None
    items = values.tolist()
    kinds = set(map(type, items))
    if not kinds <= _TEXT:
        return None
    out = np.empty(len(items), dtype=object)
    out[:] = ["" if v is None else v for v in items] if type(None) in kinds else items
    return out
