"""The daily batch's set-based path on PostgreSQL: COPY out, one engine pass, binary COPY into staging, SQL.

The ORM path (claims.batch.jobs.classify_day_lines, claims.settlement.services.settle_visits) and this path call the same
engine with the same frames and store the same rows; this one moves them with COPY and INSERT ... SELECT
instead of one statement per row, reads a chunk once and writes every line once. It is used for a chunk of
the daily job on PostgreSQL; SQLite uses the ORM path. Figures and the profile: docs/benchmarks.md.
"""
from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from claims.batch import audit as bulk_audit
from claims.settlement.loading import active_policies
from core.periods import day_bounds
from core.pgcopy import copy_out, decode_sql, stage_binary, text_codes
from policy_rules.engine import adjudicate, classify

SETTLEMENT_FEN = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
    "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay",
    "balc",
)
SPLIT_FEN = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")


def _local(column: str) -> str:
    return f"({column} AT TIME ZONE %(tz)s)"


VISITS_SQL = f"""
SELECT v.id AS visit_id, v.mdtrt_id, p.psn_no, v.med_type, {_local('v.begntime')} AS begntime,
       {_local('c.endtime')} AS setl_time, i.level AS inst_level, i.designated AS inst_designated, i.region,
       e.insutype, e.psn_type, e.enrolled_from, e.enrolled_to, e.paid_through, e.assistance_category,
       v.person_id, v.institution_id, c.today, c.settle
FROM chunk_visit c
JOIN claims_visit v ON v.id = c.id
JOIN insurance_person p ON p.id = v.person_id
JOIN insurance_institution i ON i.id = v.institution_id
LEFT JOIN LATERAL (
    SELECT * FROM insurance_enrollment e0
    WHERE (v.enrollment_id IS NOT NULL AND e0.id = v.enrollment_id)
       OR (v.enrollment_id IS NULL AND e0.person_id = v.person_id
           AND e0.enrolled_from <= ({_local('v.begntime')})::date
           AND (e0.enrolled_to IS NULL OR e0.enrolled_to >= ({_local('v.begntime')})::date))
    ORDER BY e0.enrolled_from DESC, e0.id DESC LIMIT 1
) e ON true
"""

LINES_SQL = f"""
SELECT fl.id AS fee_line_id, v.mdtrt_id, fl.feedetl_sn, fl.med_list_codg,
       round(fl.cnt * 10000)::bigint AS cnt_e4, round(fl.pric * 10000)::bigint AS pric_e4,
       round(fl.det_item_fee_sumamt * 100)::bigint AS amount_fen, {_local('fl.fee_ocur_time')} AS fee_ocur_time,
       {', '.join(f"coalesce(round(fl.{c} * 100)::bigint, -1) AS stored_{c}" for c in SPLIT_FEN)},
       fl.chrgitm_lv AS stored_chrgitm_lv, coalesce(round(fl.selfpay_prop * 1000000)::bigint, -1) AS stored_prop_e6,
       fl.reason AS stored_reason
FROM chunk_visit c JOIN claims_visit v ON v.id = c.id
JOIN claims_feeline fl ON fl.visit_id = v.id AND fl.status = 'active'
"""

PERSONS_SQL = """
SELECT p.psn_no, p.gender, p.birth_date, coalesce(round(a.balance * 100)::bigint, 0) AS acct_balance_fen,
       p.id AS person_id, a.id AS account_id
FROM insurance_person p LEFT JOIN insurance_personalaccount a ON a.person_id = p.id
WHERE p.id IN (SELECT DISTINCT person_id FROM chunk_visit)
"""

CATALOG_SQL = """
SELECT med_list_codg, name, chrg_lv, coalesce(round(selfpay_prop * 1000000)::bigint, -1) AS selfpay_prop_e6,
       coalesce(round(price_limit * 10000)::bigint, -1) AS price_limit_e4, restrict_gender,
       coalesce(restrict_min_age, -1) AS restrict_min_age, coalesce(restrict_max_age, -1) AS restrict_max_age,
       coalesce(restrict_min_level, -1) AS restrict_min_level, restrict_med_types::text AS restrict_med_types,
       effective_from, effective_to
FROM policy_rules_catalogitem
WHERE med_list_codg = ANY(%(codes)s)
"""

