"""Smart audit inside a chunk of the daily batch on PostgreSQL (claims.batch.chunk): set-based frames and writes.

The ORM path (claims.audit.pipeline.audit_visits → review.services.record_hits) builds the audit engine's frames
from model instances and records hits one batch at a time. This module gives the same engine the same
frames read with COPY from the chunk's temporary table (chunk_visit), reusing the frames the chunk has
already read for adjudication, and records the hits with COPY and INSERT ... SELECT in the chunk's own
transaction: a chunk's settlements and their audit hits and suspect items land together or not at all.
tests/claims/batch/test_daily_bulk_path.py holds both paths to the same hits, items and events.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.audit.pipeline import HISTORY_DAYS
from core.pgcopy import copy_in, copy_out
from policy_rules.audit_library import rules_in_force
from policy_rules.engine.audit import run_audit
from policy_rules.engine.frames import diagnosis_codes, full_years
from policy_rules.models import AuditRuleDefinition
from review.hits import hit_key, hit_rows, items_to_open
from review.models import HitSeverity, HitStage, ReviewAction, ReviewEvent, SuspectItem, SuspectState

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
    settled = visits.loc[visits["settle"], ["mdtrt_id", "begntime", "setl_time"]]
    frame = _visits(cursor, AUDIT_VISITS_SQL, {"tz": tz})
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
    cursor.execute("DROP TABLE IF EXISTS stage_hit")
    cursor.execute("""CREATE TEMP TABLE stage_hit (rule_id bigint, rule_code text, rule_type text, severity text,
        visit_id bigint, settlement_id bigint, institution_id bigint, feedetl_sns text, fee_line_ids text,
        amount_fen bigint, evidence text, related_mdtrt_id text, related_visit_id bigint, key text, item_id bigint)
        ON COMMIT DROP""")
    copy_in(cursor, "stage_hit", frame)
    cursor.execute("""
        INSERT INTO claims_audithit (rule_id, rule_code, rule_type, severity, stage, visit_id, settlement_id,
            institution_id, feedetl_sns, fee_line_ids, amount, evidence, related_mdtrt_id, related_visit_id, key,
            item_id, created_at)
        SELECT rule_id, rule_code, rule_type, severity, %(stage)s, visit_id, settlement_id, institution_id,
            feedetl_sns::jsonb, fee_line_ids::jsonb, amount_fen::numeric / 100, evidence, coalesce(related_mdtrt_id, ''),
            nullif(related_visit_id, -1), key, nullif(item_id, -1), %(now)s
        FROM stage_hit ON CONFLICT (key) DO NOTHING
    """, {"stage": HitStage.SETTLEMENT, "now": timezone.now()})
    return cursor.rowcount, len(items)


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
    ids = [r[0] for r in cursor.fetchall()]
    names = dict(AuditRuleDefinition.objects.filter(pk__in=groups["rule_id"].astype(int).tolist())
                 .values_list("pk", "name"))
    items = SuspectItem.objects.bulk_create([
        SuspectItem(pk=pk, visit_id=int(g.visit_id), settlement_id=int(g.settlement_id),
                    institution_id=int(g.institution_id), rule_id=int(g.rule_id),
                    amount_at_stake=Decimal(int(g.at_stake)).scaleb(-2))
        for pk, g in zip(ids, groups.itertuples(index=False), strict=True)
    ], batch_size=2000)
    ReviewEvent.objects.bulk_create([
        ReviewEvent(item=item, visit_id=item.visit_id, action=ReviewAction.OPENED, from_state="",
                    to_state=SuspectState.PENDING, amount=item.amount_at_stake,
                    reason=_("规则 %(code)s %(name)s 命中 %(n)d 处") % {
                        "code": g.rule_code, "name": names[int(g.rule_id)], "n": int(g.n)})
        for item, g in zip(items, groups.itertuples(index=False), strict=True)
    ], batch_size=2000)
    return {(item.settlement_id, item.rule_id): item.pk for item in items}
