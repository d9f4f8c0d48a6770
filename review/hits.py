"""The audit engine's hits as plain rows, the key that makes recording a hit idempotent, and the stored hit row.

Shared by the three writers of hits — review.services.record_hits (the ORM, one batch at a time; at the
counter's new settlements, one SQL statement) and claims.batch.audit (binary COPY, inside a chunk of the daily
job) — so all read a hits frame the same way, compute the same key and store the same row (HIT_ROW, hit_table:
its columns, their order and how each value is derived, written here once). Django-free: no models, no database, nothing of Django loaded by
importing it (tests/review/test_app.py); only an error's wording asks Django for the user's language.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import numpy as np

from claims.errors import ServiceError

# The columns run_audit's frame must have (rule_type and related_mdtrt_id are optional).
HIT_COLUMNS = ("rule_code", "severity", "mdtrt_id", "feedetl_sns", "amount_fen", "evidence")
# The values of review.models.HitSeverity (tests/review/test_record_hits.py keeps them equal).
SEVERITIES = ("warn", "suspect")


def _(message: str) -> str:
    """The message in the user's language (the msgids are extracted from these _() calls as usual)."""
    # imported here, on the error path only, so that importing this module loads nothing of Django
    from django.utils.translation import gettext

    return gettext(message)


def _text(value) -> str:
    if value is None:
        return ""
    try:
        if value != value:  # NaN from pandas
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


# json.dumps(value, ensure_ascii=False), the same text, without building an encoder for every call
_JSON = json.JSONEncoder(ensure_ascii=False)


def json_text(value) -> str:
    """json.dumps(value, ensure_ascii=False): how a hit's key and its lists are written."""
    return _JSON.encode(value)


def hit_key(stage: str, rule_code: str, visit_id: int, settlement_id: int | None, sns: list[str], amount_fen: int,
            related: str) -> str:
    """The hit's identity (AuditHit.key): stage, rule, visit, settlement, lines, amount and related visit."""
    raw = _JSON.encode([stage, rule_code, visit_id, settlement_id, sorted(sns), amount_fen, related])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def hit_rows(hits_df) -> list[dict]:
    """run_audit's frame (or its Columns: the same columns, as arrays) as checked dicts (line, rule_code, rule_type,
    severity, mdtrt_id, feedetl_sns, amount_fen, evidence, related_mdtrt_id). Raises ServiceError on a missing
    column, an unknown severity or an amount that is not a non-negative whole number of fen."""
    missing = [c for c in HIT_COLUMNS if c not in hits_df.columns]
    if missing:
        raise ServiceError.one("hits", "MISSING_COLUMNS", _("审核结果缺少列：%(c)s") % {"c": ", ".join(missing)})
    rows = []
    # the records column by column (to_dict("records") boxes every value on its own: several times slower on the
    # counter's few hits); every value below goes through _text, int or str, which read a numpy scalar alike
    columns = {c: hits_df[c].tolist() for c in hits_df.columns}
    for i, values in enumerate(zip(*columns.values(), strict=True)):
        rec = dict(zip(columns, values, strict=True))
        severity = _text(rec.get("severity"))
        if severity not in SEVERITIES:
            raise ServiceError.one("severity", "UNKNOWN_SEVERITY", _("未知的严重程度：%(s)s") % {"s": severity}, line=i)
        try:
            amount_fen = int(rec.get("amount_fen"))
        except (TypeError, ValueError) as exc:
            raise ServiceError.one("amount_fen", "NOT_INTEGER", _("金额(分)应为整数。"), line=i) from exc
        if amount_fen < 0:
            raise ServiceError.one("amount_fen", "NEGATIVE", _("不能为负数。"), line=i)
        sns = rec.get("feedetl_sns")
        sns = [sns] if isinstance(sns, str) else list(sns if sns is not None else ())
        rows.append({
            "line": i, "rule_code": _text(rec.get("rule_code")), "rule_type": _text(rec.get("rule_type")),
            "severity": severity, "mdtrt_id": _text(rec.get("mdtrt_id")), "feedetl_sns": [str(s) for s in sns],
            "amount_fen": amount_fen, "evidence": _text(rec.get("evidence")),
            "related_mdtrt_id": _text(rec.get("related_mdtrt_id")),
        })
    return rows


def _texts(values: list) -> list[str]:
    """_text of each value (str values stripped without the checks)."""
    return [v.strip() if type(v) is str else _text(v) for v in values]


def hit_columns(hits_df) -> dict[str, list]:
    """hit_rows as columns (Python lists, one value per hit, without `line`), for many hits: the same checks and
    values, checked column by column. A frame that fails a check goes through hit_rows, which raises its error
    (for the first line at fault)."""
    if any(c not in hits_df.columns for c in HIT_COLUMNS):
        hit_rows(hits_df)
    n = len(hits_df)

    def texts(column: str) -> list[str]:
        return _texts(hits_df[column].tolist()) if column in hits_df.columns else [""] * n

    severity = texts("severity")
    amounts = np.asarray(hits_df["amount_fen"])  # (a frame's Series or a Columns' array)
    if amounts.dtype.kind not in "iu" or not set(severity) <= set(SEVERITIES) or (amounts < 0).any():
        return _columns(hit_rows(hits_df))
    sns = [(s,) if isinstance(s, str) else () if s is None else tuple(map(str, s))
           for s in hits_df["feedetl_sns"].tolist()]
    return {"rule_code": texts("rule_code"), "rule_type": texts("rule_type"), "severity": severity,
            "mdtrt_id": texts("mdtrt_id"), "feedetl_sns": [list(s) for s in sns], "amount_fen": amounts.tolist(),
            "evidence": texts("evidence"), "related_mdtrt_id": texts("related_mdtrt_id")}