STATE_SQL = """
SELECT p.psn_no, a.year, a.kind, a.key,
       CASE WHEN a.kind = 'admissions' THEN round(a.amount)::bigint ELSE round(a.amount * 100)::bigint END AS amount
FROM claims_accumulator a JOIN insurance_person p ON p.id = a.person_id
WHERE a.person_id IN (SELECT person_id FROM chunk_visit WHERE settle) AND a.year = ANY(%(years)s)
"""


def _catalog_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The catalog as read by CATALOG_SQL (already scaled to integers) → the engine's catalog frame."""
    out = raw.copy()
    out["chrg_lv"] = out["chrg_lv"].astype(str).str.zfill(2)
    out["restrict_gender"] = out["restrict_gender"].fillna("").astype(str)
    out["restrict_med_types"] = [tuple(json.loads(m)) if isinstance(m, str) else () for m in out["restrict_med_types"]]
    for c in ("effective_from", "effective_to"):
        out[c] = pd.to_datetime(out[c])
    return out


# --- staging with binary COPY ------------------------------------------------------------------------------------

# --- one chunk of the daily job ---------------------------------------------------------------------------------

BATCH_WORK_MEM = "256MB"

# The day's visits, found once per job when it is planned (claims.batch.jobs.plan_job): each one with an active line
# uploaded that day, then looked up by its primary key (LATERAL ... LIMIT 1 keeps the planner from hashing them
# against a scan of every visit ever made, which it chose once the history held a million visits:
# bench/growth_bench.py --batch).
DAY_VISITS_SQL = """
WITH day AS MATERIALIZED (
    SELECT DISTINCT fl.visit_id FROM claims_upload u JOIN claims_feeline fl ON fl.upload_id = u.id
    WHERE u.created_at >= %(start)s AND u.created_at < %(end)s AND fl.status = 'active'
)
SELECT day.visit_id, v.person_id
FROM day CROSS JOIN LATERAL (SELECT v0.person_id FROM claims_visit v0 WHERE v0.id = day.visit_id LIMIT 1) v
"""

# A chunk's visits: those of the day the plan gave it, by key, and the discharged visits of its persons to settle,
# from the partial index on discharged visits. Neither reads the history nor the day's lines.
CHUNK_VISITS_SQL = """
DROP TABLE IF EXISTS chunk_visit;
CREATE TEMP TABLE chunk_visit ON COMMIT DROP AS
SELECT v.id, v.person_id, v.institution_id, v.endtime AS endtime, true AS today, false AS settle
FROM unnest(%(ids)s::bigint[]) AS day(visit_id)
CROSS JOIN LATERAL (SELECT * FROM claims_visit v0 WHERE v0.id = day.visit_id LIMIT 1) v;
INSERT INTO chunk_visit (id, person_id, institution_id, endtime, today, settle)
SELECT v.id, v.person_id, v.institution_id, v.endtime, false, false
FROM claims_visit v
WHERE v.status = 'discharged' AND v.endtime < %(end)s AND v.person_id %% %(chunks)s = %(chunk)s
  AND NOT EXISTS (SELECT 1 FROM chunk_visit c WHERE c.id = v.id)
  AND EXISTS (SELECT 1 FROM claims_feeline fl WHERE fl.visit_id = v.id AND fl.status = 'active');
"""


def day_visits(cursor, start: dt.datetime, end: dt.datetime) -> list[tuple[int, int]]:
    """(visit id, person id) of every visit with an active line uploaded in [start, end).

    With the batch's work_mem: with the server's default (4 MB) and the planner's estimate of the day's
    visits far too low, the DISTINCT's hash spilled into 271,240 batches and took 190 s at 3 million lines
    (bench/daily_bench.py); it takes about a second with room for the day's visits."""
    with transaction.atomic():
        batch_work_mem(cursor)
        cursor.execute(DAY_VISITS_SQL, {"start": start, "end": end})
        return cursor.fetchall()


def batch_work_mem(cursor) -> None:
    """The batch's work_mem for the rest of the transaction (SET LOCAL: call it inside one)."""
    cursor.execute(f"SET LOCAL work_mem = '{BATCH_WORK_MEM}'")


