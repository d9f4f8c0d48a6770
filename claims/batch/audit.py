"""Smart audit inside a chunk of the daily batch on PostgreSQL (claims.batch.chunk): set-based frames and writes.

The ORM path (claims.audit.pipeline.audit_visits → review.services.record_hits) builds the audit engine's frames
from model instances and records hits one batch at a time. This module gives the same engine the same
frames read with COPY from the chunk's temporary table (chunk_visit), reusing the frames the chunk has
already read for adjudication, and records the hits, suspect items and their events with binary COPY straight
into their tables in the chunk's own transaction: a chunk's settlements and their audit hits and suspect items land together or not at all.
tests/claims/batch/test_daily_bulk_path.py holds both paths to the same hits, items and events.
"""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.audit.pipeline import HISTORY_DAYS, chronic_holders
from core.pgcopy import Int8, Jsonb, Numeric, Timestamp, copy_in_binary, copy_out, now_micros
from policy_rules.audit_library import rules_in_force
from policy_rules.engine.audit import run_audit
from policy_rules.engine.frames import diagnosis_codes, full_years
from policy_rules.models import AuditRuleDefinition
from review.hits import HIT_JSON, HIT_VALUES, hit_columns, hit_table, items_to_open, json_text
from review.models import HitSeverity, HitStage, ReviewAction, SuspectState

VISIT_COLUMNS = ["mdtrt_id", "psn_no", "fixmedins_code", "med_type", "begntime", "endtime", "inst_level", "gender",
                 "age", "diagnoses"]


def _visit_select(local) -> str:
    """The audit engine's visit columns of claims_visit v (joined to person p and institution i)."""
    return f"""
SELECT v.mdtrt_id, p.psn_no, i.fixmedins_code, v.med_type, {local('v.begntime')} AS begntime,
       {local('v.endtime')} AS endtime, i.level AS inst_level, p.gender,
       p.birth_date,
       v.diagnoses::text AS diagnoses
FROM claims_visit v JOIN insurance_person p ON p.id = v.person_id JOIN insurance_institution i ON i.id = v.institution_id
"""


def _local(column: str) -> str:
    return f"({column} AT TIME ZONE %(tz)s)"


AUDIT_VISITS_SQL = _visit_select(_local) + " WHERE v.id IN (SELECT id FROM chunk_visit WHERE settle)"

# the settled visits' persons' other visits that overlap the window (as claims.audit.pipeline.audit_frames reads them)
HISTORY_SQL = _visit_select(_local) + """
WHERE v.person_id IN (SELECT person_id FROM chunk_visit WHERE settle)
  AND v.begntime < %(end)s AND (v.endtime IS NULL OR v.endtime >= %(begin)s)
  AND v.id NOT IN (SELECT id FROM chunk_visit WHERE settle)
"""


def _diagnoses(text) -> tuple:
    """diagnoses as COPY reads the JSON column (text) → their codes."""
    return diagnosis_codes(json.loads(text)) if isinstance(text, str) and text else ()


def _visits(cursor, sql: str, params: dict) -> pd.DataFrame:
    frame = copy_out(cursor, sql, params, dtype={"mdtrt_id": str, "psn_no": str, "fixmedins_code": str,
                                                  "med_type": str, "gender": str, "diagnoses": str})
    for c in ("begntime", "endtime"):
        frame[c] = pd.to_datetime(frame[c], format="ISO8601")
    frame["age"] = full_years(frame["begntime"], frame["birth_date"]) if len(frame) else np.zeros(0, np.int64)
    texts = [t if isinstance(t, str) else "" for t in frame["diagnoses"].tolist()]
    codes = {t: _diagnoses(t) for t in set(texts)}  # each distinct JSON text parsed once
    frame["diagnoses"] = [codes[t] for t in texts]
    frame["gender"] = frame["gender"].fillna("")
    return frame[VISIT_COLUMNS]


