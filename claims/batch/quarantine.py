"""The night's quarantine: a visit the engine cannot take is set aside with its reason, and its chunk goes on.

Two nets. Before the engine, `set_aside` checks the chunk's visits (chunk_visit) in SQL, and `set_aside_lines` their
lines as the reader read them, for values the readers and the engine cannot hold: a date outside pandas'
datetime64[ns] range (the visit's times, its lines' times, its person's birth date and enrollments), a visit whose fee
total does not fit the settlement's amount columns. After
that, whatever the engine, the plan or the writer still raises on is isolated by claims.batch.chunk, which retries
the chunk in halves by person inside savepoints. Either way the visit gets a QuarantinedVisit row (the caseworker's
admin list, the institution's API list) and stays discharged and unsettled, so that every later night tries it
again. Bounds on what may come in at all belong to the edge (the API, bulk files, the admin); these are only the
limits of the machinery, so that one row forced past the edge cannot stop a night.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from django.utils import timezone

from claims.models import QuarantinedVisit, QuarantineReason
from core.idlists import among

# pandas' datetime64[ns] range (1677-09-21 .. 2262-04-11), a day inside it either side: the readers shift times to
# local time
DATE_LOW = dt.datetime(1677, 9, 23, tzinfo=dt.UTC)
DATE_HIGH = dt.datetime(2262, 4, 10, tzinfo=dt.UTC)
# a visit's fee total (and so every amount of its settlement) must fit numeric(14, 2)
MAX_VISIT_TOTAL = "999999999999.99"
MAX_VISIT_FEN = int(Decimal(MAX_VISIT_TOTAL) * 100)
_EXACT_LINES = (2**63 - 1) // 10**14  # lines of at most 10^14 fen an int64 sum holds

_OUTSIDE = "NOT ({col} BETWEEN %(low)s AND %(high)s)"

# the visit's own values; its lines' (their times, their total) are checked as the reader reads them, in one pass
# (set_aside_lines). A visit at fault on several counts gets the first of (kind, field), as one query gave it: every
# field here comes before the lines' (fee_ocur_time, kind 1; det_item_fee_sumamt, kind 2).
CHECK_SQL = f"""
WITH bad AS (
    SELECT c.id AS visit_id, 1 AS kind, 'begntime' AS field FROM chunk_visit c JOIN claims_visit v ON v.id = c.id
    WHERE {_OUTSIDE.format(col='v.begntime')}
    UNION ALL
    SELECT c.id, 1, 'endtime' FROM chunk_visit c WHERE {_OUTSIDE.format(col='c.endtime')}
    UNION ALL
    SELECT c.id, 1, 'birth_date' FROM chunk_visit c JOIN insurance_person p ON p.id = c.person_id
    WHERE {_OUTSIDE.format(col='p.birth_date')}
    UNION ALL
    SELECT c.id, 1, 'enrollment' FROM chunk_visit c WHERE EXISTS (
        SELECT 1 FROM insurance_enrollment e WHERE e.person_id = c.person_id
          AND ({_OUTSIDE.format(col='e.enrolled_from')} OR {_OUTSIDE.format(col='e.enrolled_to')}))
)
SELECT DISTINCT ON (bad.visit_id) bad.visit_id, bad.kind, bad.field, c.settle
FROM bad JOIN chunk_visit c ON c.id = bad.visit_id
ORDER BY bad.visit_id, bad.kind, bad.field
"""

KINDS = {1: QuarantineReason.DATE_OUT_OF_RANGE, 2: QuarantineReason.AMOUNT_OUT_OF_RANGE}


def set_aside(cursor, job_id: int | None, chunk_no: int) -> list[tuple[int, bool]]:
    """Quarantine the chunk's visits whose own values the engine cannot hold and drop them from chunk_visit;
    returns (visit id, whether it was to be settled) of each. Their lines: set_aside_lines, next."""
    cursor.execute(CHECK_SQL, {"low": DATE_LOW, "high": DATE_HIGH})
    return _aside(cursor, job_id, chunk_no, cursor.fetchall())


def set_aside_lines(cursor, job_id: int | None, chunk_no: int,
                    lines: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, bool]]]:
    """Quarantine the visits left in chunk_visit with a line whose time is out of range (`bad_time`) or whose fee
    total does not fit MAX_VISIT_TOTAL, from the chunk's lines as claims.batch.reader.read_lines read them, and
    drop them from chunk_visit: (the lines of the other visits, [(visit id, whether it was to be settled)])."""
    if lines.empty:
        return lines, []
    by_visit = lines.groupby("visit_id", sort=True)
    late = by_visit["bad_time"].max() > 0
    too_big = (_totals(lines, by_visit) > MAX_VISIT_FEN).astype(bool)
    bad = late | too_big
    if not bad.any():
        return lines, []
    cursor.execute("SELECT id, settle FROM chunk_visit WHERE id = ANY(%s)", [bad.index[bad].tolist()])
    settle = dict(cursor.fetchall())
    rows = [(visit_id, 1, "fee_ocur_time") if late[visit_id] else (visit_id, 2, "det_item_fee_sumamt")
            for visit_id in bad.index[bad].tolist()]
    aside = _aside(cursor, job_id, chunk_no, [(visit_id, kind, field, settle[visit_id]) for visit_id, kind, field in rows])
    return lines[~lines["visit_id"].isin(bad.index[bad]).to_numpy()].reset_index(drop=True), aside


def _totals(lines: pd.DataFrame, by_visit) -> pd.Series:
    """Each visit's fee total in fen, exact: an int64 sum holds any visit of fewer than 92,233 lines of at most
    10^14 fen (numeric(14, 2)); a visit with more is summed in Python integers."""
    totals = by_visit["amount_fen"].sum().astype(object)
    counts = by_visit.size()
    for visit_id in counts.index[counts >= _EXACT_LINES].tolist():
        totals[visit_id] = sum(int(a) for a in lines.loc[lines["visit_id"] == visit_id, "amount_fen"].tolist())
    return totals


def _aside(cursor, job_id: int | None, chunk_no: int, rows: list) -> list[tuple[int, bool]]:
    """Record (visit id, kind, field, settle) rows as quarantined and drop their visits from chunk_visit."""
    if not rows:
        return []
    record(job_id, chunk_no, [(visit_id, KINDS[kind], field, "") for visit_id, kind, field, _settle in rows])
    cursor.execute("DELETE FROM chunk_visit WHERE id = ANY(%s)", [[r[0] for r in rows]])
    return [(visit_id, settle) for visit_id, _kind, _field, settle in rows]


def record(job_id: int | None, chunk_no: int, rows: list[tuple[int, str, str, str]]) -> None:
    """A quarantine row for each (visit id, reason, field, detail), in the chunk's transaction."""
    now = timezone.now()
    QuarantinedVisit.objects.bulk_create(
        [QuarantinedVisit(visit_id=visit_id, job_id=job_id, chunk_no=chunk_no, reason=reason, field=field,
                          detail=detail[:2000], created_at=now) for visit_id, reason, field, detail in rows],
        ignore_conflicts=True)


def resolve(visit_ids: list[int]) -> None:
    """The open quarantine rows of these visits, which the night has now taken without error, resolved."""
    if visit_ids:
        QuarantinedVisit.objects.filter(visit_id__in=among(visit_ids), resolved_at__isnull=True).update(
            resolved_at=timezone.now())
