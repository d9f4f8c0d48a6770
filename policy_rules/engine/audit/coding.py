"""Coding-quality rules over settlement lists (结算清单编码质量审核; issue 18 point 5, docs/dip.md).

    hits = run_coding_audit(cases, diagnoses, lines, groups, rules)

The four rule types are rows of the smart-audit rule library like every other (their parameters are in
audit.schema.SCHEMAS; run_audit over fee lines passes them by, LIST_RULE_TYPES), but they read what only a
DIP run has: the lists' diagnoses and operations and the group of each case.

Inputs:
  cases      one row per case of the run: mdtrt_id, psn_no, fixmedins_code, med_type, begntime, endtime,
             level (the institution's level 0..3), main_diag, main_oprn ('' none), group (the run's group
             code, '' 未入组), medfee_fen, fund_fen
  diagnoses  the lists' secondary diagnoses: mdtrt_id, diag_code, diag_name
  lines      the cases' fee lines (those a rule can ask for are enough): mdtrt_id, med_list_codg
  groups     the run's grouping table as engine.dip's frame: code, diag, oprn, ref_0 .. ref_3 (fen, -1 none)
  rules      the rules in force (AuditRule); those of the coding types run, in order; the readmission rules
             lend CODE-SPLIT (coding_split) their window

Output: run_audit's frame (OUTPUT_COLUMNS), at most one row per case and rule, in the order of the rules and
of the cases; no lines (feedetl_sns empty): a list is coded for the whole case, so amount_fen is the case's
fund payment (fund_fen), the most review.hits.items_to_open would let an item hold anyway.

Vectorised: a prefix is matched by one hash join per prefix length (prefix_pairs); Python loops run over
rules and over hits (their evidence).
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..money import RATIO_SCALE
from .context import AuditContext
from .evidence import cat, fmt_fen
from .rules.visits import rule_readmission
from .runner import OUTPUT_COLUMNS, empty_hits
from .schema import AuditRule, AuditRuleError, prepared
from .units import NAT, day_of, ns_of

CASE_COLUMNS = ["mdtrt_id", "psn_no", "fixmedins_code", "med_type", "begntime", "endtime", "level", "main_diag",
                "main_oprn", "group", "medfee_fen", "fund_fen"]
LIST_SHOWN = 5  # prefixes named in an evidence sentence before "等"


def _codes(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.strip().str.upper().reset_index(drop=True)


def prefix_pairs(codes: pd.Series, prefixes: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Every (i, j) with codes[i] starting with prefixes[j] (both already normalized), sorted by i then j:
    one hash join per distinct prefix length."""
    codes, prefixes = codes.reset_index(drop=True), prefixes.reset_index(drop=True)
    found_i, found_j = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    table = pd.DataFrame({"p": prefixes.to_numpy(dtype=object), "j": np.arange(len(prefixes))})
    for length, part in table.groupby(prefixes.str.len().to_numpy(), sort=True):
        if length <= 0:
            continue
        left = pd.DataFrame({"p": codes.str[:length].to_numpy(dtype=object), "i": np.arange(len(codes))})
        joined = left.merge(part, on="p", how="inner")
        found_i.append(joined["i"].to_numpy(np.int64))
        found_j.append(joined["j"].to_numpy(np.int64))
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    order = np.lexsort((j, i))
    return i[order], j[order]


def _map_rows(mapping: dict) -> pd.DataFrame:
    """A {prefix: [prefixes]} parameter as rows (key, value), both normalized."""
    rows = [(str(k).strip().upper(), str(v).strip().upper()) for k, vs in mapping.items() for v in vs]
    return pd.DataFrame(rows, columns=["key", "value"]).drop_duplicates(ignore_index=True)


def _listed(values) -> str:
    values = sorted(set(values))
    more = "等" if len(values) > LIST_SHOWN else ""
    return "、".join(values[:LIST_SHOWN]) + more


