"""Fee-line upload [2301/2204], listing and cancellation [2302]."""
from decimal import Decimal

import pytest

from claims.models import FeeLine, FeeLineStatus, Upload

from .base import CASE01_LINES, APITestBase

D = Decimal


def line(sn="1", code="250101001", cnt="1", pric="25.00", amount="25.00", **extra):
    return {"feedetl_sn": sn, "med_list_codg": code, "cnt": cnt, "pric": pric, "det_item_fee_sumamt": amount,
            **extra}


class UploadTests(APITestBase):
    def setUp(self):
        super().setUp()
        self.mdtrt_id = self.registered()

    def nothing_written(self):
        assert not FeeLine.objects.exists() and not Upload.objects.exists()

    def test_upload_answers_the_split_of_every_line(self):
        response = self.upload(self.mdtrt_id, CASE01_LINES)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["mdtrt_id"] == self.mdtrt_id and body["created"] == 7 and body["unchanged"] == 0
        lines = {x["feedetl_sn"]: x for x in body["lines"]}
        assert [x["feedetl_sn"] for x in body["lines"]] == [x["feedetl_sn"] for x in CASE01_LINES]
        assert lines["1"] == {"feedetl_sn": "1", "det_item_fee_sumamt": "30.00", "fulamt_ownpay_amt": "0.00",
                              "overlmt_amt": "0.00", "preselfpay_amt": "0.00", "inscp_scp_amt": "30.00",
                              "chrgitm_lv": "01", "selfpay_prop": None, "reason": ""}
        # class 乙 above its price limit, with its own self-pay-first share
        assert lines["3"] == {"feedetl_sn": "3", "det_item_fee_sumamt": "3000.00", "fulamt_ownpay_amt": "0.00",
                              "overlmt_amt": "204.00", "preselfpay_amt": "559.20", "inscp_scp_amt": "2236.80",
                              "chrgitm_lv": "02", "selfpay_prop": "0.2000", "reason": ""}
        assert lines["4"]["overlmt_amt"] == "80.00" and lines["4"]["inscp_scp_amt"] == "320.00"
        assert lines["5"]["fulamt_ownpay_amt"] == "10.00" and lines["5"]["reason"] == "CLASS_C"
        # a code not in the catalog is not an error: the line is fully self-paid
        assert lines["6"]["fulamt_ownpay_amt"] == "300.00" and lines["6"]["reason"] == "NOT_IN_CATALOG"
        stored = FeeLine.objects.get(visit__mdtrt_id=self.mdtrt_id, feedetl_sn="3")
        assert (stored.overlmt_selfpay, stored.preselfpay_amt, stored.inscp_scp_amt) == (
            D("204.00"), D("559.20"), D("2236.80"))
        assert stored.upload.created_by == self.w.user_a and stored.upload.source == "api"

    def test_optional_fields_are_stored(self):
        extra = {"medins_list_codg": "YP-0001", "fee_ocur_time": "2026-03-03T08:30:00", "bilg_dept_codg": "A03",
                 "bilg_dr_codg": "D0012"}
        assert self.upload(self.mdtrt_id, [line(**extra)]).status_code == 200
        stored = FeeLine.objects.get()
        assert (stored.medins_list_codg, stored.bilg_dept_codg, stored.bilg_dr_codg) == ("YP-0001", "A03", "D0012")
        assert stored.fee_ocur_time.isoformat() == "2026-03-03T00:30:00+00:00"

    def test_json_numbers_are_read_as_exact_decimals(self):
        body = '{"lines": [{"feedetl_sn": 1, "med_list_codg": "250101001", "cnt": 3, "pric": 0.1, ' \
               '"det_item_fee_sumamt": 0.30}]}'
        response = self.client.post(f"/api/v1/visits/{self.mdtrt_id}/fee-lines/", body,
                                    content_type="application/json")
        assert response.status_code == 200, response.content
        stored = FeeLine.objects.get()
        assert (stored.feedetl_sn, stored.pric, stored.det_item_fee_sumamt) == ("1", D("0.1"), D("0.30"))

    def test_resending_the_same_lines_is_idempotent(self):
        assert self.upload(self.mdtrt_id, CASE01_LINES[:3]).json()["created"] == 3
        body = self.upload(self.mdtrt_id, CASE01_LINES).json()
        assert (body["created"], body["unchanged"]) == (4, 3)
        body = self.upload(self.mdtrt_id, CASE01_LINES).json()
        assert (body["created"], body["unchanged"]) == (0, 7)
        assert FeeLine.objects.count() == 7
        assert body["lines"][2]["inscp_scp_amt"] == "2236.80"

    def test_same_sn_with_other_content_is_a_conflict(self):
        self.upload(self.mdtrt_id, [line()])
        self.assert_error(self.upload(self.mdtrt_id, [line(sn="2"), line(cnt="2", amount="50.00")]), 400,
                          "SN_CONFLICT", field="feedetl_sn", line=1)
        assert FeeLine.objects.count() == 1

    def test_amount_within_a_fen_of_cnt_times_pric_is_accepted(self):
        response = self.upload(self.mdtrt_id, [line(cnt="3", pric="3.3333", amount="10.01")])
        assert response.status_code == 200, response.content

    def test_one_bad_line_rejects_the_whole_upload_and_names_every_error(self):
        lines = [line("1"), line("2", amount="25.02"), line("3"), line("4", cnt="abc")]
        response = self.upload(self.mdtrt_id, lines)
        self.assert_error(response, 400, "AMOUNT_MISMATCH", field="det_item_fee_sumamt", line=1)
        self.assert_error(response, 400, "NOT_DECIMAL", field="cnt", line=3)
        assert {e["line"] for e in response.json()["errors"]} == {1, 3}
        self.nothing_written()

    def test_bad_lines(self):
        cases = [
            ({"feedetl_sn": "1", "cnt": "1", "pric": "1", "det_item_fee_sumamt": "1.00"}, "med_list_codg", "REQUIRED"),
            (line(code=""), "med_list_codg", "REQUIRED"),
            (line(code="   "), "med_list_codg", "BLANK"),
            (line(code="X" * 51), "med_list_codg", "TOO_LONG"),
            (line(sn="9" * 31), "feedetl_sn", "TOO_LONG"),
            (line(bilg_dept_codg="D" * 31), "bilg_dept_codg", "TOO_LONG"),
            (line(cnt="1,5"), "cnt", "NOT_DECIMAL"),
            (line(pric="NaN"), "pric", "NOT_DECIMAL"),
            (line(pric=True), "pric", "NOT_DECIMAL"),
            (line(amount="25.001"), "det_item_fee_sumamt", "TOO_MANY_DECIMALS"),
            (line(cnt="0.00001"), "cnt", "TOO_MANY_DECIMALS"),
            (line(pric="-25.00", amount="-25.00"), "pric", "NEGATIVE"),
            (line(amount="25.02"), "det_item_fee_sumamt", "AMOUNT_MISMATCH"),
            (line(fee_ocur_time="2026-03-01T23:59:59"), "fee_ocur_time", "OUTSIDE_VISIT"),
            (line(fee_ocur_time="next tuesday"), "fee_ocur_time", "NOT_DATETIME"),
            ("not an object", "", "NOT_OBJECT"),
        ]
        for bad, field, code in cases:
            with self.subTest(code=code, field=field):
                response = self.upload(self.mdtrt_id, [line("0"), bad] if isinstance(bad, str) or
                                       bad.get("feedetl_sn") != "0" else [bad])
                self.assert_error(response, 400, code, field=field, line=1)
        self.nothing_written()

    def test_duplicate_sn_in_one_request(self):
        self.assert_error(self.upload(self.mdtrt_id, [line("1"), line("1")]), 400, "DUPLICATE_IN_REQUEST", line=1)
        self.nothing_written()

    def test_fee_time_after_discharge_is_outside_the_visit(self):
        self.discharge(self.mdtrt_id, endtime="2026-03-10T10:00:00")
        self.assert_error(self.upload(self.mdtrt_id, [line(fee_ocur_time="2026-03-10T10:00:01")]), 400,
                          "OUTSIDE_VISIT", line=0)
        assert self.upload(self.mdtrt_id, [line(fee_ocur_time="2026-03-10T10:00:00")]).status_code == 200

    def test_malformed_bodies(self):
        url = f"/api/v1/visits/{self.mdtrt_id}/fee-lines/"
        self.assert_error(self.client.post(url, {}, format="json"), 400, "REQUIRED", field="lines")
        self.assert_error(self.client.post(url, {"lines": "x"}, format="json"), 400, "NOT_A_LIST", field="lines")
        self.assert_error(self.client.post(url, {"lines": []}, format="json"), 400, "EMPTY", field="lines")
        self.assert_error(self.client.post(url, [line()], format="json"), 400, "INVALID")
        self.nothing_written()

    def test_over_ten_thousand_lines_are_refused(self):
        lines = [line(str(i)) for i in range(10_001)]
        self.assert_error(self.upload(self.mdtrt_id, lines), 400, "TOO_MANY", field="lines")
        self.nothing_written()

    @pytest.mark.slow
    def test_ten_thousand_lines_in_one_upload(self):
        lines = [line(str(i), cnt="2", pric="0.5", amount="1.00") for i in range(10_000)]
        response = self.upload(self.mdtrt_id, lines)
        assert response.status_code == 200
        assert response.json()["created"] == 10_000 and len(response.json()["lines"]) == 10_000
        assert FeeLine.objects.filter(inscp_scp_amt=D("1.00")).count() == 10_000

    def test_upload_to_a_settled_visit_is_refused(self):
        info = self.settled_case01()
        self.assert_error(self.upload(info["mdtrt_id"], [line("99")]), 400, "VISIT_SETTLED", field="mdtrt_id")
        assert not FeeLine.objects.filter(feedetl_sn="99").exists()

    def test_upload_to_an_unknown_visit(self):
        self.assert_error(self.upload("M-UNKNOWN", [line()]), 404, "NOT_FOUND")
        self.nothing_written()


