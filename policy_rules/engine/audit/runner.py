"""Running the smart audit (智能审核, issue #5): every rule over one visit or a day's batch, one row per hit.

    hits = run_audit(lines, visits, catalog, default_rules(), history=..., inst_stats=..., line_split=...)

Inputs (money in integer fen, cnt/pric scaled by 10^4; see engine.money):
  lines       mdtrt_id, feedetl_sn, med_list_codg, cnt_e4, pric_e4, amount_fen, fee_ocur_time (may be NaT
              or absent: the admission day stands in for the fee day)
  visits      mdtrt_id, psn_no, fixmedins_code, med_type, begntime, endtime (NaT: not discharged), inst_level,
              gender, age (full years at admission), diagnoses (list/tuple of ICD-10 codes, or "A,B")
  catalog     frames.catalog_frame (an optional `name` column labels the items in the evidence)
  history     other visits of the same persons already stored (no lines): cross-visit rules; of the visits'
              columns they read mdtrt_id, psn_no, fixmedins_code, med_type, begntime and endtime (others ignored)
  inst_stats  fixmedins_code, med_type, avg_amount_fen, visits: for the outlier rule
  line_split  the engine's classify_lines output (reason per line): the restriction rule reports its
              RESTRICTED lines; without it the restrictions are recomputed from catalog and visits

Output: one row per hit: rule_code, rule_type, severity, mdtrt_id, feedetl_sns (tuple of the lines involved;
empty for a visit-level hit), amount_fen (int fen >= 0, the amount at stake), evidence (a Chinese sentence with
the numbers), related_mdtrt_id (the other visit of a cross-visit hit, else None). Rows come rule by rule in
the order of `rules`, and within a rule in the order of the visits.

"Lines involved": frequency, duplicate_charge, bed_days, prescription_days: every line of the offending group
(the amount is the excess only); mutually_exclusive: the main item's and the included items' lines of that
day (the amount is the included items'); course_limit: the lines on the days beyond the limit; the per-line
rules (restriction, indication, fee_outside_visit, price_markup): the line itself.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..columnar import Columns, exact_columns
from .context import AuditContext, Hits
from .rules import RULE_FUNCTIONS
from .schema import LIST_RULE_TYPES, AuditRule, AuditRuleError, prepared

OUTPUT_COLUMNS = ["rule_code", "rule_type", "severity", "mdtrt_id", "feedetl_sns", "amount_fen", "evidence",
                  "related_mdtrt_id"]


def empty_hits(as_columns: bool = False) -> pd.DataFrame | Columns:
    # from fresh arrays, without copying them (pandas' Series inputs would cost it a realignment)
    return _hits_part({c: np.zeros(0, np.int64 if c == "amount_fen" else object) for c in OUTPUT_COLUMNS},
                      as_columns)


def _hits_part(data: dict, as_columns: bool) -> pd.DataFrame | Columns:
    """The hits' columns (fresh arrays) as their Columns when asked for and they are few (columnar.SMALL rows at
    most), else their DataFrame (copy=False: no copies, no Series to align)."""
    part = exact_columns(data, texts=True) if as_columns else None  # (texts: the rules' own str, tuples, None)
    return pd.DataFrame(data, copy=False) if part is None else part


def run_audit(lines, visits, catalog, rules: Iterable[AuditRule], history=None, inst_stats=None,
              line_split=None) -> pd.DataFrame | Columns:
    """Run every rule over the batch; one row per hit (see the module docstring). Each input is a DataFrame or
    its Columns (engine.columnar: a visit's few rows, handed over as arrays); the hits come as the lines came:
    as a DataFrame, or as their Columns when the lines came as Columns and the hits are few."""
    as_columns = isinstance(lines, Columns)
    # the coding rules run over settlement lists at the DIP run (audit.coding), not here
    rules = [r for r in rules if r.rule_type not in LIST_RULE_TYPES]
    checked = [prepared(r) for r in rules]
    errors = [f"{r.code}: {e}" for r, (problems, _) in zip(rules, checked, strict=True) for e in problems]
    if errors:
        raise AuditRuleError(errors)
    ctx = AuditContext(lines, visits, catalog, history=history, inst_stats=inst_stats, line_split=line_split)
    found: list[tuple[AuditRule, Hits]] = []
    for rule, (_, params) in zip(rules, checked, strict=True):
        hits = RULE_FUNCTIONS[rule.rule_type](ctx, params)
        if hits is not None and len(hits.vpos):
            found.append((rule, hits))
    if not found:
        return empty_hits(as_columns)
    vpos, sns, amount, evidence, related, codes, types, sev, counts = [], [], [], [], [], [], [], [], []
    for rule, h in found:
        order = np.argsort(h.vpos, kind="stable")
        vpos.append(h.vpos[order])
        sns += [h.sns[i] for i in order.tolist()]
        amount.append(h.amount[order])
        evidence.append(np.asarray(h.evidence, dtype=object)[order])
        related.append(h.related[order] if h.related is not None else np.full(len(order), None, dtype=object))
        codes.append(rule.code)
        types.append(rule.rule_type)
        sev.append(rule.severity)
        counts.append(len(order))
    amount = np.concatenate(amount).astype(np.int64)
    if (amount < 0).any():
        raise AssertionError("a rule produced a negative amount")
    line_tuples = np.fromiter(sns, dtype=object, count=len(sns))  # a tuple per hit, never a 2-d array
    return _hits_part({
        "rule_code": np.repeat(np.asarray(codes, dtype=object), counts),
        "rule_type": np.repeat(np.asarray(types, dtype=object), counts),
        "severity": np.repeat(np.asarray(sev, dtype=object), counts),
        "mdtrt_id": ctx.mdtrt_ids[np.concatenate(vpos)],
        "feedetl_sns": line_tuples,
        "amount_fen": amount,
        "evidence": np.concatenate(evidence),
        "related_mdtrt_id": np.concatenate(related),
    }, as_columns)
