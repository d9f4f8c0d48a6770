"""The smart audit's rule types (智能审核规则): each one a frame operation over a whole batch of fee lines.

`AuditContext` holds the batch (lines, visits, catalog, history, institution statistics, the engine's line
split) and derives, once and only when a rule asks, the per-line columns the rules share: the visit row of
every line, the item's id, the fee day, the catalog row, the visit totals. A rule function takes the context
and its normalized parameters (audit.normalize_params) and returns its hits (`Hits`) or None.

No rule loops over lines in Python: lines are selected with boolean masks and grouped with `Groups` (a
sort by integer keys and `reduceat`); Python loops run over rules, over a rule's parameters (pairs,
indication items) and over hits (their line tuples and evidence pieces).

Units: money in integer fen, cnt/pric scaled by 10^4, ratios by 10^6 (money.py); days are integer days
since 1970-01-01; timestamps are int64 nanoseconds with NAT for a missing value.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import repeat

import numpy as np
import pandas as pd

from .lines import CLASS_C_CODE, RESTRICTED, catalog_positions
from .money import QTY_SCALE, RATIO_SCALE, mul_div_round

NAT = np.iinfo(np.int64).min
NEVER = np.iinfo(np.int64).max  # "no end yet" for an open stay
DAY_NS = 86_400 * 10**9
HOUR_NS = 3_600 * 10**9
E4_E4_TO_FEN = QTY_SCALE * QTY_SCALE // 100  # cnt_e4 × pric_e4 / this = fen

MED_TYPE_LABELS = {"11": "普通门诊", "12": "门诊挂号", "13": "急诊", "14": "门诊慢特病", "21": "普通住院",
                   "22": "外伤住院", "41": "定点药店购药", "51": "生育门诊", "52": "生育住院"}
GENDER_LABELS = {"1": "男", "2": "女"}


class AuditInputError(ValueError):
    """The frames handed to the audit are inconsistent (a programming or loading error)."""


# --- grouping ------------------------------------------------------------------------------------------

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
        self.size = np.diff(np.append(self.starts, n))
        ids_sorted = np.cumsum(change) - 1
        self.ids = np.empty(n, np.int64)
        self.ids[order] = ids_sorted

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


# --- strings (evidence) -----------------------------------------------------------------------------------

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


def fmt_scaled(values, digits: int, min_decimals: int = 0) -> np.ndarray:
    """Integers scaled by 10^digits as decimal strings: trailing zeros dropped down to min_decimals."""
    v = np.asarray(values, dtype=np.int64)
    if not len(v):
        return np.zeros(0, dtype=object)
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


def fmt_fen(values) -> np.ndarray:
    return fmt_scaled(values, 2, 2)


def fmt_qty(values_e4) -> np.ndarray:
    return fmt_scaled(values_e4, 4)


def fmt_price(values_e4) -> np.ndarray:
    return fmt_scaled(values_e4, 4, 2)


def fmt_day(days) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    out = np.datetime_as_string(days.astype("datetime64[D]")).astype(object)
    return np.where(days == NAT, "", out)


def fmt_time(ns) -> np.ndarray:
    ns = np.asarray(ns, dtype=np.int64)
    s = np.char.replace(np.datetime_as_string(ns.astype("datetime64[ns]").astype("datetime64[s]")), "T", " ")
    return np.where(ns == NAT, "", s.astype(object))


def label_map(codes, labels: dict) -> np.ndarray:
    codes = pd.Series(np.asarray(codes, dtype=object))
    return codes.map(labels).fillna(codes).to_numpy(dtype=object)


def ns_of(values) -> np.ndarray:
    """A datetime-like column as int64 nanoseconds (NAT where missing)."""
    s = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
    if not (s.dtype.kind == "M" and not isinstance(s.dtype, pd.DatetimeTZDtype)):
        s = pd.to_datetime(s)
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_localize(None)
    return s.to_numpy(dtype="datetime64[ns]").view(np.int64)


def day_of(ns) -> np.ndarray:
    ns = np.asarray(ns, dtype=np.int64)
    return np.where(ns == NAT, NAT, ns // DAY_NS)


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


# --- context ----------------------------------------------------------------------------------------------

class AuditContext:
    def __init__(self, lines, visits, catalog, history=None, inst_stats=None, line_split=None):
        self.lines, self.visits, self.catalog = lines, visits, catalog
        self.history, self.inst_stats, self.line_split = history, inst_stats, line_split
        self.n, self.nv = len(lines), len(visits)
        self.mdtrt_ids = visits["mdtrt_id"].to_numpy(dtype=object)
        self.vindex = pd.Index(self.mdtrt_ids)
        if self.vindex.has_duplicates:
            dup = sorted(set(self.vindex[self.vindex.duplicated()]))[:5]
            raise AuditInputError(f"duplicate mdtrt_id in visits: {dup}")
        self.vpos = positions(self.vindex, lines["mdtrt_id"].to_numpy(dtype=object))
        if (self.vpos < 0).any():
            raise AuditInputError(f"lines of unknown visits: {sorted(set(lines['mdtrt_id'][self.vpos < 0]))[:5]}")
        self.cnt = lines["cnt_e4"].to_numpy(dtype=np.int64)
        self.pric = lines["pric_e4"].to_numpy(dtype=np.int64)
        self.amount = lines["amount_fen"].to_numpy(dtype=np.int64)
        self.sn = lines["feedetl_sn"].to_numpy(dtype=object)

    # visits
    @cached_property
    def med_type(self) -> np.ndarray:
        return self.visits["med_type"].astype(str).to_numpy(dtype=object)

    @cached_property
    def begn_ns(self) -> np.ndarray:
        return ns_of(self.visits["begntime"])

    @cached_property
    def end_ns(self) -> np.ndarray:
        if "endtime" not in self.visits.columns:
            return np.full(self.nv, NAT, np.int64)
        return ns_of(self.visits["endtime"])

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

    def visits_of_med_types(self, med_types) -> np.ndarray:
        return np.isin(self.med_type, np.asarray(list(med_types), dtype=object))

    # lines
    @cached_property
    def fee_ns(self) -> np.ndarray:
        if "fee_ocur_time" not in self.lines.columns:
            return np.full(self.n, NAT, np.int64)
        return ns_of(self.lines["fee_ocur_time"])

    @cached_property
    def line_day(self) -> np.ndarray:
        """The fee day of every line; the admission day when the line has no fee_ocur_time."""
        fee = self.fee_ns
        return np.where(fee == NAT, self.begn_day[self.vpos], fee // DAY_NS)

    @cached_property
    def _codes(self):
        ids, uniques = pd.factorize(self.lines["med_list_codg"].to_numpy(dtype=object))
        return ids.astype(np.int64), pd.Index(uniques)

    @property
    def code_id(self) -> np.ndarray:
        return self._codes[0]

    def code_ids_of(self, codes) -> np.ndarray:
        ids = self._codes[1].get_indexer(pd.Index(list(codes), dtype=object))
        return ids[ids >= 0]

    def code_lut(self, codes, values=None, fill=False) -> np.ndarray:
        """An array indexed by code id (with one more slot, for id -1) holding True, or `values`, for `codes`."""
        uniques = self._codes[1]
        codes = list(codes)
        ids = uniques.get_indexer(pd.Index(codes, dtype=object)) if codes else np.zeros(0, np.int64)
        ok = ids >= 0
        if values is None:
            lut = np.zeros(len(uniques) + 1, bool)
            lut[ids[ok]] = True
        else:
            values = np.asarray(values)
            lut = np.full(len(uniques) + 1, fill, dtype=values.dtype)
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
        name_col = next((c for c in ("name", "med_list_name") if c in self.catalog.columns), None)
        if name_col is None or not len(codes) or not len(self.catalog):
            return np.append(codes, "")
        row = self.code_cat_row[:-1]
        name = self.catalog[name_col].to_numpy(dtype=object)[np.maximum(row, 0)]
        name = np.where((row >= 0) & ~pd.isna(name), name, "").astype(str).astype(object)
        return np.append(np.where(name != "", name + " " + codes, codes), "")

    def label(self, code_ids) -> np.ndarray:
        return self._labels[np.asarray(code_ids, dtype=np.int64)]

    @cached_property
    def code_cat_row(self) -> np.ndarray:
        """A catalog row of every distinct code of the lines (the last version of a code; -1: none), and -1
        for id -1."""
        codes = pd.Index(self.catalog["med_list_codg"].to_numpy(dtype=object))
        uniques = self._codes[1]
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
        if "effective_from" in self.catalog.columns or self.catalog["med_list_codg"].duplicated().any():
            return catalog_positions(self.lines, self.catalog, self.line_day.astype("datetime64[D]"))
        return self.code_cat_row[self.code_id]  # one look-up per distinct code instead of per line

    @cached_property
    def restricted_items(self) -> tuple[np.ndarray, np.ndarray]:
        """Per catalog row: (has a med-type restriction, has any restriction)."""
        c = self.catalog
        rows = np.unique(self.cat_pos[self.cat_pos >= 0])  # only the items the lines use
        has_mt = np.zeros(len(c), bool)
        has_mt[rows] = [bool(m) for m in c["restrict_med_types"].to_numpy(dtype=object)[rows]]
        has_any = has_mt.copy()
        gender = c["restrict_gender"].to_numpy(dtype=object)[rows]
        has_any[rows] |= ((~pd.isna(gender) & (gender != ""))
                          | (c["restrict_min_age"].to_numpy(np.int64)[rows] >= 0)
                          | (c["restrict_max_age"].to_numpy(np.int64)[rows] >= 0)
                          | (c["restrict_min_level"].to_numpy(np.int64)[rows] >= 0))
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
        keys = pd.Index(st["fixmedins_code"].astype(str).to_numpy(dtype=object) + sep
                        + st["med_type"].astype(str).to_numpy(dtype=object))
        last = ~keys.duplicated(keep="last")
        at = pd.Index(keys[last]).get_indexer(self.visits["fixmedins_code"].astype(str).to_numpy(dtype=object) + sep
                                              + self.med_type)
        found = at >= 0
        a = np.maximum(at, 0)
        avg = st["avg_amount_fen"].to_numpy(dtype=np.int64)[last]
        n = st["visits"].to_numpy(dtype=np.int64)[last]
        return np.where(found, avg[a] if len(avg) else 0, 0), np.where(found, n[a] if len(n) else 0, 0)

    def cat_col(self, name, fill) -> np.ndarray:
        pos = self.cat_pos
        values = self.catalog[name].to_numpy()
        if not len(values):
            return np.full(self.n, fill)
        return np.where(pos >= 0, values[np.maximum(pos, 0)], fill)


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


# --- rule types ---------------------------------------------------------------------------------------------

def rule_restriction(ctx: AuditContext, p: dict) -> Hits | None:
    if not ctx.n or not len(ctx.catalog):
        return None
    pos = ctx.cat_pos
    catalog = ctx.catalog
    has_mt, has_any = ctx.restricted_items
    if ctx.line_split is not None:
        cand = np.flatnonzero(ctx.split_reason == RESTRICTED)
    else:
        found = pos >= 0
        p0 = np.maximum(pos, 0)
        cand = np.flatnonzero(found & has_any[p0] & (catalog["chrg_lv"].to_numpy(dtype=object)[p0] != CLASS_C_CODE))
    if not len(cand):
        return None
    v = ctx.vpos[cand]
    found = pos[cand] >= 0
    r = np.maximum(pos[cand], 0)

    def ccol(name, dtype):
        return catalog[name].to_numpy(dtype=dtype)[r]

    vis = ctx.visits
    rg = np.where(found, ccol("restrict_gender", object), "")
    rg = np.where(pd.isna(rg), "", rg).astype(str).astype(object)
    gender = vis["gender"].astype(str).to_numpy(dtype=object)[v]
    min_age = np.where(found, ccol("restrict_min_age", np.int64), -1)
    max_age = np.where(found, ccol("restrict_max_age", np.int64), -1)
    min_level = np.where(found, ccol("restrict_min_level", np.int64), -1)
    age = vis["age"].to_numpy(dtype=np.int64)[v]
    level = vis["inst_level"].to_numpy(dtype=np.int64)[v]
    mt = ctx.med_type[v]
    bad = {
        "gender": (rg != "") & (rg != gender),
        "age": ((min_age >= 0) & (age < min_age)) | ((max_age >= 0) & (age > max_age)),
        "level": (min_level >= 0) & (level < min_level),
        "med_type": found & has_mt[r] & ~_med_type_allowed(catalog, r, mt),
    }
    kinds = p["kinds"]
    selected = np.zeros(len(cand), bool)
    for k in kinds:
        selected |= bad[k]
    any_bad = bad["gender"] | bad["age"] | bad["level"] | bad["med_type"]
    if ctx.line_split is not None and len(kinds) == 4:
        keep = np.ones(len(cand), bool)  # the engine's verdict, even where the reason cannot be recomputed
    else:
        keep = selected
    if not keep.any():
        return None
    cand, v, r = cand[keep], v[keep], r[keep]
    rg, gender, min_age, max_age, min_level = rg[keep], gender[keep], min_age[keep], max_age[keep], min_level[keep]
    age, level, mt = age[keep], level[keep], mt[keep]
    bad = {k: m[keep] for k, m in bad.items()}
    any_bad = any_bad[keep]

    age_rule = np.where((min_age >= 0) & (max_age >= 0), cat(min_age.astype(str), "–", max_age.astype(str), " 岁"),
                        np.where(min_age >= 0, cat(min_age.astype(str), " 岁及以上"), cat(max_age.astype(str), " 岁及以下")))
    mt_allowed = np.full(len(cand), "", dtype=object)
    if bad["med_type"].any():
        rows = np.unique(r[bad["med_type"]])
        allowed = catalog["restrict_med_types"].to_numpy(dtype=object)[rows]
        text = pd.Series(["/".join(map(str, m)) for m in allowed], index=rows, dtype=object)
        mt_allowed[bad["med_type"]] = text.reindex(r[bad["med_type"]]).to_numpy(dtype=object)
    parts = [
        np.where(bad["gender"], cat("限", label_map(rg, GENDER_LABELS), "性，患者为", label_map(gender, GENDER_LABELS),
                                    "性"), ""),
        np.where(bad["age"], cat("限 ", age_rule, "，患者入院时 ", age.astype(str), " 岁"), ""),
        np.where(bad["level"], cat("限 ", min_level.astype(str), " 级及以上医疗机构，本机构为 ", level.astype(str),
                                   " 级"), ""),
        np.where(bad["med_type"], cat("限医疗类别 ", mt_allowed, "，本次为 ", mt, " ", label_map(mt, MED_TYPE_LABELS)),
                 ""),
    ]
    why = np.where(any_bad, join_nonempty(parts, "；"), "违反目录限定支付范围")
    evidence = cat(ctx.label(ctx.code_id[cand]), " 超出限定支付范围：", why)
    return line_hits(ctx, cand, ctx.amount[cand], evidence)


def _split_reason(ctx) -> np.ndarray:
    split = ctx.line_split
    same = (len(split) == ctx.n
            and np.array_equal(split["mdtrt_id"].to_numpy(dtype=object), ctx.lines["mdtrt_id"].to_numpy(dtype=object))
            and np.array_equal(split["feedetl_sn"].to_numpy(dtype=object), ctx.sn))
    if same:
        return split["reason"].to_numpy(dtype=object)
    keys = pd.MultiIndex.from_arrays([split["mdtrt_id"].to_numpy(dtype=object),
                                      split["feedetl_sn"].astype(str).to_numpy(dtype=object)])
    if keys.has_duplicates:
        raise AuditInputError("line_split has duplicate (mdtrt_id, feedetl_sn)")
    at = keys.get_indexer(pd.MultiIndex.from_arrays([ctx.lines["mdtrt_id"].to_numpy(dtype=object),
                                                     ctx.lines["feedetl_sn"].astype(str).to_numpy(dtype=object)]))
    reason = split["reason"].to_numpy(dtype=object)
    return np.where(at >= 0, reason[np.maximum(at, 0)] if len(reason) else None, None)


def _med_type_allowed(catalog, rows, med_type) -> np.ndarray:
    """Whether each line's visit med_type is among its item's allowed med types (rows: catalog rows)."""
    allowed = catalog["restrict_med_types"].to_numpy(dtype=object)
    items = np.unique(rows)
    lists = [tuple(str(m) for m in (allowed[i] or ())) for i in items.tolist()]
    lens = np.array([len(x) for x in lists], dtype=np.int64)
    flat = [m for x in lists for m in x]
    if not flat:
        return np.ones(len(rows), bool)
    codes, uniq = pd.factorize(np.concatenate([np.asarray(flat, dtype=object), np.asarray(med_type, dtype=object)]))
    k = len(uniq)
    allowed_keys = np.repeat(items, lens) * k + codes[:len(flat)]
    line_keys = rows.astype(np.int64) * k + codes[len(flat):]
    return np.isin(line_keys, allowed_keys)


def rule_frequency(ctx: AuditContext, p: dict) -> Hits | None:
    idx = np.flatnonzero(ctx.code_mask(p["codes"]))
    if not len(idx):
        return None
    per_day = p["per"] == "day"
    keys = [ctx.vpos[idx], ctx.code_id[idx]] + ([ctx.line_day[idx]] if per_day else [])
    g = Groups(*keys)
    qty = g.sum(ctx.cnt[idx])
    hit = np.flatnonzero(qty > p["max_e4"])
    if not len(hit):
        return None
    excess = qty[hit] - p["max_e4"]
    amount = excess_amount(g, idx, excess, hit, ctx)
    first = g.first(idx)[hit]
    unit = p["unit"]
    label = ctx.label(ctx.code_id[first])
    if per_day:
        evidence = cat(label, " 在 ", fmt_day(ctx.line_day[first]), " 收费 ", fmt_qty(qty[hit]), f" {unit}，超过每日 ",
                       fmt_qty(np.full(len(hit), p["max_e4"])), f" {unit}")
    else:
        evidence = cat(label, " 本次就诊收费 ", fmt_qty(qty[hit]), f" {unit}，超过每次就诊 ",
                       fmt_qty(np.full(len(hit), p["max_e4"])), f" {unit}")
    return Hits(ctx.vpos[first], g.tuples(ctx.sn[idx], hit), amount, evidence)


def rule_duplicate_charge(ctx: AuditContext, p: dict) -> Hits | None:
    if not ctx.n:
        return None
    fee = ctx.fee_ns
    idx = ctx.duplicate_candidates
    if p["exclude_codes"] and len(idx):
        idx = idx[~ctx.code_lut(p["exclude_codes"])[ctx.code_id[idx]]]  # an item's lines share one group
    if not len(idx):
        return None
    g = Groups(ctx.vpos[idx], ctx.code_id[idx], fee[idx], ctx.amount[idx])
    hit = np.flatnonzero(g.size >= 2)
    if not len(hit):
        return None
    first = g.first(idx)[hit]
    k = g.size[hit]
    each = ctx.amount[first]
    evidence = cat(ctx.label(ctx.code_id[first]), " 在 ", fmt_time(fee[first]), " 收费 ", k.astype(str), " 笔，每笔 ",
                   fmt_fen(each), " 元，重复 ", (k - 1).astype(str), " 笔")
    return Hits(ctx.vpos[first], g.tuples(ctx.sn[idx], hit), each * (k - 1), evidence)


def _visit_day_key(ctx, idx) -> np.ndarray:
    day = ctx.line_day[idx]
    return ctx.vpos[idx] * np.int64(1 << 32) + (day + np.int64(1 << 31))


def rule_mutually_exclusive(ctx: AuditContext, p: dict) -> Hits | None:
    out = []
    for pair in p["pairs"]:
        main = np.flatnonzero(ctx.code_mask([pair["main"]]))
        if not len(main):
            continue
        inc = np.flatnonzero(ctx.code_mask(pair["included"]))
        if not len(inc):
            continue
        main_keys = _visit_day_key(ctx, main)
        inc_keys = _visit_day_key(ctx, inc)
        inc = inc[np.isin(inc_keys, main_keys)]
        if not len(inc):
            continue
        inc_keys = _visit_day_key(ctx, inc)
        main = main[np.isin(main_keys, inc_keys)]
        idx = np.concatenate([main, inc])
        is_inc = np.concatenate([np.zeros(len(main), bool), np.ones(len(inc), bool)])
        order = np.argsort(idx, kind="stable")  # lines in input order inside each group
        idx, is_inc = idx[order], is_inc[order]
        g = Groups(_visit_day_key(ctx, idx))
        groups = np.arange(g.n)
        amount = g.sum(np.where(is_inc, ctx.amount[idx], 0))
        first_main = g.first(idx)  # any line of the group gives the visit and day
        main_label = ctx.label(ctx.code_id[main[:1]])[0] if len(main) else pair["main"]
        inc_codes = g.tuples(np.where(is_inc, ctx.code_id[idx], -1), groups)
        inc_labels = np.array(["、".join(ctx.label([c for c in dict.fromkeys(t) if c >= 0]).tolist()) for t in inc_codes],
                              dtype=object)
        evidence = cat(fmt_day(ctx.line_day[first_main]), " 已收取 ", main_label, "，同日又收取其包含的 ", inc_labels,
                       "，金额 ", fmt_fen(amount), " 元")
        out.append(Hits(ctx.vpos[first_main], g.tuples(ctx.sn[idx], groups), amount, evidence))
    return concat_hits(out)


def rule_bed_days(ctx: AuditContext, p: dict) -> Hits | None:
    m = ctx.code_mask(p["codes"])
    if p["med_types"]:
        m &= ctx.visits_of_med_types(p["med_types"])[ctx.vpos]
    idx = np.flatnonzero(m)
    if not len(idx):
        return None
    g = Groups(ctx.vpos[idx])
    v = g.first(ctx.vpos[idx])
    qty = g.sum(ctx.cnt[idx])
    begn, end = ctx.begn_day[v], ctx.end_day[v]
    open_stay = end == NAT
    last = end.copy()
    if open_stay.any():
        # the latest fee day of any line of the still open visit
        lv = np.isin(ctx.vpos, v[open_stay])
        lg = Groups(ctx.vpos[lv])
        latest = pd.Series(lg.max(ctx.line_day[lv]), index=lg.first(ctx.vpos[lv]))
        last[open_stay] = latest.reindex(v[open_stay]).to_numpy(dtype=np.int64)
    days = np.maximum(1, last - begn + np.where(open_stay & p["open_stay_counts_last_day"], 1, 0))
    hit = np.flatnonzero(qty > days * QTY_SCALE)
    if not len(hit):
        return None
    excess = qty[hit] - days[hit] * QTY_SCALE
    amount = excess_amount(g, idx, excess, hit, ctx)
    several = g.min(ctx.code_id[idx])[hit] != g.max(ctx.code_id[idx])[hit]
    label = cat(ctx.label(g.first(ctx.code_id[idx])[hit]), np.where(several, " 等", ""))
    oh = open_stay[hit]
    until = np.where(oh, cat("最后收费日 ", fmt_day(last[hit]), "，未出院"), cat(fmt_day(last[hit]), " 出院"))
    evidence = cat(label, " 共收取 ", fmt_qty(qty[hit]), " 床日，住院 ", days[hit].astype(str), " 天（",
                   fmt_day(begn[hit]), " 入院，", until, "），超出 ", fmt_qty(excess), " 床日")
    return Hits(v[hit], g.tuples(ctx.sn[idx], hit), amount, evidence)


def rule_prescription_days(ctx: AuditContext, p: dict) -> Hits | None:
    doses = p["daily_dose_e4"]
    m = ctx.code_mask(doses) & ctx.visits_of_med_types(p["med_types"])[ctx.vpos]
    idx = np.flatnonzero(m)
    if not len(idx):
        return None
    g = Groups(ctx.vpos[idx], ctx.code_id[idx])
    v = g.first(ctx.vpos[idx])
    code = g.first(ctx.code_id[idx])
    qty = g.sum(ctx.cnt[idx])
    dose = ctx.code_lut(list(doses), np.array(list(doses.values()), dtype=np.int64), fill=0).astype(np.int64)[code]
    long_rx = ctx.code_lut(p["long_prescription_codes"])[code]
    chronic = ctx.visits_of_med_types(p["chronic_med_types"])[v]
    allowed_days = np.where(long_rx, p["long_days"], np.where(chronic, p["chronic_days"], p["acute_days"]))
    allowed = dose * allowed_days
    hit = np.flatnonzero(qty > allowed)
    if not len(hit):
        return None
    excess = qty[hit] - allowed[hit]
    amount = excess_amount(g, idx, excess, hit, ctx)
    supplied_e1 = mul_div_round(qty[hit], np.full(len(hit), 10, np.int64), dose[hit])
    kind = np.where(long_rx[hit], "长处方", np.where(chronic[hit], "慢特病处方", "普通门诊处方"))
    evidence = cat(ctx.label(code[hit]), " 开药 ", fmt_qty(qty[hit]), "，按每日 ", fmt_qty(dose[hit]), " 计可用 ",
                   fmt_scaled(supplied_e1, 1), " 天，超过", kind, " ", allowed_days[hit].astype(str), " 天用量（",
                   fmt_qty(allowed[hit]), "），超量 ", fmt_qty(excess))
    return Hits(v[hit], g.tuples(ctx.sn[idx], hit), amount, evidence)


def rule_course_limit(ctx: AuditContext, p: dict) -> Hits | None:
    idx = np.flatnonzero(ctx.code_mask(p["codes"]))
    if not len(idx):
        return None
    n_max = p["max_days"]
    # distinct (visit, item, day), numbered per (visit, item) in day order
    gd = Groups(ctx.vpos[idx], ctx.code_id[idx], ctx.line_day[idx])
    dv, dc, dd = gd.first(ctx.vpos[idx]), gd.first(ctx.code_id[idx]), gd.first(ctx.line_day[idx])
    new_item = np.ones(gd.n, bool)
    new_item[1:] = (dv[1:] != dv[:-1]) | (dc[1:] != dc[:-1])
    item_start = np.flatnonzero(new_item)
    item_of_day = np.cumsum(new_item) - 1
    rank = np.arange(gd.n) - item_start[item_of_day]
    n_days = np.diff(np.append(item_start, gd.n))
    over_items = np.flatnonzero(n_days > n_max)
    if not len(over_items):
        return None
    line_rank = rank[gd.ids]
    line_item = item_of_day[gd.ids]
    sel = (line_rank >= n_max) & np.isin(line_item, over_items)
    lines = idx[sel]
    g = Groups(line_item[sel])  # one group per item over the limit (in over_items order), lines in input order
    first_over_day = dd[item_start[over_items] + n_max]
    s, e = item_start[over_items], item_start[over_items] + n_days[over_items] - 1
    evidence = cat(ctx.label(dc[s]), " 在 ", n_days[over_items].astype(str), " 个不同日期收费（", fmt_day(dd[s]), " 至 ",
                   fmt_day(dd[e]), "），超过限定支付疗程 ", str(n_max), " 天；", fmt_day(first_over_day), " 起 ",
                   (n_days[over_items] - n_max).astype(str), " 天的费用 ", fmt_fen(g.sum(ctx.amount[lines])), " 元")
    return Hits(dv[s], g.tuples(ctx.sn[lines], np.arange(g.n)), g.sum(ctx.amount[lines]), evidence)


def _diagnoses(ctx, visit_rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(visit row, code id, distinct codes) for every diagnosis of the given visits: a list or tuple of codes,
    or one string of codes separated by , ; or |."""
    if "diagnoses" not in ctx.visits.columns or not len(visit_rows):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, dtype=object)
    raw = ctx.visits["diagnoses"].to_numpy(dtype=object)[visit_rows]
    e = pd.Series(raw, index=visit_rows, dtype=object).explode().dropna()
    if len(e):
        e = e.astype(str)
        several = e.str.contains(r"[,;|]", regex=True).to_numpy(dtype=bool)
        if several.any():
            e = pd.concat([e[~several], e[several].str.split(r"[,;|]", regex=True).explode()])
        e = e.str.strip()
        e = e[e != ""]
    ids, uniques = pd.factorize(e.to_numpy(dtype=object))
    return e.index.to_numpy(np.int64), ids.astype(np.int64), np.asarray(uniques, dtype=object)


