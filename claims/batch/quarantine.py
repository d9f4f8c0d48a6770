"""The night's quarantine: a visit the engine cannot take is set aside with its reason, and its chunk goes on.

Two nets. Before the engine, `set_aside` checks the chunk's visits (chunk_visit) in SQL for values the readers and
the engine cannot hold: a date outside pandas' datetime64[ns] range (the visit's times, its lines' times, its
person's birth date and enrollments), a visit whose fee total does not fit the settlement's amount columns. After
that, whatever the engine, the plan or the writer still raises on is isolated by claims.batch.chunk, which retries
the chunk in halves by person inside savepoints. Either way the visit gets a QuarantinedVisit row (the caseworker's
admin list, the institution's API list) and stays discharged and unsettled, so that every later night tries it
again. Bounds on what may come in at all belong to the edge (the API, bulk files, the admin); these are only the
limits of the machinery, so that one row forced past the edge cannot stop a night.
"""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from claims.models import QuarantinedVisit, QuarantineReason
from core.idlists import among

# pandas' datetime64[ns] range (1677-09-21 .. 2262-04-11), a day inside it either side: the readers shift times to
# local time
DATE_LOW = dt.datetime(1677, 9, 23, tzinfo=dt.UTC)
DATE_HIGH = dt.datetime(2262, 4, 10, tzinfo=dt.UTC)
# a visit's fee total (and so every amount of its settlement) must fit numeric(14, 2)
MAX_VISIT_TOTAL = "999999999999.99"

_OUTSIDE = "NOT ({col} BETWEEN %(low)s AND %(high)s)"

CHECK_SQL = f"""
WITH lines AS (
    SELECT c.id, bool_or({_OUTSIDE.format(col='fl.fee_ocur_time')}) AS bad_time, sum(fl.det_item_fee_sumamt) AS total
    FROM chunk_visit c JOIN claims_feeline fl ON fl.visit_id = c.id AND fl.status = 'active'
    GROUP BY c.id
), bad AS (
    SELECT c.id AS visit_id, 1 AS kind, 'begntime' AS field FROM chunk_visit c JOIN claims_visit v ON v.id = c.id
    WHERE {_OUTSIDE.format(col='v.begntime')}
    UNION ALL
    SELECT c.id, 1, 'endtime' FROM chunk_visit c WHERE {_OUTSIDE.format(col='c.endtime')}
    UNION ALL
    SELECT id, 1, 'fee_ocur_time' FROM lines WHERE bad_time
    UNION ALL
    SELECT c.id, 1, 'birth_date' FROM chunk_visit c JOIN insurance_person p ON p.id = c.person_id
    WHERE {_OUTSIDE.format(col='p.birth_date')}
    UNION ALL
    SELECT c.id, 1, 'enrollment' FROM chunk_visit c WHERE EXISTS (
        SELECT 1 FROM insurance_enrollment e WHERE e.person_id = c.person_id
          AND ({_OUTSIDE.format(col='e.enrolled_from')} OR {_OUTSIDE.format(col='e.enrolled_to')}))
    UNION ALL
    SELECT id, 2, 'det_item_fee_sumamt' FROM lines WHERE total > %(max_total)s::numeric
)
SELECT DISTINCT ON (bad.visit_id) bad.visit_id, bad.kind, bad.field, c.settle
FROM bad JOIN chunk_visit c ON c.id = bad.visit_id
ORDER BY bad.visit_id, bad.kind, bad.field
"""

KINDS = {1: QuarantineReason.DATE_OUT_OF_RANGE, 2: QuarantineReason.AMOUNT_OUT_OF_RANGE}


def set_aside(cursor, job_id: int | None, chunk_no: int) -> list[tuple[int, bool]]:
    """Quarantine the chunk's visits whose values the engine cannot hold and drop them from chunk_visit;
    returns (visit id, whether it was to be settled) of each."""
    cursor.execute(CHECK_SQL, {"low": DATE_LOW, "high": DATE_HIGH, "max_total": MAX_VISIT_TOTAL})
    rows = cursor.fetchall()
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