class CodingContext:
    """The run's cases and what the rules derive from them, once."""

    def __init__(self, cases: pd.DataFrame, diagnoses: pd.DataFrame, lines: pd.DataFrame, groups: pd.DataFrame,
                 rules: list[AuditRule]):
        missing = [c for c in CASE_COLUMNS if c not in cases.columns]
        if missing:
            raise AuditRuleError([f"cases: missing columns {missing}"])
        self.cases = cases.reset_index(drop=True)
        self.n = len(self.cases)
        self.ids = self.cases["mdtrt_id"].astype(str).to_numpy(dtype=object)
        self.index = pd.Index(self.ids)
        self.main_diag = _codes(self.cases["main_diag"])
        self.main_oprn = _codes(self.cases["main_oprn"])
        self.fund = self.cases["fund_fen"].to_numpy(np.int64)
        self.medfee = self.cases["medfee_fen"].to_numpy(np.int64)
        self.diag_pos = self.index.get_indexer(diagnoses["mdtrt_id"].astype(str))
        keep = self.diag_pos >= 0
        self.diag_pos = self.diag_pos[keep]
        self.diag_code = _codes(diagnoses["diag_code"][keep])
        self.diag_name = diagnoses["diag_name"][keep].fillna("").astype(str).to_numpy(dtype=object)
        self.line_pos = self.index.get_indexer(lines["mdtrt_id"].astype(str))
        keep = self.line_pos >= 0
        self.line_pos = self.line_pos[keep]
        self.line_code = _codes(lines["med_list_codg"][keep])
        self.groups = groups
        self.rules = rules


def rule_coding_cc(cc: CodingContext, p: dict):
    """A secondary diagnosis on the severity map whose supporting items appear on none of the case's lines."""
    support = _map_rows(p["support"])
    keys = pd.Series(support["key"].unique())
    di, kj = prefix_pairs(cc.diag_code, keys)  # secondary diagnoses on the map, with the key they matched
    if not len(di):
        return None
    items = pd.Series(support["value"].unique())
    item_of_key = support.assign(k=pd.Index(keys).get_indexer(support["key"]),
                                 v=pd.Index(items).get_indexer(support["value"]))
    li, ij = prefix_pairs(cc.line_code, items)
    present = np.unique(cc.line_pos[li].astype(np.int64) * len(items) + ij)
    # every (matched diagnosis, supporting item) of its key: is the item on one of the case's lines?
    pairs = pd.DataFrame({"row": np.arange(len(di)), "k": kj}).merge(item_of_key[["k", "v"]], on="k")
    pos = cc.diag_pos[di[pairs["row"].to_numpy()]]
    supported_rows = np.unique(pairs["row"].to_numpy()[np.isin(pos * len(items) + pairs["v"].to_numpy(), present)])
    bad = np.setdiff1d(np.arange(len(di)), supported_rows)
    if not len(bad):
        return None
    keys_bad = keys.to_numpy(dtype=object)[kj[bad]]
    named = cat(cc.diag_code.to_numpy(dtype=object)[di[bad]], " ", cc.diag_name[di[bad]])
    rows = pd.DataFrame({"pos": cc.diag_pos[di[bad]], "key": keys_bad, "named": np.char.strip(named.astype(str))})
    per_key = rows.groupby(["pos", "key"], sort=True)["named"].agg("、".join).reset_index()
    wanted = support.groupby("key")["value"].agg(_listed)
    per_key["piece"] = cat("次要诊断 ", per_key["named"].to_numpy(dtype=object), " 属严重并发症/合并症目录(",
                           per_key["key"].to_numpy(dtype=object), ")，但本次住院费用明细中没有支持性项目(编码前缀 ",
                           wanted.loc[per_key["key"]].to_numpy(dtype=object), ")")
    per_case = per_key.groupby("pos", sort=True)["piece"].agg("；".join)
    vpos, evidence = per_case.index.to_numpy(np.int64), per_case.to_numpy(dtype=object)
    return vpos, evidence, None