def _norm_dx(codes) -> pd.Series:
    return pd.Series(codes, dtype=object).str.upper().str.replace(".", "", regex=False)


def rule_indication(ctx: AuditContext, p: dict) -> Hits | None:
    items = p["items"]
    m = ctx.code_mask(items)
    if not m.any():
        return None
    dv, dcode, duniq = _diagnoses(ctx, np.unique(ctx.vpos[m]))
    dnorm = _norm_dx(duniq)  # normalized once per distinct code
    out_idx, out_why = [], []
    for code, prefixes in items.items():
        idx = np.flatnonzero(ctx.code_mask([code]))
        if not len(idx):
            continue
        ok_code = dnorm.str.startswith(tuple(_norm_dx(prefixes))).to_numpy(dtype=bool)
        matched_visits = dv[ok_code[dcode]] if len(dv) else dv
        idx = idx[~np.isin(ctx.vpos[idx], matched_visits)]
        if not len(idx):
            continue
        out_idx.append(idx)
        out_why.append(np.full(len(idx), "/".join(prefixes), dtype=object))
    if not out_idx:
        return None
    idx = np.concatenate(out_idx)
    allowed = np.concatenate(out_why)
    order = np.argsort(idx, kind="stable")
    idx, allowed = idx[order], allowed[order]
    keep = np.flatnonzero(np.isin(dv, ctx.vpos[idx]))
    g = Groups(dv[keep])  # the diagnoses of each visit with a hit, in their order
    texts = ["/".join(t) for t in g.tuples(duniq[dcode[keep]], np.arange(g.n))]
    dx = pd.Series(texts, index=g.first(dv[keep]), dtype=object).reindex(ctx.vpos[idx]).fillna("")
    dx = dx.to_numpy(dtype=object)
    dx = np.where(dx == "", "无诊断", cat("诊断 ", dx))
    evidence = cat(ctx.label(ctx.code_id[idx]), " 限适应症 ", allowed, "，本次", dx, "，均不符合")
    return line_hits(ctx, idx, ctx.amount[idx], evidence)


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
    parts = [(ctx.mdtrt_ids[vm], ctx.visits["psn_no"].to_numpy(dtype=object)[vm],
              ctx.visits["fixmedins_code"].to_numpy(dtype=object)[vm], ctx.begn_ns[vm], ctx.end_ns[vm],
              vm.astype(np.int64))]
    h = ctx.history
    if h is not None and len(h):
        hid = h["mdtrt_id"].to_numpy(dtype=object)
        hm = (np.isin(h["med_type"].astype(str).to_numpy(dtype=object), np.asarray(list(med_types), dtype=object))
              & (ctx.vindex.get_indexer(hid) < 0) & ~pd.Index(hid).duplicated(keep="first"))
        h = h[hm]
        parts.append((hid[hm], h["psn_no"].to_numpy(dtype=object), h["fixmedins_code"].to_numpy(dtype=object),
                      ns_of(h["begntime"]),
                      ns_of(h["endtime"]) if "endtime" in h.columns else np.full(len(h), NAT, np.int64),
                      np.full(len(h), -1, np.int64)))
    ids, psn_no, inst, begn, end, vpos = (np.concatenate(c) for c in zip(*parts, strict=True))
    rank = np.empty(len(ids), np.int64)
    rank[np.argsort(ids.astype(str), kind="stable")] = np.arange(len(ids))
    return Stays(ids, inst, begn.astype(np.int64), end.astype(np.int64), vpos,
                 pd.factorize(psn_no)[0].astype(np.int64), pd.factorize(inst)[0].astype(np.int64), rank)


