"""The batch the smart audit's rules run over, and what the rules return.

`AuditContext` holds the batch (lines, visits, catalog, history, institution statistics, the engine's line
split) and derives, once and only when a rule asks, the per-line columns the rules share: the visit row of
every line, the item's id, the fee day, the catalog row, the visit totals, the stays. Beside it `Hits`, what
a rule returns, and `excess_amount`, the price of an excess quantity. Units as in units.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..columnar import column, has_column, series
from ..lines import catalog_positions
from ..lookup import SMALL, last_table, str_factorize, str_first, str_isin, str_lookup, str_table
from ..money import mul_div_round
from .groups import Groups, positions
from .units import DAY_NS, E4_E4_TO_FEN, NAT, day_of, ns_of


class AuditInputError(ValueError):
    """The frames handed to the audit are inconsistent (a programming or loading error)."""


# --- hits ---------------------------------------------------------------------------------------------------

@dataclass
class Hits:
    vpos: np.ndarray  # visit row of every hit
    sns: list  # tuple of feedetl_sn per hit
    amount: np.ndarray  # fen
    evidence: np.ndarray  # object (str)
    related: np.ndarray | None = None  # related mdtrt_id per hit (cross-visit rules)


def line_hits(ctx, idx, amount, evidence) -> Hits:
    return Hits(ctx.vpos[idx], [(s,) for s in ctx.sn[idx].tolist()], np.asarray(amount, np.int64), evidence)


def concat_hits(parts: list[Hits]) -> Hits | None:
    parts = [h for h in parts if h is not None and len(h.vpos)]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    related = None
    if any(h.related is not None for h in parts):
        related = np.concatenate([h.related if h.related is not None else np.full(len(h.vpos), None, dtype=object)
                                  for h in parts])
    return Hits(np.concatenate([h.vpos for h in parts]), [t for h in parts for t in h.sns],
                np.concatenate([h.amount for h in parts]), np.concatenate([h.evidence for h in parts]), related)


# --- context ----------------------------------------------------------------------------------------------

class AuditContext:
    def __init__(self, lines, visits, catalog, history=None, inst_stats=None, line_split=None):
        self.lines, self.visits, self.catalog = lines, visits, catalog
        self.history, self.inst_stats, self.line_split = history, inst_stats, line_split
        self.n, self.nv = len(lines), len(visits)
        self.mdtrt_ids = column(visits, "mdtrt_id", object)
        line_ids = column(lines, "mdtrt_id", object)
        self.vtable = str_table(self.mdtrt_ids)  # one visit's batch: look-ups by dict
        self.vpos = str_lookup(self.vtable, line_ids)
        if self.vpos is None:
            if self.vindex.has_duplicates:
                dup = sorted(set(self.vindex[self.vindex.duplicated()]))[:5]
                raise AuditInputError(f"duplicate mdtrt_id in visits: {dup}")
            self.vpos = positions(self.vindex, line_ids)
        if (self.vpos < 0).any():
            raise AuditInputError(f"lines of unknown visits: {sorted(set(line_ids[self.vpos < 0]))[:5]}")
        self.cnt = column(lines, "cnt_e4", np.int64)
        self.pric = column(lines, "pric_e4", np.int64)
        self.amount = column(lines, "amount_fen", np.int64)
        self.sn = column(lines, "feedetl_sn", object)

    @cached_property
    def vindex(self) -> pd.Index:
        return pd.Index(self.mdtrt_ids)

    def shared(self, key: str, compute):
        """compute(self), once per batch: what several rules derive alike (e.g. every restriction rule's
        verdicts, of which each rule reports some kinds)."""
        cache = self.__dict__.setdefault("_shared", {})
        if key not in cache:
            cache[key] = compute(self)
        return cache[key]

    def catalog_values(self, name: str, dtype=None) -> np.ndarray:
        """catalog[name].to_numpy(dtype), read once per batch (read-only: shared by the rules). Several rules and
        the restriction verdicts read the same catalog columns; on a visit's few items pandas' cost per column
        read outweighs the work."""
        cache = self.__dict__.setdefault("_catalog_values", {})
        key = (name, None if dtype is None else np.dtype(dtype))
        if key not in cache:
            cache[key] = column(self.catalog, name, dtype)
        return cache[key]

    @cached_property
    def _catalog_codes_repeat(self) -> bool:
        """Whether a code has several catalog rows (catalog["med_list_codg"].duplicated().any())."""
        codes = self.catalog_values("med_list_codg", object)
        first = str_first(codes)  # by a set on a few str codes, the same verdict as pandas' hash table
        return bool(series(self.catalog, "med_list_codg").duplicated().any() if first is None else not first.all())

    # visits
    def visit_str(self, name: str) -> np.ndarray:
        """visits[name].astype(str) as an object array (the column itself when it holds only str)."""
        return _as_str(self.visits, name)

    @cached_property
    def med_type(self) -> np.ndarray:
        return self.visit_str("med_type")

    @cached_property
    def begn_ns(self) -> np.ndarray:
        return ns_of(column(self.visits, "begntime"))

    @cached_property
    def end_ns(self) -> np.ndarray:
        if not has_column(self.visits, "endtime"):
            return np.full(self.nv, NAT, np.int64)
        return ns_of(column(self.visits, "endtime"))

    @cached_property
    def begn_day(self) -> np.ndarray:
        return day_of(self.begn_ns)

    @cached_property
    def end_day(self) -> np.ndarray:
        return day_of(self.end_ns)

    @cached_property
    def visit_total(self) -> np.ndarray:
        # bincount adds in float64, exact for integer sums below 2^53 fen
        return np.rint(np.bincount(self.vpos, weights=self.amount, minlength=self.nv)).astype(np.int64)

    def chronic_visits(self, med_types) -> np.ndarray:
        """The visits whose person held a 门慢特 qualification (any disease) on the day of admission: the readers'
        column chronic_holder (facts.holds_qualification), whatever the visit's med type (docs/benefit-layers.md
        §C, the long-prescription rule); a frame without it (a case file, a caller that reads no qualifications):
        the visits of these med types, as before."""
        if has_column(self.visits, "chronic_holder"):
            held = column(self.visits, "chronic_holder")
            if held.dtype == bool:  # nothing to fill
                return held
            return series(self.visits, "chronic_holder").fillna(False).to_numpy(dtype=bool)
        return self.visits_of_med_types(med_types)

    def visits_of_med_types(self, med_types) -> np.ndarray:
        found = str_isin(self.med_type, med_types)
        return np.isin(self.med_type, np.asarray(list(med_types), dtype=object)) if found is None else found

    # lines
    @cached_property
    def fee_ns(self) -> np.ndarray:
        if not has_column(self.lines, "fee_ocur_time"):
            return np.full(self.n, NAT, np.int64)
        return ns_of(column(self.lines, "fee_ocur_time"))

    @cached_property
    def line_day(self) -> np.ndarray:
        """The fee day of every line; the admission day when the line has no fee_ocur_time."""
        fee = self.fee_ns
        return np.where(fee == NAT, self.begn_day[self.vpos], fee // DAY_NS)

    @cached_property
    def _codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(every line's code id, numbered in order of first appearance, -1 for a missing code; the codes)."""
        values = column(self.lines, "med_list_codg", object)
        found = str_factorize(values)
        if found is not None:
            return found
        ids, uniques = pd.factorize(values)
        return ids.astype(np.int64), np.asarray(uniques, dtype=object)

    @cached_property
    def _code_index(self) -> pd.Index:
        return pd.Index(self._codes[1])

    @cached_property
    def _code_dict(self) -> dict | None:
        """{code: id} of the lines' distinct codes when they are str and not many, else None: the rules look up
        a few codes at a time, where a dict avoids pandas' fixed cost per get_indexer call."""
        return last_table(self._codes[1])  # (the codes are distinct: the last position is the only one)

    def _code_ids(self, codes: list) -> np.ndarray:
        """The id of each of `codes` (-1: not among the lines' codes)."""
        index = self._code_dict
        if index is not None and all(type(c) is str for c in codes):
            return np.fromiter((index.get(c, -1) for c in codes), np.int64, len(codes))
        return self._code_index.get_indexer(pd.Index(codes, dtype=object)) if codes else np.zeros(0, np.int64)

    @property
    def code_id(self) -> np.ndarray:
        return self._codes[0]

    def code_ids_of(self, codes) -> np.ndarray:
        ids = self._code_ids(list(codes))
        return ids[ids >= 0]

    def code_lut(self, codes, values=None, fill=False) -> np.ndarray:
        """An array indexed by code id (with one more slot, for id -1) holding True, or `values`, for `codes`."""
        size = len(self._codes[1]) + 1
        ids = self._code_ids(list(codes))
        ok = ids >= 0
        if values is None:
            lut = np.zeros(size, bool)
            lut[ids[ok]] = True
        else:
            values = np.asarray(values)
            lut = np.full(size, fill, dtype=values.dtype)
            lut[ids[ok]] = values[ok]
        return lut

    def code_mask(self, codes) -> np.ndarray:
        if not self.n:
            return np.zeros(0, bool)
        return self.code_lut(codes)[self.code_id]

    @cached_property
    def _labels(self) -> np.ndarray:
        """'name code' (or the code alone) for every distinct code of the lines."""
        uniques = self._codes[1]
        codes = np.asarray(uniques, dtype=object).astype(str).astype(object)
        name_col = next((c for c in ("name", "med_list_name") if has_column(self.catalog, c)), None)
        if name_col is None or not len(codes) or not len(self.catalog):
            return np.append(codes, "")
        row = self.code_cat_row[:-1]
        name = self.catalog_values(name_col, object)[np.maximum(row, 0)]
        name = np.where((row >= 0) & ~pd.isna(name), name, "").astype(str).astype(object)
        return np.append(np.where(name != "", name + " " + codes, codes), "")

    def label(self, code_ids) -> np.ndarray:
        return self._labels[np.asarray(code_ids, dtype=np.int64)]

    @cached_property
    def code_cat_row(self) -> np.ndarray:
        """A catalog row of every distinct code of the lines (the last version of a code; -1: none), and -1
        for id -1."""
        at = str_lookup(last_table(self.catalog_values("med_list_codg", object)), self._codes[1])
        if at is not None:  # by dict: the last row of a code wins, as below
            return np.append(at, -1).astype(np.int64)
        uniques = self._code_index
        codes = pd.Index(self.catalog_values("med_list_codg", object))
        if codes.has_duplicates:
            keep = ~codes.duplicated(keep="last")
            at = pd.Index(codes[keep]).get_indexer(uniques)
            at = np.where(at >= 0, np.flatnonzero(keep)[np.maximum(at, 0)], -1)
        else:
            at = codes.get_indexer(uniques)
        return np.append(at, -1).astype(np.int64)

    @cached_property
    def cat_pos(self) -> np.ndarray:
        """The catalog row of every line (-1: not in the catalog), as the engine finds it (lines.py)."""
        if not len(self.catalog) or not self.n:
            return np.full(self.n, -1, np.int64)
        if has_column(self.catalog, "effective_from") or self._catalog_codes_repeat:
            return catalog_positions(self.lines, self.catalog, self.line_day.astype("datetime64[D]"))
        return self.code_cat_row[self.code_id]  # one look-up per distinct code instead of per line

    @cached_property
    def restricted_items(self) -> tuple[np.ndarray, np.ndarray]:
        """Per catalog row: (has a med-type restriction, has any restriction)."""
        col = self.catalog_values
        rows = np.unique(self.cat_pos[self.cat_pos >= 0])  # only the items the lines use
        has_mt = np.zeros(len(self.catalog), bool)
        has_mt[rows] = [bool(m) for m in col("restrict_med_types", object)[rows]]
        has_any = has_mt.copy()
        gender = col("restrict_gender", object)[rows]
        has_any[rows] |= ((~pd.isna(gender) & (gender != ""))
                          | (col("restrict_min_age", np.int64)[rows] >= 0)
                          | (col("restrict_max_age", np.int64)[rows] >= 0)
                          | (col("restrict_min_level", np.int64)[rows] >= 0))
        return has_mt, has_any

    @cached_property
    def split_reason(self) -> np.ndarray:
        """line_split's reason for every line (aligned by position, else by (mdtrt_id, feedetl_sn))."""
        return _split_reason(self)

    @cached_property
    def duplicate_candidates(self) -> np.ndarray:
        """Lines with a fee time and an amount whose (visit, item, time, amount) probably repeats: a hash of the
        four keys repeats (the rule groups the candidates exactly)."""
        fee = self.fee_ns
        idx = np.flatnonzero((fee != NAT) & (self.amount > 0))
        if len(idx) < 2:
            return idx[:0]
        with np.errstate(over="ignore"):
            h = (self.vpos[idx].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
                 ^ self.code_id[idx].astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
                 ^ fee[idx].astype(np.uint64) * np.uint64(0x165667B19E3779F9)
                 ^ self.amount[idx].astype(np.uint64) * np.uint64(0x27D4EB2F165667C5))
        if len(h) <= SMALL:  # a sort costs less than pandas' hash table on a few lines; the same verdict
            _, inverse, counts = np.unique(h, return_inverse=True, return_counts=True)
            return idx[counts[inverse] > 1]
        return idx[pd.Series(h, copy=False).duplicated(keep=False).to_numpy()]

    def stays(self, med_types) -> Stays:
        key = tuple(sorted(med_types))
        cache = self.__dict__.setdefault("_stays", {})
        if key not in cache:
            cache[key] = _stays(self, key)
        return cache[key]

    @cached_property
    def inst_average(self) -> tuple[np.ndarray, np.ndarray]:
        """Per visit: the institution's average amount for the visit's med_type and its number of visits (0, 0
        when inst_stats has no row for them)."""
        st = self.inst_stats
        sep = "\x1f"
        avg = column(st, "avg_amount_fen", np.int64)
        n = column(st, "visits", np.int64)
        at = None
        if len(st) + self.nv <= SMALL:  # by dict: a key's last row wins, as keep="last" below
            keys = _as_str(st, "fixmedins_code") + sep + _as_str(st, "med_type")
            at = str_lookup(last_table(keys), self.visit_str("fixmedins_code") + sep + self.med_type)
        if at is None:
            keys = pd.Index(series(st, "fixmedins_code").astype(str).to_numpy(dtype=object) + sep
                            + series(st, "med_type").astype(str).to_numpy(dtype=object))
            last = ~keys.duplicated(keep="last")
            at = pd.Index(keys[last]).get_indexer(series(self.visits, "fixmedins_code").astype(str).to_numpy(dtype=object)
                                                  + sep + self.med_type)
            avg, n = avg[last], n[last]
        found = at >= 0
        a = np.maximum(at, 0)
        return np.where(found, avg[a] if len(avg) else 0, 0), np.where(found, n[a] if len(n) else 0, 0)

    def cat_col(self, name, fill) -> np.ndarray:
        pos = self.cat_pos
        values = self.catalog_values(name)
        if not len(values):
            return np.full(self.n, fill)
        return np.where(pos >= 0, values[np.maximum(pos, 0)], fill)