def batch_session(cursor, **context) -> None:
    """Settings for the batch's transaction only (SET LOCAL): no wait for the WAL flush at commit (a crash
    loses at most the last chunks, whose DONE mark is lost with them, so they run again), memory for the
    hash joins and sorts over a chunk's lines, and one history context for the settlements it writes."""
    from insurance.history import history_context

    cursor.execute("SET LOCAL synchronous_commit = off")
    batch_work_mem(cursor)
    history_context(cursor, **context)


def run_chunk(job, chunk_no: int, visit_ids: list[int], reason: str, settle: bool = True,
              inst_stats: pd.DataFrame | None = None) -> tuple[int, int, int]:
    """One chunk of a daily job in one transaction: (lines classified, visits settled, visits held).

    The chunk's visits are read once: visit_ids, those of its persons with an active line uploaded on the day
    (whose lines are classified; the job's plan), and the discharged ones to settle at their discharge time.
    inst_stats: the institutions' statistics the audit compares against (the job's plan). The visits to settle go through
    `adjudicate`; the day's other visits through `classify` (adjudicate's line split is classify's, so a
    settled visit's lines need no separate classification). Every line is then written once: the fee line
    updated and, for a settled visit, its settlement line inserted.
    """
    _, end = day_bounds(job.run_date)
    with transaction.atomic(), connection.cursor() as cursor:
        batch_session(cursor, source="daily_job", daily_job=job.pk, run_date=job.run_date.isoformat(),
                      chunk=chunk_no)
        cursor.execute(CHUNK_VISITS_SQL, {"ids": list(visit_ids), "end": end, "chunks": job.chunks_total,
                                          "chunk": chunk_no})
        if settle:
            _mark_visits_to_settle(cursor, end)
        cursor.execute("DELETE FROM chunk_visit WHERE NOT today AND NOT settle")
        cursor.execute("UPDATE chunk_visit SET endtime = %s WHERE endtime IS NULL", [timezone.now()])
        cursor.execute("ANALYZE chunk_visit")
        cursor.execute("SELECT count(*) FROM claims_visit v WHERE v.status = 'discharged' AND v.endtime < %s "
                       "AND v.person_id %% %s = %s", [end, job.chunks_total, chunk_no])
        candidates = cursor.fetchone()[0]
        data = _load(cursor)
        if data is None:
            return 0, 0, candidates
        visits, lines = data["visits"], data["lines"]
        classified = int(lines["mdtrt_id"].isin(visits.loc[visits["today"], "mdtrt_id"]).sum())
        versions, packs = active_policies(set(visits["region"]))
        version_ids = {p.code: v.pk for p, v in zip(packs, versions, strict=True)}
        engine_visits = visits.drop(columns=["region", "today", "settle"])
        settling = visits["settle"].to_numpy(dtype=bool)
        to_settle = set(visits.loc[settling, "mdtrt_id"])
        line_of_settled = lines["mdtrt_id"].isin(to_settle).to_numpy()

        settled_ids: dict[str, int] = {}
        splits = []
        if settling.any():
            result = adjudicate(lines[line_of_settled], engine_visits[settling], data["persons"], data["catalog"],
                                packs, data["state"])
            setl = result.settlements[result.settlements["policy_code"].notna()]
            settled_ids = _store_settlements(cursor, job, reason, visits, data["persons"], result, setl, version_ids)
            # a visit held (no policy in force) keeps the classification of its lines only if uploaded today
            today = set(visits.loc[visits["today"], "mdtrt_id"])
            keep = result.lines["mdtrt_id"].isin(settled_ids.keys()) | result.lines["mdtrt_id"].isin(today)
            splits.append(result.lines[keep.to_numpy()])
        if (~settling).any():
            splits.append(classify(lines[~line_of_settled], engine_visits[~settling], data["persons"], data["catalog"],
                                   packs))
        _write_lines(cursor, pd.concat(splits, ignore_index=True), lines, settled_ids)
        if settled_ids and settings.DAILY_JOB_AUDIT:
            fund = dict(zip(setl["mdtrt_id"], setl["fund_pay_sumamt"].astype(int), strict=True))
            bulk_audit.audit_chunk(cursor, visits, lines, data["catalog"], settled_ids, fund, inst_stats)
        return classified, len(settled_ids), candidates - len(settled_ids)


