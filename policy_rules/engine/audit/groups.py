"""Rows grouped by integer keys (a sort and `reduceat`), the smart audit's only grouping: no pandas groupby."""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd


def positions(index: pd.Index, values: np.ndarray) -> np.ndarray:
    """index.get_indexer(values) as int64, looking up only the first of each run of equal values (lines come
    grouped by visit)."""
    n = len(values)
    if n > 1000:
        change = np.empty(n, bool)
        change[0] = True
        np.not_equal(values[1:], values[:-1], out=change[1:])
        heads = np.flatnonzero(change)
        if len(heads) * 2 < n:
            return np.repeat(index.get_indexer(values[heads]).astype(np.int64), np.diff(np.append(heads, n)))
    return index.get_indexer(values).astype(np.int64)


class Groups:
    """Rows grouped by one or more int64 key arrays; groups are numbered in lexicographic key order and
    the rows of a group keep their input order."""

    def __init__(self, *keys):
        keys = [np.asarray(k, dtype=np.int64) for k in keys]
        n = len(keys[0])
        self.n_rows = n
        if n == 0:
            self.order = self.starts = self.ids = self.size = np.zeros(0, np.int64)
            self.n = 0
            return
        combined = _combine(keys)
        if combined is not None:
            order = np.argsort(combined, kind="stable")
            s = combined[order]
            change = np.empty(n, bool)
            change[0] = True
            np.not_equal(s[1:], s[:-1], out=change[1:])
        else:
            order = np.lexsort(keys[::-1])
            change = np.zeros(n, bool)
            change[0] = True
            for k in keys:
                sk = k[order]
                change[1:] |= sk[1:] != sk[:-1]
        self.order = order
        self.starts = np.flatnonzero(change)
        self.n = len(self.starts)

    # derived when a rule asks (most rules group a few lines and need neither)
    @cached_property
    def size(self) -> np.ndarray:
        """The number of rows of each group."""
        return np.diff(np.append(self.starts, self.n_rows))

    @cached_property
    def ids(self) -> np.ndarray:
        """The group of each row."""
        ids = np.empty(self.n_rows, np.int64)
        ids[self.order] = np.repeat(np.arange(self.n, dtype=np.int64), self.size)
        return ids

    def sum(self, values) -> np.ndarray:
        if not self.n:
            return np.zeros(0, np.int64)
        return np.add.reduceat(np.asarray(values)[self.order], self.starts)

    def max(self, values) -> np.ndarray:
        if not self.n:
            return np.zeros(0, np.asarray(values).dtype)
        return np.maximum.reduceat(np.asarray(values)[self.order], self.starts)

    def min(self, values) -> np.ndarray:
        if not self.n:
            return np.zeros(0, np.asarray(values).dtype)
        return np.minimum.reduceat(np.asarray(values)[self.order], self.starts)

    def first(self, values) -> np.ndarray:
        return np.asarray(values)[self.order[self.starts]]

    def tuples(self, values, groups) -> list[tuple]:
        """The values of the rows of each of `groups`, in row order, as tuples of Python objects."""
        s = np.asarray(values, dtype=object)[self.order]
        starts, size = self.starts, self.size
        return [tuple(s[starts[g]:starts[g] + size[g]].tolist()) for g in np.asarray(groups).tolist()]


def _combine(keys) -> np.ndarray | None:
    """One int64 key with the same order as the tuple of keys, when their ranges fit in 62 bits."""
    if len(keys) == 1:
        return keys[0]
    out = None
    total = 1
    for k in keys:
        lo, hi = int(k.min()), int(k.max())
        span = hi - lo + 1
        total *= span
        if total >= 2**62:
            return None
        r = k - lo
        out = r if out is None else out * span + r
    return out