def rule_coding_dxpx(cc: CodingContext, p: dict):
    """A main operation that no allowed pair (the parameter's, and the grouping table's if asked) gives the
    main diagnosis."""
    allowed = _map_rows(p["pairs"] or {})
    if p["use_grouping_table"] and len(cc.groups):
        table = cc.groups.loc[cc.groups["oprn"].fillna("").astype(str).str.strip() != "", ["diag", "oprn"]]
        allowed = pd.concat([allowed, pd.DataFrame({"key": _codes(table["diag"]), "value": _codes(table["oprn"])})],
                            ignore_index=True).drop_duplicates(ignore_index=True)
    operated = np.flatnonzero((cc.main_oprn != "").to_numpy())
    if not len(allowed) or not len(operated):
        return None
    ci, pj = prefix_pairs(cc.main_diag[operated], allowed["key"])
    case = operated[ci]
    wanted = allowed["value"].to_numpy(dtype=object)[pj]
    lengths = np.fromiter((len(w) for w in wanted), np.int64, len(wanted))
    fits = np.zeros(len(case), bool)
    for length in np.unique(lengths):
        sel = lengths == length
        fits[sel] = cc.main_oprn.str[:int(length)].to_numpy(dtype=object)[case[sel]] == wanted[sel]
    bad = np.setdiff1d(np.unique(case), np.unique(case[fits]))
    if not len(bad):
        return None
    of_bad = np.isin(case, bad)
    allowed_of = pd.Series(wanted[of_bad]).groupby(case[of_bad]).agg(_listed)
    evidence = cat("主要诊断 ", cc.main_diag.to_numpy(dtype=object)[bad], " 与主要手术操作 ",
                   cc.main_oprn.to_numpy(dtype=object)[bad], " 不相符：与该诊断配对的手术操作编码前缀为 ",
                   allowed_of.loc[bad].to_numpy(dtype=object))
    return bad.astype(np.int64), evidence, None


