"""The outlier rules' institution statistics on the request path: those of the 90 days before the day, read once a
day per institution and kept (InstitutionAuditStats), the same window as a daily job's plan."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.audit.pipeline import day_stats, stats_frame
from claims.batch import jobs as daily
from claims.models import DailyJob, InstitutionAuditStats
from claims.settlement.services import cancel_settlement, settle_visit
from insurance.models import Institution
from policy_rules.models import AuditRuleDefinition
from review.models import AuditHit
from tests.claims.conftest import admit, line, local

AMOXICILLIN = "XA01ABD075A002010100483"
HOSPITAL = "H41080000001"


def settled(begin, end, amount, code=HOSPITAL, audit=False):
    visit = admit("P0001", code, [line(1, AMOXICILLIN, 1, amount)], begin, end)
    return settle_visit(visit, setl_time=end, audit=audit)


def institutions(*codes) -> dict[int, str]:
    return dict(Institution.objects.filter(fixmedins_code__in=codes).values_list("pk", "fixmedins_code"))


def outlier_rule(**params):
    return AuditRuleDefinition.objects.create(
        code="OUTLIER-T", name="次均费用3倍", rule_type="outlier", severity="suspect",
        params={"factor": 3, "min_visits": 2, **params}, effective_from=dt.date(2026, 1, 1))


def test_the_statistics_of_the_90_days_before_the_day_as_a_job_plans_them(case01):
    day = dt.date(2026, 6, 20)  # the window: settlements from 2026-03-22 00:00 to 2026-06-19 24:00
    settled(local(2026, 3, 1, 9), local(2026, 3, 21, 23, 59), "700.00")   # 91 days before: out
    settled(local(2026, 3, 20, 9), local(2026, 3, 22, 0, 0), "300.00")    # the first moment: in
    settled(local(2026, 5, 2, 9), local(2026, 5, 6, 10), "500.00")
    cancel_settlement(settled(local(2026, 5, 9, 9), local(2026, 5, 10, 10), "900.00"), reason="重复结算")
    settled(local(2026, 6, 18, 9), local(2026, 6, 20, 10), "800.00")      # the day itself: out
    stats = day_stats(day, institutions(HOSPITAL, "H41080000002"))
    assert list(stats.itertuples(index=False, name=None)) == [(HOSPITAL, "21", 40000, 2)]
    kept = dict(InstitutionAuditStats.objects.filter(day=day).values_list("institution__fixmedins_code",
                                                                         "by_med_type"))
    assert kept == {HOSPITAL: {"21": [40000, 2]}, "H41080000002": {}}  # none is kept too: read once

    job = DailyJob.objects.create(run_date=day, chunks_total=1)
    daily.plan_job(job)
    assert stats_frame(job.audit_stats).equals(stats)  # the request path and the job agree


def test_read_once_a_day_per_institution(case01):
    settled(local(2026, 5, 2, 9), local(2026, 5, 6, 10), "500.00")
    ids = institutions(HOSPITAL)
    first = day_stats(dt.date(2026, 6, 20), ids)
    settled(local(2026, 6, 1, 9), local(2026, 6, 2, 10), "900.00")  # after the day's row was read
    with CaptureQueriesContext(connection) as queries:
        again = day_stats(dt.date(2026, 6, 20), ids)
    assert again.equals(first) and list(first["visits"]) == [1]
    assert len(queries) == 1 and "claims_settlement" not in queries[0]["sql"]
    assert list(day_stats(dt.date(2026, 6, 21), ids)["visits"]) == [2]  # the next day counts it
    assert InstitutionAuditStats.objects.count() == 2


def test_a_row_written_meanwhile_is_kept(case01):
    """Two settlements of one institution reading the day's statistics at once: the second insert is ignored."""
    settled(local(2026, 5, 2, 9), local(2026, 5, 6, 10), "500.00")
    [(pk, code)] = institutions(HOSPITAL).items()
    InstitutionAuditStats.objects.create(day=dt.date(2026, 6, 20), institution_id=pk, by_med_type={"21": [12345, 7]})
    stats = day_stats(dt.date(2026, 6, 20), {pk: code})
    assert list(stats.itertuples(index=False, name=None)) == [(code, "21", 12345, 7)]
    assert InstitutionAuditStats.objects.count() == 1


def test_a_settlement_is_audited_against_the_kept_statistics(case01):
    outlier_rule()
    for day in (2, 9):  # two earlier visits of 100.00 at the hospital: its mean is 100.00 a visit
        settled(local(2026, 5, day, 9), local(2026, 5, day + 1, 10), "100.00")
    visit = admit("P0001", HOSPITAL, [line(1, AMOXICILLIN, 1, "350.00")], local(2026, 6, 18, 9),
                  local(2026, 6, 20, 10))
    settle_visit(visit, setl_time=local(2026, 6, 20, 10))
    hit = AuditHit.objects.get(rule_code="OUTLIER-T")
    assert hit.visit == visit and hit.stage == "settlement"
    [kept] = InstitutionAuditStats.objects.filter(day=dt.date(2026, 6, 20))
    assert kept.by_med_type == {"21": [10000, 2]}


def test_a_settlement_the_same_day_does_not_move_the_day_statistics(case01):
    """The day's own settlements are not in its statistics, however many come before a visit."""
    outlier_rule()
    for day in (2, 9):
        settled(local(2026, 5, day, 9), local(2026, 5, day + 1, 10), "100.00")
    for hour in (8, 9, 10):  # expensive visits settled earlier the same day would raise the mean if counted
        settled(local(2026, 6, 18, 9), local(2026, 6, 20, hour), "5000.00", audit=True)
    assert AuditHit.objects.filter(rule_code="OUTLIER-T").count() == 3
    assert InstitutionAuditStats.objects.get(day=dt.date(2026, 6, 20)).by_med_type == {"21": [10000, 2]}


@pytest.mark.parametrize("with_row", [False, True])
def test_presettlement_warns_from_the_same_statistics(case01, with_row):
    from claims.settlement.services import presettle_visit

    outlier_rule(min_visits=1)
    settled(local(2026, 5, 2, 9), local(2026, 5, 3, 10), "100.00")
    if with_row:
        [(pk, _)] = institutions(HOSPITAL).items()
        InstitutionAuditStats.objects.create(day=dt.date(2026, 6, 20), institution_id=pk,
                                             by_med_type={"21": [1000000, 50]})  # a mean of 10,000.00
    visit = admit("P0001", HOSPITAL, [line(1, AMOXICILLIN, 1, "350.00")], local(2026, 6, 18, 9),
                  local(2026, 6, 20, 10))
    result = presettle_visit(visit, setl_time=local(2026, 6, 20, 10))
    assert ("OUTLIER-T" in {w["rule_code"] for w in result["warnings"]}) is not with_row