def _mark_visits_to_settle(cursor, end) -> None:
    """Mark the chunk's discharged visits with active lines; lock them and their persons in a stable order
    (what another worker settled meanwhile drops out)."""
    cursor.execute("""
        UPDATE chunk_visit c SET settle = true FROM claims_visit v
        WHERE v.id = c.id AND v.status = 'discharged' AND v.endtime < %(end)s
          AND EXISTS (SELECT 1 FROM claims_feeline fl WHERE fl.visit_id = v.id AND fl.status = 'active')
    """, {"end": end})
    cursor.execute("SELECT id FROM insurance_person WHERE id IN (SELECT person_id FROM chunk_visit WHERE settle) "
                   "ORDER BY id FOR UPDATE")
    cursor.execute("SELECT id FROM claims_visit WHERE id IN (SELECT id FROM chunk_visit WHERE settle) "
                   "ORDER BY id FOR UPDATE")
    cursor.execute("UPDATE chunk_visit c SET settle = false FROM claims_visit v "
                   "WHERE v.id = c.id AND c.settle AND v.status <> 'discharged'")


def _load(cursor) -> dict | None:
    """The frames of the chunk's visits (chunk_visit) as the engine wants them."""
    tz = settings.TIME_ZONE
    visits = copy_out(cursor, VISITS_SQL, {"tz": tz},
                      dtype={"med_type": str, "insutype": str, "paid_through": str, "assistance_category": str,
                             "psn_no": str, "mdtrt_id": str},
                      parse_dates=["begntime", "setl_time", "enrolled_from", "enrolled_to"])
    if visits.empty:
        return None
    for c in ("begntime", "setl_time"):  # with and without fractional seconds (a visit still open: now)
        visits[c] = pd.to_datetime(visits[c], format="ISO8601")
    for c in ("today", "settle", "inst_designated"):
        visits[c] = visits[c].astype(str).str.lower().isin(["t", "true"])
    visits["assistance_category"] = visits["assistance_category"].fillna("")
    # fee_ocur_time stays text: only the audit reads it, for the settled visits' lines (claims.batch.audit)
    # the stored_* columns: the split the line holds now (classified at upload), so that only a changed one is written
    lines = copy_out(cursor, LINES_SQL, {"tz": tz}, dtype={"feedetl_sn": str, "med_list_codg": str, "mdtrt_id": str,
                                                            "fee_ocur_time": str, "stored_chrgitm_lv": str,
                                                            "stored_reason": str})
    persons = copy_out(cursor, PERSONS_SQL, dtype={"psn_no": str, "gender": str}, parse_dates=["birth_date"])
    codes = sorted(set(lines["med_list_codg"]))
    catalog = _catalog_frame(copy_out(cursor, CATALOG_SQL, {"codes": codes},
                                      dtype={"med_list_codg": str, "name": str, "chrg_lv": str,
                                             "restrict_gender": str}))
    years = sorted({int(y) for y in visits.loc[visits["settle"], "setl_time"].dt.year.unique()})
    state = copy_out(cursor, STATE_SQL, {"years": years}, dtype={"psn_no": str, "kind": str, "key": str})
    state["key"] = state["key"].fillna("")
    return {"visits": visits, "lines": lines, "persons": persons, "catalog": catalog, "state": state}


def _setl_ids(day: str, n: int) -> np.ndarray:
    """n settlement ids 'S' + YYYYMMDD + 16 random upper-case hex digits (as new_setl_id makes one)."""
    digits = np.frombuffer(os.urandom(8 * n).hex().upper().encode(), dtype="S16")
    return np.char.add(f"S{day}".encode(), digits)


