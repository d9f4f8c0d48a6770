"""The smart audit's rule types over the fee lines of each visit.

Each line on its own: restriction, indication, fee_outside_visit, price_markup (a hit is the line). Groups
of a visit's lines (per item, per day or per visit, as the rule says): frequency, duplicate_charge,
mutually_exclusive, bed_days, prescription_days, course_limit (a hit is the group's lines). The names and
parameters of the rule types are in audit.schema.SCHEMAS; what a rule function takes and returns in
audit.rules.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ...columnar import column, has_column
from ...lines import CLASS_C_CODE, RESTRICTED
from ...lookup import SMALL
from ...money import QTY_SCALE, RATIO_SCALE, mul_div_round
from ..context import AuditContext, Hits, concat_hits, excess_amount, line_hits
from ..evidence import (
    GENDER_LABELS,
    MED_TYPE_LABELS,
    cat,
    fmt_day,
    fmt_fen,
    fmt_price,
    fmt_qty,
    fmt_scaled,
    fmt_time,
    join_nonempty,
    label_map,
)
from ..groups import Groups
from ..units import DAY_NS, E4_E4_TO_FEN, NAT


def rule_restriction(ctx: AuditContext, p: dict) -> Hits | None:
    verdicts = ctx.shared("restriction", _restriction_verdicts)
    if verdicts is None:
        return None
    cand, bad, evidence = verdicts
    kinds = p["kinds"]
    if ctx.line_split is not None and len(kinds) == 4:
        keep = np.ones(len(cand), bool)  # the engine's verdict, even where the reason cannot be recomputed
    else:
        keep = np.zeros(len(cand), bool)
        for k in kinds:
            keep |= bad[k]
    if not keep.any():
        return None
    cand = cand[keep]
    return line_hits(ctx, cand, ctx.amount[cand], evidence[keep])


def _restriction_verdicts(ctx: AuditContext) -> tuple[np.ndarray, dict, np.ndarray] | None:
    """(candidate lines, which restriction of its item each breaks, the evidence of each), the same for
    every restriction rule of the batch (they differ only in the kinds they report); None: no candidate."""
    if not ctx.n or not len(ctx.catalog):
        return None
    pos = ctx.cat_pos
    has_mt, has_any = ctx.restricted_items
    if ctx.line_split is not None:
        cand = np.flatnonzero(ctx.split_reason == RESTRICTED)
    else:
        found = pos >= 0
        p0 = np.maximum(pos, 0)
        cand = np.flatnonzero(found & has_any[p0] & (ctx.catalog_values("chrg_lv", object)[p0] != CLASS_C_CODE))
    if not len(cand):
        return None
    v = ctx.vpos[cand]
    found = pos[cand] >= 0
    r = np.maximum(pos[cand], 0)

    def ccol(name, dtype):
        return ctx.catalog_values(name, dtype)[r]

    rg = np.where(found, ccol("restrict_gender", object), "")
    rg = np.where(pd.isna(rg), "", rg).astype(str).astype(object)
    gender = ctx.visit_str("gender")[v]
    min_age = np.where(found, ccol("restrict_min_age", np.int64), -1)
    max_age = np.where(found, ccol("restrict_max_age", np.int64), -1)
    min_level = np.where(found, ccol("restrict_min_level", np.int64), -1)
    age = column(ctx.visits, "age", np.int64)[v]
    level = column(ctx.visits, "inst_level", np.int64)[v]
    mt = ctx.med_type[v]
    bad = {
        "gender": (rg != "") & (rg != gender),
        "age": ((min_age >= 0) & (age < min_age)) | ((max_age >= 0) & (age > max_age)),
        "level": (min_level >= 0) & (level < min_level),
        "med_type": found & has_mt[r] & ~_med_type_allowed(ctx.catalog_values("restrict_med_types", object), r, mt),
    }
    any_bad = bad["gender"] | bad["age"] | bad["level"] | bad["med_type"]

    def part(kind, sentence):
        # a restriction no line breaks: its (empty) part without building its sentences
        return np.where(bad[kind], sentence(), "") if bad[kind].any() else np.full(len(cand), "", dtype=object)

    def age_sentence():
        age_rule = np.where((min_age >= 0) & (max_age >= 0), cat(min_age.astype(str), "–", max_age.astype(str), " 岁"),
                            np.where(min_age >= 0, cat(min_age.astype(str), " 岁及以上"),
                                     cat(max_age.astype(str), " 岁及以下")))
        return cat("限 ", age_rule, "，患者入院时 ", age.astype(str), " 岁")

    def med_type_sentence():
        mt_allowed = np.full(len(cand), "", dtype=object)
        rows = np.unique(r[bad["med_type"]])
        allowed = ctx.catalog_values("restrict_med_types", object)[rows]
        text = pd.Series(["/".join(map(str, m)) for m in allowed], index=rows, dtype=object)
        mt_allowed[bad["med_type"]] = text.reindex(r[bad["med_type"]]).to_numpy(dtype=object)
        return cat("限医疗类别 ", mt_allowed, "，本次为 ", mt, " ", label_map(mt, MED_TYPE_LABELS))

    parts = [
        part("gender", lambda: cat("限", label_map(rg, GENDER_LABELS), "性，患者为", label_map(gender, GENDER_LABELS),
                                   "性")),
        part("age", age_sentence),
        part("level", lambda: cat("限 ", min_level.astype(str), " 级及以上医疗机构，本机构为 ", level.astype(str), " 级")),
        part("med_type", med_type_sentence),
    ]
    why = np.where(any_bad, join_nonempty(parts, "；"), "违反目录限定支付范围")
    return cand, bad, cat(ctx.label(ctx.code_id[cand]), " 超出限定支付范围：", why)


def _med_type_allowed(allowed, rows, med_type) -> np.ndarray:
    """Whether each line's visit med_type is among its item's allowed med types (allowed: the catalog's
    restrict_med_types; rows: catalog rows)."""
    items = np.unique(rows)
    lists = [tuple(str(m) for m in (allowed[i] or ())) for i in items.tolist()]
    lens = np.array([len(x) for x in lists], dtype=np.int64)
    flat = [m for x in lists for m in x]
    if not flat:
        return np.ones(len(rows), bool)
    visit_types = np.asarray(med_type, dtype=object).tolist()
    if len(rows) <= SMALL and all(type(m) is str for m in visit_types):  # a few lines: sets of str
        sets = {i: set(x) for i, x in zip(items.tolist(), lists, strict=True)}
        return np.fromiter((m in sets[i] for i, m in zip(rows.tolist(), visit_types, strict=True)), bool, len(rows))
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
    chronic = ctx.chronic_visits(p["chronic_med_types"])[v]
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


DX_SEPARATOR = re.compile(r"[,;|]")


def _diagnoses(ctx, visit_rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(visit row, code id, distinct codes) for every diagnosis of the given visits: a list or tuple of codes,
    or one string of codes separated by , ; or |. The codes are stripped str; the empty ones are left out."""
    if not has_column(ctx.visits, "diagnoses") or not len(visit_rows):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, dtype=object)
    raw = column(ctx.visits, "diagnoses", object)[visit_rows]
    pairs = _diagnosis_pairs(raw, visit_rows) if len(visit_rows) <= SMALL else None
    if pairs is None:
        return _diagnoses_by_pandas(raw, visit_rows)
    ids: dict[str, int] = {}
    code_ids = [ids.setdefault(code, len(ids)) for _, code in pairs]
    uniques = np.empty(len(ids), dtype=object)
    uniques[:] = list(ids)
    return (np.fromiter((row for row, _ in pairs), np.int64, len(pairs)), np.array(code_ids, dtype=np.int64),
            uniques)