def rule_readmission(ctx: AuditContext, p: dict) -> Hits | None:
    if not ctx.nv:
        return None
    s = ctx.stays(p["med_types"])
    if not (s.vpos >= 0).any():
        return None
    o = np.lexsort((s.rank, s.begn, s.inst_id, s.psn))  # each person's stays at each institution in time order
    psn, inst, begn, end, vpos = s.psn[o], s.inst_id[o], s.begn[o], s.end[o], s.vpos[o]
    same = np.zeros(len(o), bool)
    same[1:] = (psn[1:] == psn[:-1]) & (inst[1:] == inst[:-1])
    prev_end = np.full(len(o), NAT, np.int64)
    prev_end[1:] = end[:-1]
    gap = day_of(begn) - day_of(prev_end)
    hit = np.flatnonzero(same & (prev_end != NAT) & (vpos >= 0) & (gap >= 0) & (gap <= p["days"]))
    if not len(hit):
        return None
    v = vpos[hit]
    related = s.ids[o][hit - 1]
    evidence = cat(fmt_day(day_of(prev_end[hit])), " 从 ", s.inst[o][hit], " 出院（就诊 ", related, "）后第 ",
                   gap[hit].astype(str), " 天于 ", fmt_day(day_of(begn[hit])), " 再次入院同一机构，间隔不超过 ",
                   str(p["days"]), " 天")
    return Hits(v, [()] * len(hit), ctx.visit_total[v], evidence, related.astype(object))