def _as_str(part, name: str) -> np.ndarray:
    """part[name].astype(str) as an object array (part: a frame or its Columns), without pandas' conversion when
    every value is a str already."""
    values = column(part, name)
    if values.dtype == object and all(type(x) is str for x in values.tolist()):
        return values
    return series(part, name).astype(str).to_numpy(dtype=object)


def _split_reason(ctx) -> np.ndarray:
    split = ctx.line_split
    same = (len(split) == ctx.n
            and np.array_equal(column(split, "mdtrt_id", object), column(ctx.lines, "mdtrt_id", object))
            and np.array_equal(column(split, "feedetl_sn", object), ctx.sn))
    if same:
        return column(split, "reason", object)
    keys = pd.MultiIndex.from_arrays([column(split, "mdtrt_id", object),
                                      series(split, "feedetl_sn").astype(str).to_numpy(dtype=object)])
    if keys.has_duplicates:
        raise AuditInputError("line_split has duplicate (mdtrt_id, feedetl_sn)")
    at = keys.get_indexer(pd.MultiIndex.from_arrays([column(ctx.lines, "mdtrt_id", object),
                                                     series(ctx.lines, "feedetl_sn").astype(str).to_numpy(dtype=object)]))
    reason = column(split, "reason", object)
    return np.where(at >= 0, reason[np.maximum(at, 0)] if len(reason) else None, None)