def _diagnosis_pairs(raw, visit_rows) -> list[tuple[int, str]] | None:
    """_diagnoses_by_pandas' (visit row, code) pairs in its order (the codes without a separator first, then
    the parts of those with one), in plain Python for the values the frame builders give: None, a str, or
    a list or tuple of str and None. None for any other value, which pandas then reads."""
    single, several = [], []
    for row, value in zip(visit_rows.tolist(), raw.tolist(), strict=True):
        if value is None:
            continue
        if type(value) is str:
            value = (value,)
        elif type(value) not in (tuple, list):
            return None
        for code in value:
            if code is None:
                continue
            if type(code) is not str:
                return None
            (several if DX_SEPARATOR.search(code) else single).append((row, code))
    pairs = single + [(row, part) for row, code in several for part in DX_SEPARATOR.split(code)]
    return [(row, code.strip()) for row, code in pairs if code.strip()]


def _diagnoses_by_pandas(raw, visit_rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    e = pd.Series(raw, index=visit_rows, dtype=object).explode().dropna()
    if len(e):
        e = e.astype(str)
        several = e.str.contains(DX_SEPARATOR.pattern, regex=True).to_numpy(dtype=bool)
        if several.any():
            e = pd.concat([e[~several], e[several].str.split(DX_SEPARATOR.pattern, regex=True).explode()])
        e = e.str.strip()
        e = e[e != ""]
    ids, uniques = pd.factorize(e.to_numpy(dtype=object))
    return e.index.to_numpy(np.int64), ids.astype(np.int64), np.asarray(uniques, dtype=object)


def _norm_dx(code: str) -> str:
    return code.upper().replace(".", "")


def rule_indication(ctx: AuditContext, p: dict) -> Hits | None:
    items = p["items"]
    m = ctx.code_mask(items)
    if not m.any():
        return None
    dv, dcode, duniq = _diagnoses(ctx, np.unique(ctx.vpos[m]))
    dnorm = [_norm_dx(d) for d in duniq.tolist()]  # normalized once per distinct code
    out_idx, out_why = [], []
    for code, prefixes in items.items():
        idx = np.flatnonzero(ctx.code_mask([code]))
        if not len(idx):
            continue
        allowed = tuple(_norm_dx(x) for x in prefixes)
        ok_code = np.array([d.startswith(allowed) for d in dnorm], dtype=bool)
        matched = np.zeros(ctx.nv, bool)
        matched[dv[ok_code[dcode]] if len(dv) else dv] = True
        idx = idx[~matched[ctx.vpos[idx]]]
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
    hit_visit = np.zeros(ctx.nv, bool)
    hit_visit[ctx.vpos[idx]] = True
    keep = np.flatnonzero(hit_visit[dv])
    g = Groups(dv[keep])  # the diagnoses of each visit with a hit, in their order
    texts = dict(zip(g.first(dv[keep]).tolist(),
                     ["/".join(t) for t in g.tuples(duniq[dcode[keep]], np.arange(g.n))], strict=True))
    dx = np.empty(len(idx), dtype=object)
    dx[:] = [texts.get(v, "") for v in ctx.vpos[idx].tolist()]
    dx = np.where(dx == "", "无诊断", cat("诊断 ", dx))
    evidence = cat(ctx.label(ctx.code_id[idx]), " 限适应症 ", allowed, "，本次", dx, "，均不符合")
    return line_hits(ctx, idx, ctx.amount[idx], evidence)


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