def rule_overlapping_stays(ctx: AuditContext, p: dict) -> Hits | None:
    if not ctx.nv:
        return None
    s = ctx.stays(p["med_types"])
    a = np.flatnonzero(s.vpos >= 0)
    if not len(a):
        return None
    # every (batch stay, stay of the same person) pair
    order = np.argsort(s.psn, kind="stable")
    ps = s.psn[order]
    lo, hi = np.searchsorted(ps, s.psn[a], "left"), np.searchsorted(ps, s.psn[a], "right")
    n_b = hi - lo
    ai = np.repeat(a, n_b)
    bi = order[np.repeat(lo - (np.cumsum(n_b) - n_b), n_b) + np.arange(int(n_b.sum()))]
    end = np.where(s.end == NAT, NEVER, s.end)
    ok = (s.inst_id[ai] != s.inst_id[bi]) & (s.begn[ai] < end[bi]) & (s.begn[bi] < end[ai])
    ai, bi = ai[ok], bi[ok]
    if not len(ai):
        return None
    o = np.lexsort((s.rank[bi], s.begn[bi], s.vpos[ai]))  # per batch stay, the earliest other stay first
    ai, bi = ai[o], bi[o]
    g = Groups(s.vpos[ai])
    a1, b1 = g.first(ai), g.first(bi)
    n_other = g.size

    def span(b, e):
        return cat(fmt_day(day_of(b)), " 至 ", np.where(e == NAT, "未出院", fmt_day(day_of(e))))

    more = np.where(n_other > 1, cat("等 ", n_other.astype(str), " 次住院"), "")
    evidence = cat("在 ", s.inst[a1], " 住院（", span(s.begn[a1], s.end[a1]), "）期间，同时在 ", s.inst[b1], " 住院（就诊 ",
                   s.ids[b1], "，", span(s.begn[b1], s.end[b1]), "）", more)
    v = s.vpos[a1]
    return Hits(v, [()] * len(v), ctx.visit_total[v], evidence, s.ids[b1].astype(object))