@dataclass
class Stays:
    """Stays of the batch (vpos >= 0) and of the history (vpos -1, only those not in the batch), one med-type set."""
    ids: np.ndarray  # mdtrt_id
    inst: np.ndarray  # fixmedins_code
    begn: np.ndarray  # ns
    end: np.ndarray  # ns, NAT: not discharged
    vpos: np.ndarray
    psn: np.ndarray  # person id (int)
    inst_id: np.ndarray  # institution id (int)
    rank: np.ndarray  # rank of the mdtrt_id among the stays: a tie-break independent of the batch's make-up


def _stays(ctx, med_types) -> Stays:
    vm = np.flatnonzero(ctx.visits_of_med_types(med_types))
    parts = [(ctx.mdtrt_ids[vm], column(ctx.visits, "psn_no", object)[vm],
              column(ctx.visits, "fixmedins_code", object)[vm], ctx.begn_ns[vm], ctx.end_ns[vm],
              vm.astype(np.int64))]
    h = ctx.history
    if h is not None and len(h):
        hid = column(h, "mdtrt_id", object)
        hm = _history_stays(ctx, h, hid, med_types)
        n = int(hm.sum())
        parts.append((hid[hm], column(h, "psn_no", object)[hm], column(h, "fixmedins_code", object)[hm],
                      _ns_rows(h, "begntime", hm),
                      _ns_rows(h, "endtime", hm) if has_column(h, "endtime") else np.full(n, NAT, np.int64),
                      np.full(n, -1, np.int64)))
    ids, psn_no, inst, begn, end, vpos = (np.concatenate(c) for c in zip(*parts, strict=True))
    rank = np.empty(len(ids), np.int64)
    rank[np.argsort(ids.astype(str), kind="stable")] = np.arange(len(ids))
    return Stays(ids, inst, begn.astype(np.int64), end.astype(np.int64), vpos, _factorize(psn_no), _factorize(inst),
                 rank)