def audit_frames(cursor, visits: pd.DataFrame, lines: pd.DataFrame, catalog: pd.DataFrame,
                 inst_stats: pd.DataFrame) -> dict:
    """run_audit's inputs for the chunk's settled visits, as claims.audit.pipeline.audit_frames builds them per batch, with
    inst_stats, the institutions' statistics of the job's plan (claims.batch.jobs.plan_job).

    `visits`, `lines` and `catalog` are the frames the chunk read for the engine (claims.batch.chunk._load),
    `lines` with fee_ocur_time and `catalog` with the item names."""
    tz = settings.TIME_ZONE
    settled = visits.loc[visits["settle"], ["mdtrt_id", "begntime", "setl_time", "person_id"]]
    frame = _visits(cursor, AUDIT_VISITS_SQL, {"tz": tz})
    person = frame[["mdtrt_id"]].merge(settled, on="mdtrt_id", how="left")
    frame = frame.assign(chronic_holder=chronic_holders(person["person_id"].to_numpy(np.int64),
                                                        person["begntime"].dt.date.tolist()))
    ours = lines[lines["mdtrt_id"].isin(settled["mdtrt_id"])]
    audit_lines = ours[["mdtrt_id", "feedetl_sn", "med_list_codg", "cnt_e4", "pric_e4", "amount_fen",
                        "fee_ocur_time"]].reset_index(drop=True)
    audit_lines["fee_ocur_time"] = pd.to_datetime(audit_lines["fee_ocur_time"], format="ISO8601")
    # the window of claims.audit.pipeline.audit_frames: the batch's first admission and last discharge ± HISTORY_DAYS
    current = timezone.get_current_timezone()
    first = timezone.make_aware(frame["begntime"].min().to_pydatetime(), current)
    last = timezone.make_aware(frame["endtime"].max().to_pydatetime(), current)
    begin, end = first - dt.timedelta(days=HISTORY_DAYS), last + dt.timedelta(days=HISTORY_DAYS)
    history = _visits(cursor, HISTORY_SQL, {"tz": tz, "begin": begin, "end": end})
    stats = inst_stats[inst_stats["fixmedins_code"].isin(set(frame["fixmedins_code"]))].reset_index(drop=True)
    return {"lines": audit_lines, "visits": frame, "catalog": catalog, "history": history, "inst_stats": stats}


def audit_chunk(cursor, visits: pd.DataFrame, lines: pd.DataFrame, catalog: pd.DataFrame,
                settlement_of: dict[str, int], fund_fen: dict[str, int], inst_stats: pd.DataFrame
                ) -> tuple[int, int]:
    """Run the rules in force over the chunk's settled visits and record the hits at the settlement stage
    (suspect items opened as record_hits opens them). Returns (hits, items) recorded."""
    if not settlement_of:
        return 0, 0
    day = visits.loc[visits["settle"], "setl_time"].max().date()
    rules = rules_in_force(day)
    if not rules:
        return 0, 0
    hits = run_audit(rules=rules, **audit_frames(cursor, visits, lines, catalog, inst_stats))
    hits = hits[hits["mdtrt_id"].isin(list(settlement_of))]
    if hits.empty:
        return 0, 0
    return record_hits(cursor, hits, visits, lines, settlement_of, fund_fen)