def _columns(rows: list[dict]) -> dict[str, list]:
    """hit_rows' rows (which passed its checks) as hit_columns' columns."""
    return {c: [r[c] for r in rows] for c in ("rule_code", "rule_type", "severity", "mdtrt_id", "feedetl_sns",
                                              "amount_fen", "evidence", "related_mdtrt_id")}


# A stored hit (review.models.AuditHit, table claims_audithit): its columns (the fields' attnames, which are also the
# columns' names) in the model's field order, the order every writer writes them in and AuditHit(*row) reads them
# positionally (tests/review/test_hit_columns.py holds it equal to the model).
HIT_ROW = ("id", "rule_id", "rule_code", "rule_type", "severity", "stage", "visit_id", "settlement_id",
           "institution_id", "feedetl_sns", "fee_line_ids", "amount", "evidence", "related_mdtrt_id", "related_visit_id",
           "item_id", "key", "created_at")
# the columns hit_table derives from the hits; the writer gives the others: id and created_at (its database's),
# item_id (once the suspect items are known)
HIT_VALUES = (*HIT_ROW[1:15], "key")
# HIT_ROW's JSON columns (lists in hit_table; each writer encodes them for its medium)
HIT_JSON = ("feedetl_sns", "fee_line_ids")


def hit_table(cols: dict[str, list], stage: str, *, rules: dict[str, tuple[int, str]], visit_id: list[int],
              institution_id: list[int], settlement_id: list, line_ids, related: dict[str, int]) -> dict[str, list]:
    """The stored rows of these hits (hit_columns' columns), column by column in HIT_VALUES' order, each key once
    (its first hit): the one definition of a hit row's values for the three writers.

    rules           {rule_code: (rule id, the library's rule_type)}: a hit without a rule_type of its own takes its
                    rule's
    visit_id, institution_id, settlement_id   each hit's (the visit's institution; settlement None outside the
                    settlement stage)
    line_ids        {(visit_id, feedetl_sn): fee line id} of the lines in hand: a hit's fee_line_ids are those of
                    its lines found there, in the hit's order; or a function of (visit_id, feedetl_sns) giving those
                    of every hit at once (set-based, for the night's many hits)
    related         {related_mdtrt_id: visit id}: related_visit_id (None when not found)
    The amount is in fen (`amount`; every writer stores it as numeric(14,2): stored_hit for a row)."""
    codes, sns, amounts, rel = cols["rule_code"], cols["feedetl_sns"], cols["amount_fen"], cols["related_mdtrt_id"]
    rule = [rules[c] for c in codes]
    keys = [hit_key(stage, *k) for k in zip(codes, visit_id, settlement_id, sns, amounts, rel, strict=True)]
    table = {
        "rule_id": [r[0] for r in rule], "rule_code": codes,
        "rule_type": [t or r[1] for t, r in zip(cols["rule_type"], rule, strict=True)],
        "severity": cols["severity"], "stage": [stage] * len(codes), "visit_id": visit_id,
        "settlement_id": settlement_id, "institution_id": institution_id, "feedetl_sns": sns,
        "fee_line_ids": line_ids(visit_id, sns) if callable(line_ids) else [
            [line_ids[(v, sn)] for sn in s if (v, sn) in line_ids] for v, s in zip(visit_id, sns, strict=True)],
        "amount": amounts, "evidence": cols["evidence"], "related_mdtrt_id": rel,
        "related_visit_id": [related.get(r) for r in rel], "key": keys,
    }
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    if len(first) < len(keys):  # a key recorded once: its first hit
        keep = list(first.values())
        table = {c: [values[i] for i in keep] for c, values in table.items()}
    return table


def stored_hit(values: tuple, pk: int | None = None, item_id: int | None = None, created_at=None) -> list:
    """A row of hit_table (its values in HIT_VALUES' order) as HIT_ROW's values, the amount in yuan (Decimal): the
    stored row, as AuditHit(*row) takes it."""
    row = [pk, *values[:14], item_id, values[14], created_at]
    row[11] = Decimal(row[11]).scaleb(-2)  # amount
    return row


def items_to_open(suspect_hits, fund_fen, existing=frozenset()) -> list[tuple[int, int, int, int]]:
    """The suspect items a settlement's hits open: one per (settlement, rule) with hits of severity "suspect",
    at stake the sum of their amounts but at most what the fund paid for that settlement, none when that is
    zero and none where an item is already open. The one statement of this rule for both recorders.

    suspect_hits  (settlement_id, rule_id, amount_fen) of each suspect hit
    fund_fen      settlement_id → what the fund paid for it (fund_pay_sumamt, in fen)
    existing      (settlement_id, rule_id) that already have an item
    Returns (settlement_id, rule_id, at_stake_fen, hits) sorted by settlement and rule."""
    groups: dict[tuple[int, int], list[int]] = {}
    for settlement_id, rule_id, amount_fen in suspect_hits:
        groups.setdefault((int(settlement_id), int(rule_id)), []).append(int(amount_fen))
    out = []
    for key in sorted(groups):
        if key in existing:
            continue
        at_stake = min(sum(groups[key]), int(fund_fen[key[0]]))
        if at_stake > 0:
            out.append((*key, at_stake, len(groups[key])))
    return out