class ListAndCancelTests(APITestBase):
    def setUp(self):
        super().setUp()
        self.mdtrt_id = self.case01_visit(discharge=False)
        self.url = f"/api/v1/visits/{self.mdtrt_id}/fee-lines/"

    def cancel(self, body):
        return self.client.post(f"{self.url}cancel/", body, format="json")

    def test_list_the_visits_lines_with_their_split(self):
        response = self.client.get(self.url)
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 7
        first = body["results"][0]
        assert first["feedetl_sn"] == "1" and first["cnt"] == "20.0000" and first["pric"] == "1.5000"
        assert first["status"] == "active" and first["inscp_scp_amt"] == "30.00" and first["chrgitm_lv"] == "01"
        page = self.client.get(self.url, {"page_size": 5, "page": 2}).json()
        assert [x["feedetl_sn"] for x in page["results"]] == ["6", "7"]

    def test_cancel_some_lines(self):
        response = self.cancel({"feedetl_sns": ["3", "6"]})
        assert response.status_code == 200, response.content
        assert response.json() == {"mdtrt_id": self.mdtrt_id, "cancelled": 2}
        assert set(FeeLine.objects.filter(status=FeeLineStatus.CANCELLED).values_list("feedetl_sn", flat=True)) == {
            "3", "6"}
        cancelled = self.client.get(self.url, {"status": "cancelled"}).json()
        assert [x["feedetl_sn"] for x in cancelled["results"]] == ["3", "6"]
        assert cancelled["results"][0]["cancelled_at"] is not None

    def test_cancel_all_unsettled_lines(self):
        self.cancel({"feedetl_sns": ["1"]})
        assert self.cancel({"all": True}).json()["cancelled"] == 6
        assert not FeeLine.objects.filter(status=FeeLineStatus.ACTIVE).exists()
        # a cancelled serial number cannot come back: a new one must be used
        self.assert_error(self.upload(self.mdtrt_id, CASE01_LINES[:1]), 400, "SN_CANCELLED", line=0)

    def test_cancelled_lines_are_left_out_of_settlement(self):
        self.cancel({"feedetl_sns": ["6"]})
        response = self.presettle(self.mdtrt_id, client=self.staff_client, setl_time="2026-03-10T10:00:00")
        assert response.json()["setlinfo"]["medfee_sumamt"] == "4500.00"
        assert [x["feedetl_sn"] for x in response.json()["setldetail"]] == ["1", "2", "3", "4", "5", "7"]

    def test_cancel_bad_inputs_change_nothing(self):
        self.assert_error(self.cancel({"feedetl_sns": ["1", "nope"]}), 400, "UNKNOWN_LINE", field="feedetl_sn",
                          line=1)
        self.assert_error(self.cancel({}), 400, "ONE_OF", field="")
        self.assert_error(self.cancel({"all": False}), 400, "ONE_OF")
        self.assert_error(self.cancel({"all": True, "feedetl_sns": ["1"]}), 400, "ONE_OF")
        self.assert_error(self.cancel({"feedetl_sns": []}), 400, "EMPTY", field="feedetl_sns")
        self.assert_error(self.cancel({"feedetl_sns": "1"}), 400, "NOT_A_LIST", field="feedetl_sns")
        assert not FeeLine.objects.filter(status=FeeLineStatus.CANCELLED).exists()

    def test_lines_of_a_settled_visit_cannot_be_cancelled(self):
        self.discharge(self.mdtrt_id)
        assert self.settle(self.mdtrt_id, client=self.staff_client,
                           setl_time="2026-03-10T10:00:00").status_code == 201
        self.assert_error(self.cancel({"all": True}), 400, "VISIT_SETTLED")
        assert not FeeLine.objects.filter(status=FeeLineStatus.CANCELLED).exists()

    def test_unknown_visit(self):
        self.assert_error(self.client.get("/api/v1/visits/M-UNKNOWN/fee-lines/"), 404, "NOT_FOUND")
        response = self.client.post("/api/v1/visits/M-UNKNOWN/fee-lines/cancel/", {"all": True}, format="json")
        self.assert_error(response, 404, "NOT_FOUND")