def rule_fee_outside_visit(ctx: AuditContext, p: dict) -> Hits | None:
    if not ctx.n:
        return None
    fee = ctx.fee_ns
    has = fee != NAT
    before = has & (np.where(has, fee // DAY_NS, 0) < ctx.begn_day[ctx.vpos])
    end = ctx.end_ns[ctx.vpos]
    after = has & (end != NAT) & (fee > end + p["grace_ns"])
    idx = np.flatnonzero(before | after)
    if not len(idx):
        return None
    v = ctx.vpos[idx]
    why = np.where(before[idx], cat("早于入院日期 ", fmt_day(ctx.begn_day[v])),
                   cat("晚于出院时间 ", fmt_time(np.where(after[idx], end[idx], 0))))
    evidence = cat(ctx.label(ctx.code_id[idx]), " 收费时间 ", fmt_time(fee[idx]), "，", why)
    return line_hits(ctx, idx, ctx.amount[idx], evidence)


def rule_price_markup(ctx: AuditContext, p: dict) -> Hits | None:
    if not ctx.n or not len(ctx.catalog):
        return None
    limit = ctx.cat_col("price_limit_e4", -1).astype(np.int64)
    ratio = p["ratio_e6"]
    hit = (limit >= 0) & (ctx.pric * RATIO_SCALE > limit * (RATIO_SCALE + ratio))
    idx = np.flatnonzero(hit)
    if not len(idx):
        return None
    pric, lim, cnt = ctx.pric[idx], limit[idx], ctx.cnt[idx]
    amount = np.minimum(mul_div_round(pric - lim, cnt, E4_E4_TO_FEN), np.maximum(ctx.amount[idx], 0))
    pct = np.where(lim > 0, mul_div_round(pric - lim, np.full(len(idx), 1000, np.int64), np.maximum(lim, 1)), -1)
    over = np.where(pct >= 0, cat("（上浮 ", fmt_scaled(pct, 1), "%", "）"), "")
    allow = f"，允许上浮 {fmt_scaled([ratio], 4)[0]}%" if ratio else ""
    evidence = cat(ctx.label(ctx.code_id[idx]), " 单价 ", fmt_price(pric), " 元，超过限价 ", fmt_price(lim), " 元", over,
                   allow, "；数量 ", fmt_qty(cnt), "，超限价金额 ", fmt_fen(amount), " 元")
    return line_hits(ctx, idx, amount, evidence)


def rule_outlier(ctx: AuditContext, p: dict) -> Hits | None:
    if ctx.inst_stats is None or not len(ctx.inst_stats) or not ctx.nv:
        return None
    avg, n_visits = ctx.inst_average
    ok = (n_visits > 0) & (n_visits >= p["min_visits"]) & (avg > 0)
    if p["med_types"]:
        ok &= ctx.visits_of_med_types(p["med_types"])
    idx = np.flatnonzero(ok)
    if not len(idx):
        return None
    threshold = mul_div_round(avg[idx], np.full(len(idx), p["factor_e6"], np.int64), RATIO_SCALE)
    total = ctx.visit_total[idx]
    hit = total > threshold
    idx, threshold, total = idx[hit], threshold[hit], total[hit]
    if not len(idx):
        return None
    mt = ctx.med_type[idx]
    evidence = cat("本次医疗费用 ", fmt_fen(total), " 元，超过本机构", label_map(mt, MED_TYPE_LABELS), "次均费用 ",
                   fmt_fen(avg[idx]), " 元（", n_visits[idx].astype(str), " 人次）的 ", fmt_scaled([p["factor_e6"]], 6)[0],
                   " 倍 ", fmt_fen(threshold), " 元")
    return Hits(idx, [()] * len(idx), total - threshold, evidence)


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


RULE_FUNCTIONS = {
    "restriction": rule_restriction,
    "frequency": rule_frequency,
    "duplicate_charge": rule_duplicate_charge,
    "mutually_exclusive": rule_mutually_exclusive,
    "bed_days": rule_bed_days,
    "prescription_days": rule_prescription_days,
    "course_limit": rule_course_limit,
    "indication": rule_indication,
    "readmission": rule_readmission,
    "overlapping_stays": rule_overlapping_stays,
    "fee_outside_visit": rule_fee_outside_visit,
    "price_markup": rule_price_markup,
    "outlier": rule_outlier,
}