def record_hits(cursor, hits: pd.DataFrame, visits: pd.DataFrame, lines: pd.DataFrame,
                settlement_of: dict[str, int], fund_fen: dict[str, int]) -> tuple[int, int]:
    """The settlement-stage part of review.services.record_hits, set-based, for new settlements of this chunk:
    the same rows, keys and first-of-each-key, built column by column."""
    cols = hit_columns(hits)
    codes = cols["rule_code"]
    # a rule without its own rule_type in the frame takes the library's (review.hits.hit_table)
    rules = {code: (pk, rule_type) for code, pk, rule_type in AuditRuleDefinition.objects.filter(
        code__in=set(codes)).values_list("code", "pk", "rule_type")}
    missing = set(codes) - set(rules)
    if missing:
        raise ValueError(f"audit rules not in the rule library: {sorted(missing)}")
    mdtrt = np.array(cols["mdtrt_id"], dtype=object)
    vpos = pd.Index(visits["mdtrt_id"]).get_indexer(mdtrt)
    if (vpos < 0).any():
        raise KeyError(f"hits of visits not in the chunk: {sorted(set(mdtrt[vpos < 0]))[:5]}")
    visit_id = visits["visit_id"].to_numpy(np.int64)[vpos].tolist()
    related = set(cols["related_mdtrt_id"]) - {""}
    related_ids = {}
    if related:
        cursor.execute("SELECT mdtrt_id, id FROM claims_visit WHERE mdtrt_id = ANY(%s)", [sorted(related)])
        related_ids = dict(cursor.fetchall())
    table = hit_table(cols, HitStage.SETTLEMENT, rules=rules, visit_id=visit_id,
                      institution_id=visits["institution_id"].to_numpy(np.int64)[vpos].tolist(),
                      settlement_id=[settlement_of[m] for m in cols["mdtrt_id"]],
                      line_ids=lambda _visits, sns: _fee_line_ids(lines, mdtrt, sns), related=related_ids)
    frame = pd.DataFrame({c: _column(c, table[c]) for c in HIT_VALUES}, copy=False)
    items = _open_items(cursor, frame, settlement_of, fund_fen)
    frame["item_id"] = [items.get((s, r), -1) if sev == HitSeverity.SUSPECT else -1
                        for s, r, sev in zip(frame["settlement_id"].tolist(), frame["rule_id"].tolist(),
                                             frame["severity"], strict=True)]
    item = frame["item_id"].to_numpy(np.int64)
    # COPY straight into the table, HIT_ROW's columns (review.hits) in their encoding: a hit's key names its
    # settlement, new in this transaction, so no hit recorded before can share it (and `frame` holds each key once);
    # a collision would fail the chunk, not skip a hit
    copy_in_binary(cursor, "claims_audithit", {
        **{c: _encoded(c, frame[c]) for c in HIT_VALUES}, "item_id": Int8(item, item == -1),
        "created_at": Timestamp(np.full(len(frame), now_micros(), dtype=np.int64)),
    })
    return len(frame), len(items)


# the integer columns of HIT_ROW (an absent related visit -1 in the frame, NULL in the table)
_INTS = ("rule_id", "visit_id", "settlement_id", "institution_id", "amount", "related_visit_id")


def _column(name: str, values: list) -> np.ndarray:
    """hit_table's column as the frame's: integers int64 (None: -1), the JSON lists their text, others objects."""
    if name in _INTS:
        return np.array([-1 if v is None else v for v in values] if name == "related_visit_id" else values,
                        dtype=np.int64)
    out = np.empty(len(values), dtype=object)
    out[:] = [json_text(v) for v in values] if name in HIT_JSON else values
    return out


def _encoded(name: str, column: pd.Series):
    """The frame's column as copy_in_binary writes it into claims_audithit."""
    if name == "amount":
        return Numeric(column.to_numpy(np.int64), 2)
    if name == "related_visit_id":
        values = column.to_numpy(np.int64)
        return Int8(values, values == -1)
    if name in _INTS:
        return column.to_numpy(np.int64)
    return Jsonb(column.to_numpy(dtype=object)) if name in HIT_JSON else column.to_numpy(dtype=object)


def _fee_line_ids(lines: pd.DataFrame, mdtrt: np.ndarray, sns: list[list[str]]) -> list[list[int]]:
    """Each hit's fee line ids (hit_table's fee_line_ids): those of its lines (mdtrt_id, feedetl_sn) that are among
    the chunk's `lines`, in the hit's order, found set-based."""
    counts = np.fromiter(map(len, sns), np.int64, len(sns))
    pairs = pd.MultiIndex.from_arrays([np.repeat(mdtrt, counts), np.fromiter(
        (sn for hit in sns for sn in hit), object, int(counts.sum()))])
    at = pd.MultiIndex.from_arrays([lines["mdtrt_id"].to_numpy(dtype=object),
                                    lines["feedetl_sn"].to_numpy(dtype=object)]).get_indexer(pairs)
    ids = np.where(at >= 0, lines["fee_line_id"].to_numpy(np.int64)[at], -1).tolist()
    out, start = [], 0
    for n in counts.tolist():
        out.append([i for i in ids[start:start + n] if i >= 0])
        start += n
    return out


