"""The settle and cancel answers (claims.api.answers) are SettlementResultSerializer's, byte for byte, and the
token is read with the user's institution in one statement (claims.api.authentication)."""
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from claims.api import answers
from claims.api import serializers as s
from claims.api.answers import settlement_answer, settlement_queryset
from claims.api.plain import decimal_text, plain_decimal
from claims.models import Settlement
from core.statements import text_of

from .base import APITestBase, token_client


def serialized(pk: int) -> bytes:
    return JSONRenderer().render(s.SettlementResultSerializer(settlement_queryset().get(pk=pk)).data)


class SettlementAnswerTests(APITestBase):
    def test_the_plan_reads_every_field_of_the_answer(self):
        plan = answers.plan()
        assert plan is not None
        assert [name for name, _lookup, _fmt in plan.setlinfo] == list(s.SetlinfoSerializer().fields)

    def test_the_setlinfo_amounts_are_formatted_as_drf_formats_them(self):
        amounts = [f for f in s.SetlinfoSerializer()._readable_fields if plain_decimal(f)]
        assert len(amounts) >= 15
        for field in amounts:
            for value in (Decimal("1.005"), Decimal("-1.005"), Decimal("-0.00"), Decimal("12345.6"), Decimal("1E+3"),
                          Decimal("0.0049999"), 3, "7.125 ", 2.5):
                assert decimal_text(field)(value) == field.to_representation(value), (field.field_name, value)

    def test_settle_and_cancel_answer_as_the_serializer(self):
        mdtrt_id = self.case01_visit()
        settled = self.settle(mdtrt_id, client=self.staff_client, setl_time="2026-03-10T10:00:00")
        assert settled.status_code == 201, settled.content
        original = Settlement.objects.get(setl_id=settled.json()["setlinfo"]["setl_id"])
        assert settled.content == serialized(original.pk)
        assert len(settled.json()["setldetail"]) == 7
        cancelled = self.cancel_settlement(original.setl_id)
        assert cancelled.status_code == 201, cancelled.content
        reversal = Settlement.objects.get(setl_id=cancelled.json()["setlinfo"]["setl_id"])
        assert reversal.reverses_id == original.pk
        # the reversal answers with the lines of the settlement it reverses
        assert cancelled.content == serialized(reversal.pk)
        assert cancelled.json()["setldetail"] == settled.json()["setldetail"]
        # the cancelled settlement names its reversal
        again = JSONRenderer().render(settlement_answer(original.pk))
        assert again == serialized(original.pk)
        assert settlement_answer(original.pk)["setlinfo"]["reversed_by"] == reversal.setl_id

    def test_without_a_plan_the_serializer_answers(self):
        info = self.settled_case01()
        pk = Settlement.objects.get(setl_id=info["setl_id"]).pk
        planned = JSONRenderer().render(settlement_answer(pk))
        original = answers.plan
        answers.plan = lambda: None
        try:
            assert JSONRenderer().render(settlement_answer(pk)) == planned == serialized(pk)
        finally:
            answers.plan = original


class TokenReadTests(APITestBase):
    def test_one_statement_reads_the_token_the_user_and_the_institution(self):
        self.client.get("/api/v1/visits/")  # the process's first read of this shape compiles it
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get("/api/v1/visits/NO-SUCH-VISIT/")
        assert response.status_code == 404
        # the token with its user, link and institution; then the visit
        assert len(queries) == 2, [q["sql"] for q in queries]
        first = text_of(queries[0]["sql"])  # a prepared read: the statement it executes
        assert "insurance_institution" in first and "authtoken_token" in first

    def test_an_inactive_user_is_refused_as_drf_refuses_it(self):
        self.w.user_a.is_active = False
        self.w.user_a.save(update_fields=["is_active"])
        response = token_client(self.w.token_a).get("/api/v1/visits/")
        self.assert_error(response, 401, "AUTHENTICATION_FAILED")
        with translation.override("zh-hans"):  # the API's language when the request names none
            assert response.json()["errors"][0]["message"] == translation.gettext("User inactive or deleted.")