def _store_settlements(cursor, job, reason, visits, persons, result, setl, version_ids) -> dict[str, int]:
    """Insert the settlements, their accumulator changes and account payments; mark the visits settled."""
    n = len(setl)
    if not n:
        return {}
    cursor.execute("SELECT nextval(pg_get_serial_sequence('claims_settlement', 'id')) FROM generate_series(1, %s)",
                   [n])
    ids = np.array([r[0] for r in cursor.fetchall()], dtype=np.int64)
    v = visits.set_index("mdtrt_id").loc[setl["mdtrt_id"]]
    stamp = timezone.now()
    ineligible, ineligible_texts = text_codes(setl["ineligible_reason"])
    stage_binary(cursor, "stage_setl", {
        "id": ids, "setl_id": _setl_ids(job.run_date.strftime("%Y%m%d"), n),
        "visit_id": v["visit_id"].to_numpy(np.int64), "person_id": v["person_id"].to_numpy(np.int64),
        "institution_id": v["institution_id"].to_numpy(np.int64),
        "policy_version_id": setl["policy_code"].map(version_ids).to_numpy(np.int64),
        **{c: setl[c].to_numpy(np.int64) for c in SETTLEMENT_FEN},
        "ineligible": ineligible,
    })
    money = ", ".join(f"s.{c}::numeric / 100" for c in SETTLEMENT_FEN)
    cursor.execute(
        f"INSERT INTO claims_settlement (id, setl_id, kind, visit_id, person_id, institution_id, policy_version_id, "
        f"setl_time, med_type, {', '.join(SETTLEMENT_FEN)}, ineligible_reason, status, reason, daily_job_id, created_at) "
        f"SELECT s.id, s.setl_id, 'settlement', s.visit_id, s.person_id, s.institution_id, s.policy_version_id, "
        f"v.endtime, v.med_type, {money}, {decode_sql('s.ineligible', 'ineligible')}, 'settled', %(reason)s, %(job)s, "
        f"%(stamp)s "
        f"FROM stage_setl s JOIN claims_visit v ON v.id = s.visit_id",
        {"reason": reason, "job": job.pk, "stamp": stamp, "ineligible": ineligible_texts})
    settlement_of = dict(zip(setl["mdtrt_id"], ids.tolist(), strict=True))

    deltas = result.deltas[result.deltas["mdtrt_id"].isin(settlement_of.keys())]
    by_psn = persons.set_index("psn_no")
    kinds, kind_texts = text_codes(deltas["kind"])
    keys, key_texts = text_codes(deltas["key"])
    stage_binary(cursor, "stage_acc", {
        "settlement_id": deltas["mdtrt_id"].map(settlement_of).to_numpy(np.int64), "kind": kinds, "key": keys,
        "year": deltas["year"].to_numpy(np.int64), "delta": deltas["delta"].to_numpy(np.int64),
        "person_id": by_psn.loc[deltas["psn_no"], "person_id"].to_numpy(np.int64),
    })
    texts = {"kinds": kind_texts, "keys": key_texts}
    kind, key = decode_sql("kind", "kinds"), decode_sql("key", "keys")
    scaled = f"CASE WHEN {kind} = 'admissions' THEN delta::numeric ELSE delta::numeric / 100 END"
    cursor.execute(f"INSERT INTO claims_settlementaccumulation (settlement_id, kind, key, year, delta) "
                   f"SELECT settlement_id, {kind}, {key}, year, {scaled} FROM stage_acc", texts)
    cursor.execute(f"""
        INSERT INTO claims_accumulator (person_id, year, kind, key, amount)
        SELECT person_id, year, {kind}, {key}, sum({scaled}) FROM stage_acc GROUP BY person_id, year, kind, key
        ON CONFLICT (person_id, year, kind, key) DO UPDATE SET amount = claims_accumulator.amount + EXCLUDED.amount
    """, texts)
    _store_accounts(cursor, setl, settlement_of, by_psn, stamp)
    cursor.execute("UPDATE claims_visit SET status = 'settled' WHERE id IN (SELECT visit_id FROM stage_setl)")
    return settlement_of


