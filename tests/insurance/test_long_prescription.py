"""The long-prescription audit rule reads the 门慢特 qualification (docs/benefit-layers.md §C): a person who holds
one on the day of admission gets the chronic prescription days whatever the visit's med type; one who holds
none gets the acute days even on a med_type 14 visit. Without the readers' column the med type decides, as
before. The request path's audit reader supplies the column from the stored qualifications."""
from __future__ import annotations

import datetime as dt

from claims.audit.pipeline import audit_frames
from claims.models import Visit
from insurance.chronic_services import apply_for_qualification, decide_qualification
from policy_rules.engine.audit import AuditRule, run_audit
from tests.engine.audit_builders import catalog, frames, hits_of, line, visit
from tests.factories import VisitFactory
from tests.insurance.conftest import pdf

RX = {"daily_dose": {"AMOX": 3}, "med_types": ["11", "14"]}


def _hits(visits, holder=None):
    lines, vis = frames(visits)
    if holder is not None:
        vis["chronic_holder"] = holder
    return hits_of(run_audit(lines, vis, catalog(None), [AuditRule("T-1", "prescription_days", RX, "warn", "t")]))


def test_a_qualified_person_gets_the_chronic_days_on_any_outpatient_visit():
    ordinary = visit(med_type="11", lines=[line("AMOX", "21", "0.50")])  # 7 days at 3 a day
    assert len(_hits([ordinary])) == 1  # by med type: 3 days
    assert _hits([ordinary], holder=[True]) == []
    chronic_type = visit(med_type="14", lines=[line("AMOX", "21", "0.50")])
    assert _hits([chronic_type]) == []  # by med type: 7 days
    h = _hits([chronic_type], holder=[False])
    assert len(h) == 1 and "普通门诊处方 3 天" in h[0]["evidence"]


def test_the_request_paths_reader_gives_the_column(chronic):
    q = apply_for_qualification(person=chronic.person, disease=chronic.diabetes, user=chronic.clerk_a,
                                uploads=[pdf()])
    decide_qualification(q, user=chronic.clerk_b, approved=True, valid_from=chronic.day,
                         valid_to=dt.date(2026, 6, 30))
    tz = dt.timezone(dt.timedelta(hours=8))
    visits = [VisitFactory(person=chronic.person, institution=chronic.h3, med_type="11",
                           begntime=dt.datetime(2026, m, 2, 9, tzinfo=tz), endtime=dt.datetime(2026, m, 2, 10, tzinfo=tz))
              for m in (1, 3, 7)]
    visits.append(VisitFactory(person=chronic.other, institution=chronic.h3, med_type="14",
                               begntime=dt.datetime(2026, 3, 2, 9, tzinfo=tz),
                               endtime=dt.datetime(2026, 3, 2, 10, tzinfo=tz)))
    visits = list(Visit.objects.select_related("person", "institution").filter(pk__in=[v.pk for v in visits])
                  .order_by("pk"))
    frame = audit_frames(visits)["visits"]
    assert frame["chronic_holder"].tolist() == [False, True, False, False]
