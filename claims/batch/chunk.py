"""The daily batch's set-based path on PostgreSQL: COPY out, one engine pass, binary COPY into staging, SQL.

The ORM path (claims.batch.jobs.classify_day_lines, claims.settlement.services.settle_visits) and this path call the same
engine with the same frames and store the same rows; this one moves them with COPY and INSERT ... SELECT
instead of one statement per row, reads a chunk once and writes every line once. It is used for a chunk of
the daily job on PostgreSQL; SQLite uses the ORM path. Figures and the profile: docs/benchmarks.md.
"""
from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from claims.batch import audit as bulk_audit
from claims.batch import quarantine
from claims.batch.reader import read_chunk, read_lines
from claims.batch.writer import write_fee_lines, write_plan
from claims.models import QuarantineReason
from claims.settlement.plan import plan_fee_lines, plan_settlements
from core.periods import day_bounds
from insurance.history import history_context
from policy_rules.engine import adjudicate, classify

log = logging.getLogger(__name__)
BATCH_WORK_MEM = "256MB"

# The day's visits, found once per job when it is planned (claims.batch.jobs.plan_job): each one with an active line
# uploaded that day, then looked up by its primary key (LATERAL ... LIMIT 1 keeps the planner from hashing them
# against a scan of every visit ever made, so that the plan stays flat in the size of the history).
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

    With the batch's work_mem, so that the DISTINCT's hash over a large day fits in memory even when the
    planner underestimates the day's visits (docs/benchmarks.md has the case)."""
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
    cursor.execute("SET LOCAL synchronous_commit = off")
    batch_work_mem(cursor)
    history_context(cursor, **context)


def run_chunk(job, chunk_no: int, visit_ids: list[int], reason: str, settle: bool = True,
              inst_stats: pd.DataFrame | None = None) -> tuple[int, int, int]:
    """One chunk of a daily job in one transaction: (lines classified, visits settled, visits held).

    A visit the engine cannot take is quarantined (claims.batch.quarantine) and the rest of the chunk goes on;
    visits set aside are counted neither settled nor held (the job counts them: QuarantinedVisit).

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
        set_aside = quarantine.set_aside(cursor, job.pk, chunk_no)
        cursor.execute("ANALYZE chunk_visit")
        # the lines are read once, here: checked by the quarantine, then given to every try of _settle_chunk
        lines, lines_aside = quarantine.set_aside_lines(cursor, job.pk, chunk_no, read_lines(cursor))
        set_aside += lines_aside
        cursor.execute("SELECT count(*) FROM claims_visit v WHERE v.status = 'discharged' AND v.endtime < %s "
                       "AND v.person_id %% %s = %s", [end, job.chunks_total, chunk_no])
        candidates = cursor.fetchone()[0] - sum(to_settle for _, to_settle in set_aside)
        cursor.execute("SELECT id, person_id, settle FROM chunk_visit")
        taken = cursor.fetchall()
        classified, settled, failed = _settle_isolating(cursor, job, chunk_no, taken, reason, inst_stats, lines)
        quarantine.resolve([visit_id for visit_id, person_id, _ in taken if person_id not in failed])
        set_aside_later = sum(to_settle for _, person_id, to_settle in taken if person_id in failed)
        return classified, settled, candidates - settled - set_aside_later


# errors of the connection or the server, not of a visit's data: they fail the chunk (it is run again)
TRANSIENT = (OperationalError, InterfaceError, MemoryError)


def _settle_isolating(cursor, job, chunk_no: int, taken: list[tuple[int, int, bool]], reason: str,
                      inst_stats, lines: pd.DataFrame) -> tuple[int, int, set[int]]:
    """_settle_chunk over chunk_visit in a savepoint; when it raises, again in halves by person (a person's visits
    stay together: their year is settled in order), down to the persons whose visits the engine cannot settle,
    which are quarantined. Returns (lines classified, visits settled, persons quarantined). When every person
    of the chunk fails, the fault is not one visit's: the first error is raised and the chunk fails as a whole."""
    try:
        with transaction.atomic():
            return (*_settle_chunk(cursor, job, reason, inst_stats, lines), set())
    except TRANSIENT:
        raise
    except Exception as exc:  # noqa: BLE001  (any error of the engine, the plan or the writer on this data)
        error = exc
    log.warning("daily job %s chunk %s: %s; isolating the visit by halves", job.run_date, chunk_no, error)
    cursor.execute("DROP TABLE IF EXISTS chunk_all")
    cursor.execute("CREATE TEMP TABLE chunk_all ON COMMIT DROP AS SELECT * FROM chunk_visit")
    persons = sorted({person_id for _, person_id, _ in taken})
    classified, settled, failed = _in_halves(cursor, job, persons, error, reason, inst_stats, lines)
    if len(failed) == len(persons) > 1:
        raise error
    quarantine.record(job.pk, chunk_no, [
        (visit_id, QuarantineReason.ENGINE_ERROR, "", f"{type(failed[person_id]).__name__}: {failed[person_id]}")
        for visit_id, person_id, _ in taken if person_id in failed])
    return classified, settled, set(failed)


