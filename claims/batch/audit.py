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
from review.hits import hit_key, hit_rows, items_to_open
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
    frame["diagnoses"] = [_diagnoses(d) for d in frame["diagnoses"]]
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
    """The settlement-stage part of review.services.record_hits, set-based, for new settlements of this chunk."""
    rows = hit_rows(hits)
    rule_ids = dict(AuditRuleDefinition.objects.filter(code__in={r["rule_code"] for r in rows})
                    .values_list("code", "pk"))
    missing = {r["rule_code"] for r in rows} - set(rule_ids)
    if missing:
        raise ValueError(f"audit rules not in the rule library: {sorted(missing)}")
    visit_of = dict(zip(visits["mdtrt_id"], visits["visit_id"].tolist(), strict=True))
    institution_of = dict(zip(visits["mdtrt_id"], visits["institution_id"].tolist(), strict=True))
    line_ids = dict(zip(zip(lines["mdtrt_id"], lines["feedetl_sn"], strict=True), lines["fee_line_id"].tolist(),
                        strict=True))
    related_codes = sorted({r["related_mdtrt_id"] for r in rows if r["related_mdtrt_id"]})
    related = {}
    if related_codes:
        cursor.execute("SELECT mdtrt_id, id FROM claims_visit WHERE mdtrt_id = ANY(%s)", [related_codes])
        related = dict(cursor.fetchall())
    built: dict[str, dict] = {}
    for r in rows:
        mdtrt = r["mdtrt_id"]
        visit_id = visit_of[mdtrt]
        settlement_id = settlement_of[mdtrt]
        key = hit_key(HitStage.SETTLEMENT, r["rule_code"], visit_id, settlement_id, r["feedetl_sns"],
                       r["amount_fen"], r["related_mdtrt_id"])
        built.setdefault(key, {
            "rule_id": rule_ids[r["rule_code"]], "rule_code": r["rule_code"], "rule_type": r["rule_type"],
            "severity": r["severity"], "visit_id": visit_id, "settlement_id": settlement_id,
            "institution_id": institution_of[mdtrt],
            "feedetl_sns": json.dumps(r["feedetl_sns"], ensure_ascii=False),
            "fee_line_ids": json.dumps([line_ids[(mdtrt, sn)] for sn in r["feedetl_sns"] if (mdtrt, sn) in line_ids]),
            "amount_fen": r["amount_fen"], "evidence": r["evidence"], "related_mdtrt_id": r["related_mdtrt_id"],
            "related_visit_id": related.get(r["related_mdtrt_id"], -1), "key": key,
        })
    # a rule without its own rule_type in the frame takes the library's, as record_hits does
    types = dict(AuditRuleDefinition.objects.filter(pk__in=set(rule_ids.values())).values_list("pk", "rule_type"))
    for h in built.values():
        h["rule_type"] = h["rule_type"] or types[h["rule_id"]]
    frame = pd.DataFrame(list(built.values()))
    items = _open_items(cursor, frame, settlement_of, fund_fen)
    frame["item_id"] = [items.get((s, r), -1) if sev == HitSeverity.SUSPECT else -1
                        for s, r, sev in zip(frame["settlement_id"], frame["rule_id"], frame["severity"], strict=True)]
    related_visit = frame["related_visit_id"].to_numpy(np.int64)
    item = frame["item_id"].to_numpy(np.int64)
    # COPY straight into the table: a hit's key names its settlement, new in this transaction, so no hit recorded
    # before can share it (and `built` holds each key once); a collision would fail the chunk, not skip a hit
    copy_in_binary(cursor, "claims_audithit", {
        **{c: frame[c].to_numpy(dtype=object) for c in ("rule_code", "rule_type", "severity")},
        "stage": np.full(len(frame), HitStage.SETTLEMENT.value, dtype=object),
        **{c: frame[c].to_numpy(np.int64) for c in ("rule_id", "visit_id", "settlement_id", "institution_id")},
        "feedetl_sns": Jsonb(frame["feedetl_sns"].to_numpy(dtype=object)),
        "fee_line_ids": Jsonb(frame["fee_line_ids"].to_numpy(dtype=object)),
        "amount": Numeric(frame["amount_fen"].to_numpy(np.int64), 2),
        "evidence": frame["evidence"].to_numpy(dtype=object),
        "related_mdtrt_id": frame["related_mdtrt_id"].fillna("").to_numpy(dtype=object),
        "related_visit_id": Int8(related_visit, related_visit == -1),
        "key": frame["key"].to_numpy(dtype=object), "item_id": Int8(item, item == -1),
        "created_at": Timestamp(np.full(len(frame), now_micros(), dtype=np.int64)),
    })
    return len(frame), len(items)


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
    opened = items_to_open(zip(suspect["settlement_id"], suspect["rule_id"], suspect["amount_fen"], strict=True),
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
    reasons = [_("规则 %(code)s %(name)s 命中 %(n)d 处") % {"code": code, "name": names[int(rule)], "n": int(hits)}
               for code, rule, hits in zip(groups["rule_code"], groups["rule_id"], groups["n"], strict=True)]
    copy_in_binary(cursor, "claims_reviewevent", {
        "item_id": ids, "visit_id": keys["visit_id"], "at": Timestamp(now),
        "action": np.full(n, ReviewAction.OPENED.value, dtype=object), "from_state": np.full(n, "", dtype=object),
        "to_state": np.full(n, SuspectState.PENDING.value, dtype=object), "amount": at_stake,
        "reason": np.array(reasons, dtype=object)})
    return dict(zip(zip(keys["settlement_id"].tolist(), keys["rule_id"].tolist(), strict=True), ids.tolist(),
                    strict=True))