def rule_coding_low_admission(cc: CodingContext, p: dict):
    """A short stay whose cost is below a fraction of its group's reference cost, for a diagnosis on the list."""
    prefixes = pd.Series([str(x).strip().upper() for x in p["diag_prefixes"]]).drop_duplicates()
    ci, pj = prefix_pairs(cc.main_diag, prefixes)
    if not len(ci) or not len(cc.groups):
        return None
    first = np.unique(ci, return_index=True)
    pos, prefix = first[0], prefixes.to_numpy(dtype=object)[pj[first[1]]]
    row = pd.Index(cc.groups["code"].astype(str)).get_indexer(cc.cases["group"].astype(str).to_numpy()[pos])
    level = cc.cases["level"].to_numpy(np.int64)[pos]
    ref = np.full(len(pos), -1, np.int64)
    for lv in np.unique(level):
        sel = (level == lv) & (row >= 0)
        column = f"ref_{int(lv)}"
        if column in cc.groups.columns:
            ref[sel] = cc.groups[column].to_numpy(np.int64)[row[sel]]
    begn, end = ns_of(cc.cases["begntime"])[pos], ns_of(cc.cases["endtime"])[pos]
    days = np.maximum(day_of(end) - day_of(begn), 1)
    cost = cc.medfee[pos]
    # cost < ratio × ref, exactly in integers (fen × 10^6 stays far inside int64 for any stored amount)
    hit = (end != NAT) & (ref > 0) & (days <= p["max_days"]) & (cost * RATIO_SCALE < p["cost_ratio_e6"] * ref)
    if not hit.any():
        return None
    pos, prefix, ref, days, cost, row = pos[hit], prefix[hit], ref[hit], days[hit], cost[hit], row[hit]
    limit = (p["cost_ratio_e6"] * ref + RATIO_SCALE // 2) // RATIO_SCALE
    evidence = cat("住院 ", days.astype(str), " 天，医疗费用 ", fmt_fen(cost), " 元，低于病种 ",
                   cc.groups["code"].astype(str).to_numpy(dtype=object)[row], " 参考费用 ", fmt_fen(ref), " 元的 ",
                   str(p["cost_ratio"]), " 倍(", fmt_fen(limit), " 元)；主要诊断 ",
                   cc.main_diag.to_numpy(dtype=object)[pos], " 属低标准入院监测病种(", prefix, ")")
    return pos.astype(np.int64), evidence, None


def _readmission_rule(cc: CodingContext, code: str) -> AuditRule | None:
    """The readmission rule CODE-SPLIT borrows its window from: the one named, else the widest in force (as
    claims.selectors.readmission_window)."""
    rules = [r for r in cc.rules if r.rule_type == "readmission" and (not code or r.code == code)]
    if not rules:
        return None
    return max(rules, key=lambda r: (int(r.params["days"]), r.code))


def rule_coding_split(cc: CodingContext, p: dict):
    """The readmission rule's pairs (its logic and window, rules.visits.rule_readmission) whose two stays have
    the same main diagnosis prefix."""
    readm = _readmission_rule(cc, p["readmission_rule"])
    if readm is None or not cc.n:
        return None
    errors, params = prepared(readm)
    if errors:
        raise AuditRuleError([f"{readm.code}: {e}" for e in errors])
    lines = pd.DataFrame({"mdtrt_id": pd.Series(dtype=object), "feedetl_sn": pd.Series(dtype=object),
                          "cnt_e4": pd.Series(dtype=np.int64), "pric_e4": pd.Series(dtype=np.int64),
                          "amount_fen": pd.Series(dtype=np.int64)})
    visits = cc.cases[["mdtrt_id", "psn_no", "fixmedins_code", "med_type", "begntime", "endtime"]].assign(
        mdtrt_id=cc.ids)
    found = rule_readmission(AuditContext(lines, visits, pd.DataFrame()), params)
    if found is None:
        return None
    prev = cc.index.get_indexer(found.related.astype(str))
    size = p["prefix_len"]
    diag = cc.main_diag.to_numpy(dtype=object)
    head = cc.main_diag.str[:size].to_numpy(dtype=object)
    same = (prev >= 0) & (cc.main_diag.str.len().to_numpy()[found.vpos] >= size)
    same[same] = head[found.vpos[same]] == head[prev[same]]
    if not same.any():
        return None
    vpos, prev = found.vpos[same], prev[same]
    evidence = cat(found.evidence[same], "(规则 ", readm.code, ")；两次住院主要诊断同属 ", head[vpos], "(",
                   diag[prev], " / ", diag[vpos], ")，疑似分解住院")
    return vpos.astype(np.int64), evidence, found.related[same]


CODING_FUNCTIONS = {
    "coding_cc": rule_coding_cc,
    "coding_dxpx": rule_coding_dxpx,
    "coding_low_admission": rule_coding_low_admission,
    "coding_split": rule_coding_split,
}


def run_coding_audit(cases: pd.DataFrame, diagnoses: pd.DataFrame, lines: pd.DataFrame, groups: pd.DataFrame,
                     rules: Iterable[AuditRule]) -> pd.DataFrame:
    """Every coding rule among `rules` over the run's cases; run_audit's frame (see the module docstring)."""
    rules = list(rules)
    coding = [r for r in rules if r.rule_type in CODING_FUNCTIONS]
    checked = [prepared(r) for r in coding]
    errors = [f"{r.code}: {e}" for r, (problems, _) in zip(coding, checked, strict=True) for e in problems]
    if errors:
        raise AuditRuleError(errors)
    cc = CodingContext(cases, diagnoses, lines, groups, rules)
    parts = []
    for rule, (_, params) in zip(coding, checked, strict=True):
        found = CODING_FUNCTIONS[rule.rule_type](cc, params) if cc.n else None
        if found is None or not len(found[0]):
            continue
        vpos, evidence, related = found
        order = np.argsort(vpos, kind="stable")
        vpos = vpos[order]
        parts.append(pd.DataFrame({
            "rule_code": rule.code, "rule_type": rule.rule_type, "severity": rule.severity,
            "mdtrt_id": cc.ids[vpos], "feedetl_sns": [()] * len(vpos), "amount_fen": cc.fund[vpos],
            "evidence": np.asarray(evidence, dtype=object)[order],
            "related_mdtrt_id": (np.asarray(related, dtype=object)[order] if related is not None
                                 else np.full(len(vpos), None, dtype=object))}))
    if not parts:
        return empty_hits()
    return pd.concat(parts, ignore_index=True)[OUTPUT_COLUMNS]