def _in_halves(cursor, job, persons: list[int], error: Exception, reason: str,
               inst_stats, lines: pd.DataFrame) -> tuple[int, int, dict[int, Exception]]:
    """Settle these persons (whose visits together raised `error`) half by half, each in a savepoint."""
    if len(persons) == 1:
        return 0, 0, {persons[0]: error}
    classified = settled = 0
    failed: dict[int, Exception] = {}
    mid = len(persons) // 2
    for half in (persons[:mid], persons[mid:]):
        try:
            with transaction.atomic():
                cursor.execute("DELETE FROM chunk_visit")
                cursor.execute("INSERT INTO chunk_visit SELECT * FROM chunk_all WHERE person_id = ANY(%s)", [half])
                cursor.execute("ANALYZE chunk_visit")
                c, s = _settle_chunk(cursor, job, reason, inst_stats, lines)
        except TRANSIENT:
            raise
        except Exception as exc:  # noqa: BLE001  (as in _settle_isolating)
            c, s, f = _in_halves(cursor, job, half, exc, reason, inst_stats, lines)
            failed.update(f)
        classified += c
        settled += s
    return classified, settled, failed


def _settle_chunk(cursor, job, reason: str, inst_stats, lines: pd.DataFrame) -> tuple[int, int]:
    """The visits of chunk_visit read (their lines among `lines`, the chunk's), classified or settled, written and
    audited: (lines classified, visits settled)."""
    chunk = read_chunk(cursor, lines)
    if chunk is None:
        return 0, 0
    inputs, visits, lines = chunk.inputs, chunk.visits, chunk.lines
    classified = int(lines["mdtrt_id"].isin(visits.loc[visits["today"], "mdtrt_id"]).sum())
    engine = inputs.engine()
    settling = visits["settle"].to_numpy(dtype=bool)
    line_of_settled = lines["mdtrt_id"].isin(set(visits.loc[settling, "mdtrt_id"])).to_numpy()

    settlement_of: dict[str, int] = {}
    fee_lines = []
    if settling.any():
        result = adjudicate(**{**engine, "lines": lines[line_of_settled], "visits": engine["visits"][settling]})
        plan = plan_settlements(result, inputs.visit_keys, inputs.line_keys[line_of_settled],
                                inputs.version_ids)
        settlement_of = write_plan(cursor, plan, reason=reason, job_id=job.pk)
        # a visit held (no policy in force) keeps the classification of its lines if uploaded today
        held_today = set(visits.loc[visits["today"] & settling, "mdtrt_id"]) - set(settlement_of)
        fee_lines.append(plan_fee_lines(result.lines[result.lines["mdtrt_id"].isin(held_today)],
                                        inputs.line_keys))
    if (~settling).any():
        split = classify(**{**inputs.engine(with_state=False), "lines": lines[~line_of_settled],
                            "visits": engine["visits"][~settling]})
        fee_lines.append(plan_fee_lines(split, inputs.line_keys))
    if fee_lines:
        write_fee_lines(cursor, pd.concat(fee_lines, ignore_index=True))
    if settlement_of and settings.DAILY_JOB_AUDIT:
        fund = dict(zip(plan.settlements["mdtrt_id"], plan.settlements["fund_pay_sumamt"].astype(int),
                        strict=True))
        bulk_audit.audit_chunk(cursor, visits, lines, inputs.catalog, settlement_of, fund, inst_stats)
    return classified, len(settlement_of)


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


