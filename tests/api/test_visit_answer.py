"""The visit's answer (claims.api.answers.visit_answer: register, discharge, GET /visits/{mdtrt_id}/) is
VisitSerializer's, byte for byte, from reads compiled once."""
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from claims.api import answers
from claims.api import serializers as s
from claims.models import Settlement, Visit

from .base import APITestBase


def serialized(mdtrt_id: str) -> bytes:
    visit = (Visit.objects.select_related("person", "institution").prefetch_related("settlements")
             .get(mdtrt_id=mdtrt_id))
    return JSONRenderer().render(s.VisitSerializer(visit).data)


class VisitAnswerTests(APITestBase):
    def test_the_plan_reads_every_field_of_the_answer(self):
        plan = answers.visit_plan()
        assert plan is not None
        assert [name for name, _lookup, _fmt in plan.fields] == list(s.VisitSerializer().fields)

    def test_register_discharge_and_get_answer_as_the_serializer(self):
        registered = self.register(diagnoses=["I21.900", {"diag_code": "E11.900", "diag_name": "2型糖尿病"}])
        assert registered.status_code == 201, registered.content
        mdtrt_id = registered.json()["mdtrt_id"]
        assert registered.content == serialized(mdtrt_id)
        assert registered.json()["endtime"] is None and registered.json()["setl_id"] is None
        discharged = self.discharge(mdtrt_id)
        assert discharged.status_code == 200, discharged.content
        assert discharged.content == serialized(mdtrt_id)
        got = self.client.get(f"/api/v1/visits/{mdtrt_id}/")
        assert got.status_code == 200 and got.content == serialized(mdtrt_id)

    def test_settled_then_cancelled(self):
        info = self.settled_case01()
        mdtrt_id = Settlement.objects.get(setl_id=info["setl_id"]).visit.mdtrt_id
        got = self.client.get(f"/api/v1/visits/{mdtrt_id}/")
        assert got.json()["setl_id"] == info["setl_id"] and got.content == serialized(mdtrt_id)
        assert self.cancel_settlement(info["setl_id"]).status_code == 201
        got = self.client.get(f"/api/v1/visits/{mdtrt_id}/")
        assert got.json()["setl_id"] is None and got.content == serialized(mdtrt_id)

    def test_three_statements_and_another_institutions_visit_is_not_found(self):
        mdtrt_id = self.case01_visit()
        self.client.get(f"/api/v1/visits/{mdtrt_id}/")  # the process's first read of these shapes compiles them
        with CaptureQueriesContext(connection) as queries:
            assert self.client.get(f"/api/v1/visits/{mdtrt_id}/").status_code == 200
        assert len(queries) == 3, [q["sql"] for q in queries]  # the token, the visit, its settlements
        self.assert_error(self.other_client.get(f"/api/v1/visits/{mdtrt_id}/"), 404, "NOT_FOUND")

    def test_a_filter_on_the_detail_request_still_applies(self):
        mdtrt_id = self.case01_visit()
        assert self.client.get(f"/api/v1/visits/{mdtrt_id}/?status=discharged").content == serialized(mdtrt_id)
        self.assert_error(self.client.get(f"/api/v1/visits/{mdtrt_id}/?status=settled"), 404, "NOT_FOUND")

    def test_without_a_plan_the_serializer_answers(self):
        mdtrt_id = self.case01_visit()
        original = answers.visit_plan
        answers.visit_plan = lambda: None
        try:
            assert self.client.get(f"/api/v1/visits/{mdtrt_id}/").content == serialized(mdtrt_id)
            assert self.other_client.get(f"/api/v1/visits/{mdtrt_id}/").status_code == 404
            assert JSONRenderer().render(answers.visit_answer(Visit.objects.get(mdtrt_id=mdtrt_id).pk)) \
                == serialized(mdtrt_id)
        finally:
            answers.visit_plan = original
