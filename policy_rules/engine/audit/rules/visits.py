"""The smart audit's rule types over whole visits: a hit names a visit, with no lines.

Across visits, the batch's and the history's stays of the same person: readmission, overlapping_stays (a
hit also names the other visit). Against the institution's statistics: outlier. The names and parameters
of the rule types are in audit.schema.SCHEMAS; what a rule function takes and returns in audit.rules.
"""
from __future__ import annotations

import numpy as np

from ...money import RATIO_SCALE, mul_div_round
from ..context import AuditContext, Hits
from ..evidence import MED_TYPE_LABELS, cat, fmt_day, fmt_fen, fmt_scaled, label_map
from ..groups import Groups
from ..units import NAT, NEVER, day_of


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
