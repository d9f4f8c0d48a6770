"""The institution's list of its quarantined visits (claims.api.quarantine): who reaches it (tests/api/isolation.py
gives the declaration its 401, 403 and owner tests), and that an institution sees its own visits only, with the
reason as code and words but not the error text behind it."""
import datetime as dt

from claims.models import QuarantineReason
from tests.api.base import APITestBase
from tests.api.isolation import InstitutionEndpointTests
from tests.factories import DailyJobFactory, VisitFactory
from tests.factories.claims import QuarantinedVisitFactory


class QuarantinedVisitList(InstitutionEndpointTests, APITestBase):
    url_name = "quarantined-visit-list"

    def test_an_institution_lists_its_own_quarantined_visits_only(self):
        job = DailyJobFactory(run_date=dt.date(2026, 3, 10))
        mine = VisitFactory(institution=self.w.inst_a, person=self.w.employee, mdtrt_id="000123")
        theirs = VisitFactory(institution=self.w.inst_b, person=self.w.resident)
        QuarantinedVisitFactory(visit=mine, job=job, reason=QuarantineReason.ENGINE_ERROR, field="",
                                detail="DataError: numeric field overflow")
        QuarantinedVisitFactory(visit=theirs, job=job)
        QuarantinedVisitFactory(visit=mine, job=DailyJobFactory(run_date=dt.date(2026, 3, 9)),
                                resolved_at=dt.datetime(2026, 3, 11, 2, 40, tzinfo=dt.UTC))
        response = self.client.get(self.url())
        assert response.status_code == 200
        rows = response.json()["results"]
        assert [(r["mdtrt_id"], r["psn_no"], r["run_date"], r["reason"]) for r in rows] == [
            ("000123", "P0001", "2026-03-09", "DATE_OUT_OF_RANGE"), ("000123", "P0001", "2026-03-10", "ENGINE_ERROR")]
        assert all("detail" not in r and r["reason_name"] for r in rows)
        still_open = self.client.get(self.url(), {"open": "true"}).json()["results"]
        assert [(r["run_date"], r["resolved_at"]) for r in still_open] == [("2026-03-10", None)]