def _write_lines(cursor, split: pd.DataFrame, lines: pd.DataFrame, settlement_of: dict[str, int]) -> None:
    """Every classified line once: a settlement line inserted when settled, the fee line's split updated when it
    differs from the one it holds (a line classified at upload, as the API does, usually holds it already)."""
    stored = ["fee_line_id", *(f"stored_{c}" for c in SPLIT_FEN), "stored_chrgitm_lv", "stored_prop_e6",
              "stored_reason"]
    split = split.merge(lines[["mdtrt_id", "feedetl_sn", *stored]], on=["mdtrt_id", "feedetl_sn"])
    changed = np.zeros(len(split), dtype=bool)
    for c in SPLIT_FEN:
        changed |= split[c].to_numpy(np.int64) != split[f"stored_{c}"].to_numpy(np.int64)
    changed |= split["selfpay_prop_e6"].to_numpy(np.int64) != split["stored_prop_e6"].to_numpy(np.int64)
    for c, kept in (("chrgitm_lv", "stored_chrgitm_lv"), ("reason", "stored_reason")):
        changed |= split[c].fillna("").astype(str).to_numpy() != split[kept].fillna("").astype(str).to_numpy()
    lv, lv_texts = text_codes(split["chrgitm_lv"])
    why, why_texts = text_codes(split["reason"])
    stage_binary(cursor, "stage_line", {
        "fee_line_id": split["fee_line_id"].to_numpy(np.int64),
        "settlement_id": split["mdtrt_id"].map(settlement_of).fillna(-1).to_numpy(np.int64),
        "changed": changed.astype(np.int64),
        "amount_fen": split["amount_fen"].to_numpy(np.int64),
        **{c: split[c].to_numpy(np.int64) for c in SPLIT_FEN},
        "lv": lv, "prop_e6": split["selfpay_prop_e6"].to_numpy(np.int64), "why": why,
        "sn": split["feedetl_sn"].to_numpy(dtype=object),
    })
    texts = {"lvs": lv_texts, "whys": why_texts}
    prop = "CASE WHEN s.prop_e6 < 0 THEN NULL ELSE s.prop_e6::numeric / 1000000 END"
    lv, why = decode_sql("s.lv", "lvs"), decode_sql("s.why", "whys")
    if settlement_of:
        cursor.execute(
            f"INSERT INTO claims_settlementline (settlement_id, fee_line_id, feedetl_sn, det_item_fee_sumamt, "
            f"{', '.join(SPLIT_FEN)}, chrgitm_lv, selfpay_prop, reason) "
            f"SELECT s.settlement_id, s.fee_line_id, s.sn, s.amount_fen::numeric / 100, "
            f"{', '.join(f's.{c}::numeric / 100' for c in SPLIT_FEN)}, {lv}, {prop}, {why} "
            f"FROM stage_line s WHERE s.settlement_id >= 0", texts)
    if changed.any():
        cursor.execute(
            f"UPDATE claims_feeline f SET {', '.join(f'{c} = s.{c}::numeric / 100' for c in SPLIT_FEN)}, "
            f"chrgitm_lv = {lv}, selfpay_prop = {prop}, reason = {why} "
            f"FROM (SELECT * FROM stage_line WHERE changed = 1) s WHERE f.id = s.fee_line_id", texts)


def _store_accounts(cursor, setl, settlement_of, persons, stamp) -> None:
    paying = setl[setl["acct_pay"] > 0]
    if paying.empty:
        return
    stage_binary(cursor, "stage_move", {
        "account_id": persons.loc[paying["psn_no"], "account_id"].astype("int64").to_numpy(np.int64),
        "amount_fen": -paying["acct_pay"].to_numpy(np.int64), "balance_fen": paying["balc"].to_numpy(np.int64),
        "settlement_id": paying["mdtrt_id"].map(settlement_of).to_numpy(np.int64),
        "seq": np.arange(len(paying), dtype=np.int64),
    })
    cursor.execute(
        "INSERT INTO insurance_accountmovement (account_id, amount, balance_after, kind, settlement_id, created_at, "
        "reason) SELECT account_id, amount_fen::numeric / 100, balance_fen::numeric / 100, 'settlement', "
        "settlement_id, %s, '日终批处理个人账户支付' FROM stage_move ORDER BY seq", [stamp])
    cursor.execute(
        "UPDATE insurance_personalaccount a SET balance = m.balance_fen::numeric / 100, updated_at = %s "
        "FROM (SELECT DISTINCT ON (account_id) account_id, balance_fen FROM stage_move "
        "ORDER BY account_id, seq DESC) m WHERE a.id = m.account_id", [stamp])