def _open_items(cursor, hits: pd.DataFrame, settlement_of: dict[str, int],
                fund_fen: dict[str, int]) -> dict[tuple[int, int], int]:
    """One suspect item per (settlement, rule) with suspect hits: their amounts summed, at most what the fund
    paid; none when that is zero. Each new item gets its OPENED event. Returns {(settlement, rule): item id}
    for the new items, whose ids are drawn first so that the hits are written with their item."""
    suspect = hits[hits["severity"] == HitSeverity.SUSPECT]
    if suspect.empty:
        return {}
    cursor.execute("SELECT settlement_id, rule_id FROM claims_suspectitem WHERE settlement_id = ANY(%s)",
                   [sorted({int(x) for x in suspect["settlement_id"]})])
    existing = set(cursor.fetchall())
    fund_by_settlement = {settlement_of[m]: f for m, f in fund_fen.items() if m in settlement_of}
    # (Python ints: items_to_open's int() of a numpy scalar costs several times more)
    opened = items_to_open(zip(*(suspect[c].tolist() for c in ("settlement_id", "rule_id", "amount")), strict=True),
                           fund_by_settlement, existing)
    if not opened:
        return {}
    first = suspect.groupby(["settlement_id", "rule_id"], sort=True).agg(
        visit_id=("visit_id", "first"), institution_id=("institution_id", "first"), rule_code=("rule_code", "first"))
    groups = pd.DataFrame(opened, columns=["settlement_id", "rule_id", "at_stake", "n"]).join(
        first, on=["settlement_id", "rule_id"])
    cursor.execute("SELECT nextval(pg_get_serial_sequence('claims_suspectitem', 'id')) FROM generate_series(1, %s)",
                   [len(groups)])
    ids = np.array([r[0] for r in cursor.fetchall()], dtype=np.int64)
    names = dict(AuditRuleDefinition.objects.filter(pk__in=groups["rule_id"].astype(int).tolist())
                 .values_list("pk", "name"))
    n, now = len(groups), np.full(len(groups), now_micros(), dtype=np.int64)
    at_stake = Numeric(groups["at_stake"].to_numpy(np.int64), 2)
    keys = {c: groups[c].to_numpy(np.int64) for c in ("visit_id", "settlement_id", "institution_id", "rule_id")}
    # COPY, as bulk_create would insert them (the items' ids drawn above, so that the events and hits name them)
    copy_in_binary(cursor, "claims_suspectitem", {
        "id": ids, **keys, "amount_at_stake": at_stake, "state": np.full(n, SuspectState.PENDING.value, dtype=object),
        "review_reason": np.full(n, "", dtype=object), "created_at": Timestamp(now)})
    reason = _("规则 %(code)s %(name)s 命中 %(n)d 处")  # translated once for the chunk's items
    reasons = [reason % {"code": code, "name": names[rule], "n": hits}
               for code, rule, hits in zip(groups["rule_code"].tolist(), groups["rule_id"].tolist(),
                                           groups["n"].tolist(), strict=True)]
    copy_in_binary(cursor, "claims_reviewevent", {
        "item_id": ids, "visit_id": keys["visit_id"], "at": Timestamp(now),
        "action": np.full(n, ReviewAction.OPENED.value, dtype=object), "from_state": np.full(n, "", dtype=object),
        "to_state": np.full(n, SuspectState.PENDING.value, dtype=object), "amount": at_stake,
        "reason": np.array(reasons, dtype=object)})
    return dict(zip(zip(keys["settlement_id"].tolist(), keys["rule_id"].tolist(), strict=True), ids.tolist(),
                    strict=True))
