"""Bounds at the edge (issue 15): the inputs that once gave a 201 and then stopped the night, or a 500, are each
a 400 in the one error shape naming the field (and the line), and nothing is written."""
import json

from django.test import override_settings

from claims.models import FeeLine, Settlement, Visit

from .base import APITestBase

LINE = {"feedetl_sn": "1", "med_list_codg": "250101001", "cnt": "1", "pric": "25.00", "det_item_fee_sumamt": "25.00"}


class VisitBoundsTests(APITestBase):
    def assert_no_visit(self):
        assert not Visit.objects.exists()

    def test_begntime_in_the_year_436_is_refused(self):
        self.assert_error(self.register(begntime="0436-03-02T09:00:00"), 400, "DATE_OUT_OF_RANGE", "begntime")
        self.assert_no_visit()

    def test_begntime_in_the_year_2797_is_refused(self):
        self.assert_error(self.register(begntime="2797-03-02T09:00:00"), 400, "DATE_OUT_OF_RANGE", "begntime")
        self.assert_no_visit()

    def test_begntime_in_a_year_without_a_policy_pack_is_refused(self):
        self.assert_error(self.register(begntime="2031-03-02T09:00:00"), 400, "NO_POLICY", "begntime")
        self.assert_no_visit()

    def test_a_med_type_the_pack_does_not_define_is_refused_not_settled_as_no_benefit(self):
        for med_type in ("99", "9901", "051"):
            self.assert_error(self.register(med_type=med_type), 400, "UNKNOWN_MED_TYPE", "med_type")
        self.assert_no_visit()

    def test_control_characters_in_psn_no_are_refused(self):
        self.assert_error(self.register(psn_no="P0001\x00"), 400, "CONTROL_CHARACTER", "psn_no")
        self.assert_no_visit()

    def test_discharge_outside_the_window_is_refused(self):
        mdtrt_id = self.registered()
        self.assert_error(self.discharge(mdtrt_id, endtime="9999-12-31T23:59:59"), 400, "DATE_OUT_OF_RANGE",
                          "endtime")
        assert Visit.objects.get(mdtrt_id=mdtrt_id).endtime is None

    @override_settings(CLAIMS_JSON_MAX_DEPTH=32)
    def test_json_nested_100000_deep_is_a_400_not_a_recursion_error(self):
        body = "[" * 100_000 + "]" * 100_000
        response = self.client.post("/api/v1/visits/", body, content_type="application/json")
        self.assert_error(response, 400, "TOO_DEEP")
        body = json.dumps({"psn_no": "P0001", "med_type": "21", "begntime": "2026-03-02T09:00:00",
                           "diagnoses": [{"diag_code": "I10", "diag_name": "x"}], "x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})
        self.assert_error(self.client.post("/api/v1/visits/", body, content_type="application/json"), 400, "TOO_DEEP")
        self.assert_no_visit()

    @override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
    def test_a_body_over_the_size_limit_is_a_413(self):
        body = json.dumps({"psn_no": "P0001", "med_type": "21", "begntime": "2026-03-02T09:00:00",
                           "diagnoses": ["I10"] * 300})
        self.assert_error(self.client.post("/api/v1/visits/", body, content_type="application/json"), 413,
                          "REQUEST_TOO_LARGE")
        self.assert_no_visit()


class FeeLineBoundsTests(APITestBase):
    def setUp(self):
        super().setUp()
        self.mdtrt_id = self.registered()

    def refused(self, code, field, **changes):
        response = self.upload(self.mdtrt_id, [LINE, {**LINE, "feedetl_sn": "2", **changes}])
        self.assert_error(response, 400, code, field, line=1)
        assert not FeeLine.objects.exists()

    def test_an_amount_of_16_digits_that_overflows_numeric_14_2_is_refused(self):
        self.refused("OUT_OF_RANGE", "det_item_fee_sumamt", cnt="1", pric="99999999999999.99",
                     det_item_fee_sumamt="99999999999999.99")

    def test_a_quantity_of_1e20_is_refused(self):
        self.refused("OUT_OF_RANGE", "cnt", cnt="1e20", pric="0", det_item_fee_sumamt="0")

    def test_a_quantity_of_0_is_refused(self):
        self.refused("NOT_POSITIVE", "cnt", cnt="0", pric="25.00", det_item_fee_sumamt="0.00")

    def test_a_nul_byte_in_feedetl_sn_is_refused(self):
        self.refused("CONTROL_CHARACTER", "feedetl_sn", feedetl_sn="2\x00")

    def test_a_fee_time_out_of_pandas_range_is_refused(self):
        self.refused("DATE_OUT_OF_RANGE", "fee_ocur_time", fee_ocur_time="2797-03-03T08:00:00")

    def test_codes_with_leading_zeros_stay_text(self):
        lines = [{**LINE, "feedetl_sn": "007", "med_list_codg": "001102000010000", "cnt": "1", "pric": "40.00",
                  "det_item_fee_sumamt": "40.00", "bilg_dept_codg": "0010"}]
        response = self.upload(self.mdtrt_id, lines)
        assert response.status_code == 200, response.content
        assert response.json()["lines"][0]["feedetl_sn"] == "007"
        line = FeeLine.objects.get()
        assert (line.feedetl_sn, line.med_list_codg, line.bilg_dept_codg) == ("007", "001102000010000", "0010")


class SettlementBoundsTests(APITestBase):
    def test_presettle_and_settle_at_a_time_out_of_range_are_refused(self):
        mdtrt_id = self.case01_visit()
        for call in (self.presettle, self.settle):
            for when in ("0436-03-10T10:00:00", "2797-03-10T10:00:00"):
                self.assert_error(call(mdtrt_id, client=self.staff_client, setl_time=when), 400,
                                  "DATE_OUT_OF_RANGE", "setl_time")
        assert not Settlement.objects.exists()

    def test_reconciliation_from_0001_to_9999_is_refused(self):
        response = self.client.post("/api/v1/reconciliation/", {
            "stmt_begndate": "0001-01-01", "stmt_enddate": "9999-12-31", "medfee_sumamt": "0", "fund_pay_sumamt": "0",
            "acct_pay": "0", "fixmedins_setl_cnt": 0}, format="json")
        error = self.assert_error(response, 400, "DATE_OUT_OF_RANGE")
        assert error["field"] in ("stmt_begndate", "stmt_enddate")

    def test_reconciliation_amounts_wider_than_their_column_are_refused(self):
        response = self.client.post("/api/v1/reconciliation/", {
            "stmt_begndate": "2026-03-01", "stmt_enddate": "2026-03-31", "medfee_sumamt": "99999999999999.99",
            "fund_pay_sumamt": "0", "acct_pay": "0", "fixmedins_setl_cnt": 0}, format="json")
        self.assert_error(response, 400, "MAX_DIGITS", "medfee_sumamt")

    def test_a_settled_visit_answers_null_setl_id_and_reversed_by_as_its_schema_says(self):
        setl = self.settled_case01()
        assert setl["reversed_by"] is None
        mdtrt_id = self.registered(psn_no="P0002")
        assert self.client.get(f"/api/v1/visits/{mdtrt_id}/").json()["setl_id"] is None