def _history_stays(ctx, h, hid: np.ndarray, med_types) -> np.ndarray:
    """The history's rows that are stays of med_types, not in the batch, and the first row of their mdtrt_id."""
    of_type = str_isin(_as_str(h, "med_type"), med_types)
    if of_type is None:
        of_type = np.isin(series(h, "med_type").astype(str).to_numpy(dtype=object), np.asarray(list(med_types), dtype=object))
    in_batch = str_lookup(ctx.vtable, hid)
    if in_batch is None:
        in_batch = ctx.vindex.get_indexer(hid)
    first = str_first(hid)
    if first is None:
        first = ~pd.Index(hid).duplicated(keep="first")
    return of_type & (in_batch < 0) & first


def _ns_rows(part, name: str, rows: np.ndarray) -> np.ndarray:
    """ns_of(part[name][rows]); a naive datetime column is converted whole and then indexed (the same values),
    anything else parsed on the rows alone (pandas infers a format from the values it is given)."""
    values = part[name]
    if not (isinstance(values, np.ndarray) and values.dtype.kind == "M"):  # (a naive datetime array: as it is)
        values = series(part, name)
    if values.dtype.kind == "M" and not isinstance(values.dtype, pd.DatetimeTZDtype):
        return ns_of(values)[rows]
    return ns_of(values[rows])


def _factorize(values: np.ndarray) -> np.ndarray:
    found = str_factorize(values)
    return pd.factorize(values)[0].astype(np.int64) if found is None else found[0]


# --- price helper -------------------------------------------------------------------------------------------

def excess_amount(g: Groups, idx, excess_e4, groups, ctx) -> np.ndarray:
    """excess quantity × the group's unit price (Σ cnt×pric / Σ cnt), in fen rounded half up, at most the
    group's amount. With one price in the group this is round(excess × pric)."""
    cnt = g.sum(ctx.cnt[idx])[groups]
    value = g.sum(ctx.cnt[idx] * ctx.pric[idx])[groups]  # in units of 10^-8 yuan
    amount = g.sum(ctx.amount[idx])[groups]
    ok = cnt > 0
    out = np.zeros(len(groups), np.int64)
    if ok.any():
        out[ok] = mul_div_round(excess_e4[ok], value[ok], cnt[ok] * E4_E4_TO_FEN)
    return np.clip(out, 0, np.maximum(amount, 0))
