"""Frames handed over as their columns: the frame is built only when someone asks for it.

On the few rows of one visit at the counter, pandas' fixed costs outweigh the arithmetic: building a frame costs
about 100 µs, and reading a column out of it the first time about 20 µs (a Series is built and cached). The
readers, the engine and the write plan hand each other many frames and read back most of their columns. A
`Columns` holds a frame's columns as the very arrays the frame would hold; whoever reads columns reads the
arrays, and `frame` builds the DataFrame from them (without copying) for whoever wants a frame. Every function
that takes one of the engine's frames takes a `Columns` alike (`column`, `has_column`): one engine, whatever the
container, and the night's large frames go through unchanged.
"""
from __future__ import annotations

import datetime as dt
from functools import cached_property

import numpy as np
import pandas as pd

from .lookup import SMALL

# the dtypes a frame keeps an array of exactly as given (an object array of str, None or tuples included)
_KEPT = {np.dtype(np.int64), np.dtype(np.bool_), np.dtype(np.float64), np.dtype("datetime64[ns]"),
         np.dtype(object)}


class Columns:
    """A frame's columns (a dict of 1-d arrays of one length, in the frame's order), each the array the frame's
    column holds: int64, bool, float64, datetime64[ns], or object holding no date or time (pandas would convert
    those). Build one with `exact_columns` or `columns_or_frame`, which check this; `frame` is the DataFrame of
    these columns."""

    def __init__(self, arrays: dict[str, np.ndarray], rows: int):
        self.arrays = arrays
        self.rows = rows

    def __len__(self) -> int:
        return self.rows

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.arrays)

    @property
    def empty(self) -> bool:
        """No rows (or no columns), as DataFrame.empty."""
        return not self.rows or not self.arrays

    def items(self):
        return self.arrays.items()

    @cached_property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.arrays, copy=False)  # fresh arrays, in the frame's order

    def current(self) -> dict[str, np.ndarray]:
        """The columns: the arrays, or the frame's once it is built (whoever asked for it may have changed it)."""
        if "frame" in self.__dict__:
            return {c: self.frame[c].to_numpy() for c in self.frame.columns}
        return self.arrays


# values of an object array that pandas would convert (an object column of dates or times becomes datetime64)
_TIMES = (np.datetime64, np.timedelta64, dt.date, dt.time, dt.timedelta)


def exact_columns(data: dict, *, texts: bool = False) -> Columns | None:
    """`data` (column → values, in the frame's order, each fresh: taken without copying) as a Columns when there
    are at most SMALL rows and every column is an array of one length that the frame keeps as it is; None
    otherwise (the caller builds the frame, whose columns pandas infers and converts). Large frames (the
    night's) are always built: their columns are not looked through value by value. texts: the caller knows
    its object arrays hold no date or time (the engine's own results), which are then not looked through."""
    lengths = {len(v) for v in data.values()}
    if len(lengths) != 1:
        return None
    rows = lengths.pop()
    if rows > SMALL:
        return None
    for v in data.values():
        if not (isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype in _KEPT):
            return None
        if v.dtype == object and not texts and any(isinstance(x, _TIMES) for x in v.tolist()):
            return None
    return Columns(data, rows)


def columns_or_frame(data: dict, *, texts: bool = False) -> Columns | pd.DataFrame:
    """exact_columns(data, texts=texts), or else the DataFrame of `data` (copy=False)."""
    found = exact_columns(data, texts=texts)
    return pd.DataFrame(data, copy=False) if found is None else found


def frame_of(part: Columns | pd.DataFrame) -> pd.DataFrame:
    """The DataFrame of a frame or of its columns."""
    return part.frame if isinstance(part, Columns) else part


def column(part: Columns | pd.DataFrame, name: str, dtype=None) -> np.ndarray:
    """part[name].to_numpy(dtype) of a frame, or of its columns (the array, converted by numpy as pandas
    would: a datetime column to object goes through pandas, which gives Timestamps)."""
    values = part[name]
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=dtype)
    if dtype is None:
        return values
    if values.dtype.kind == "M" and np.dtype(dtype) == object:
        return pd.Series(values).to_numpy(dtype=object)
    return values.astype(dtype, copy=False)


def series(part: Columns | pd.DataFrame, name: str) -> pd.Series:
    """part[name] as a Series (for pandas' own rules, on the paths that need them)."""
    values = part[name]
    return values if isinstance(values, pd.Series) else pd.Series(values, name=name)


def has_column(part: Columns | pd.DataFrame, name: str) -> bool:
    return name in part.columns


def rows_of(part: Columns | pd.DataFrame, keep: np.ndarray) -> Columns | pd.DataFrame:
    """The rows of a frame, or of its columns, where the bool array `keep` is True, numbered afresh
    (frame[keep].reset_index(drop=True); of Columns, each array indexed alike: the same columns)."""
    if isinstance(part, Columns):
        return Columns({c: values[keep] for c, values in part.current().items()}, int(np.count_nonzero(keep)))
    return part[keep].reset_index(drop=True)


class Parts:
    """Frames by name, each held as given (a DataFrame or its Columns). A subclass names its frames
    (`class Plan(Parts, frames=(...))`): each is an attribute giving the DataFrame, built on first access;
    `part` gives what was handed over, `columns` the arrays."""

    FRAMES: tuple[str, ...] = ()

    def __init_subclass__(cls, frames: tuple[str, ...] = (), **kwargs):
        super().__init_subclass__(**kwargs)
        cls.FRAMES = tuple(frames)
        for name in frames:
            setattr(cls, name, property(lambda self, name=name: frame_of(self._parts[name]),
                                        doc=f"the {name} frame (built on first access)"))

    def __init__(self, **parts):
        if set(parts) != set(self.FRAMES):
            raise TypeError(f"{type(self).__name__} takes the frames {self.FRAMES}, not {tuple(parts)}")
        self._parts = parts

    def part(self, name: str) -> Columns | pd.DataFrame:
        return self._parts[name]

    def columns(self, name: str) -> dict[str, np.ndarray]:
        """The columns of frame `name` as arrays (what frame[c].to_numpy() gives), without building the frame
        where it was handed over as its columns."""
        part = self._parts[name]
        if isinstance(part, Columns):
            return part.current()
        return {c: part[c].to_numpy() for c in part.columns}
