"""Visit registration [2401/2201], listing, detail and discharge [2402]."""
import datetime as dt

from claims.models import Visit, VisitStatus

from .base import CASE01_BEGNTIME, APITestBase, local


class RegisterTests(APITestBase):
    def test_register_assigns_mdtrt_id_for_the_users_own_institution(self):
        response = self.register(diagnoses=[{"diag_code": "I21.900", "diag_name": "急性心肌梗死"}, " I10 "])
        assert response.status_code == 201, response.content
        body = response.json()
        visit = Visit.objects.get(mdtrt_id=body["mdtrt_id"])
        assert body["mdtrt_id"].startswith("M20260302")
        assert visit.institution == self.w.inst_a and visit.person == self.w.employee
        assert visit.enrollment == self.w.employee.enrollments.get()
        assert body["fixmedins_code"] == "H41080000001" and body["status"] == "registered"
        assert body["psn_no"] == "P0001" and body["med_type"] == "21" and body["endtime"] is None
        assert body["setl_id"] is None
        assert dt.datetime.fromisoformat(body["begntime"]) == local(CASE01_BEGNTIME)
        assert body["diagnoses"] == visit.diagnoses == [{"diag_code": "I21.900", "diag_name": "急性心肌梗死"},
                                                        {"diag_code": "I10", "diag_name": ""}]

    def test_two_registrations_get_two_ids(self):
        assert self.registered() != self.registered()

    def test_diagnoses_are_optional(self):
        response = self.register()
        assert response.status_code == 201 and response.json()["diagnoses"] == []

    def test_mdtrt_id_cannot_be_chosen_by_the_institution(self):
        self.assert_error(self.register(mdtrt_id="M0001"), 400, "NOT_ALLOWED", field="mdtrt_id")
        assert not Visit.objects.exists()

    def test_unknown_person(self):
        self.assert_error(self.register(psn_no="P9999"), 400, "UNKNOWN_PERSON", field="psn_no", line=None)
        assert not Visit.objects.exists()

    def test_missing_and_malformed_fields(self):
        response = self.client.post("/api/v1/visits/", {}, format="json")
        for field in ("psn_no", "med_type", "begntime"):
            self.assert_error(response, 400, "REQUIRED", field=field)
        self.assert_error(self.register(med_type="inpatient"), 400, "MED_TYPE", field="med_type")
        self.assert_error(self.register(begntime="2026-13-01T00:00:00"), 400, "INVALID", field="begntime")
        self.assert_error(self.register(psn_no=""), 400, "BLANK", field="psn_no")
        self.assert_error(self.register(psn_no="P" * 31), 400, "MAX_LENGTH", field="psn_no")
        self.assert_error(self.register(diagnoses=[12]), 400, "INVALID", field="diagnoses.0")
        self.assert_error(self.register(diagnoses=[{"diag_name": "无代码"}]), 400, "BLANK", field="diagnoses.0")
        self.assert_error(self.register(diagnoses=["I" * 31]), 400, "TOO_LONG", field="diagnoses.0")
        self.assert_error(self.register(diagnoses="I10"), 400, "NOT_A_LIST", field="diagnoses")
        assert not Visit.objects.exists()

    def test_malformed_json_is_an_error_of_the_same_shape(self):
        response = self.client.post("/api/v1/visits/", "{not json", content_type="application/json")
        self.assert_error(response, 400, "PARSE_ERROR")
        response = self.client.post("/api/v1/visits/", "psn_no=P0001", content_type="application/x-www-form-urlencoded")
        self.assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


class VisitListTests(APITestBase):
    def setUp(self):
        super().setUp()
        self.march = self.registered(begntime="2026-03-02T09:00:00")
        self.april = self.registered(psn_no="P0002", begntime="2026-04-10T09:00:00")
        self.discharge(self.april, endtime="2026-04-12T09:00:00")
        self.theirs = self.registered(client=self.other_client)

    def ids(self, **params):
        response = self.client.get("/api/v1/visits/", params)
        assert response.status_code == 200
        return [v["mdtrt_id"] for v in response.json()["results"]]

    def test_list_shows_own_visits_latest_first(self):
        response = self.client.get("/api/v1/visits/")
        assert response.json()["count"] == 2
        assert self.ids() == [self.april, self.march]

    def test_filters(self):
        assert self.ids(status="discharged") == [self.april]
        assert self.ids(status="registered") == [self.march]
        assert self.ids(psn_no="P0001") == [self.march]
        assert self.ids(begndate_from="2026-04-01") == [self.april]
        assert self.ids(begndate_to="2026-03-02") == [self.march]
        assert self.ids(begndate_from="2026-03-03", begndate_to="2026-04-09") == []

    def test_bad_filter_value_is_400(self):
        self.assert_error(self.client.get("/api/v1/visits/", {"status": "paid"}), 400, "INVALID_CHOICE",
                          field="status")
        self.assert_error(self.client.get("/api/v1/visits/", {"begndate_from": "March"}), 400, "INVALID",
                          field="begndate_from")

    def test_pagination(self):
        for _ in range(3):
            self.registered()
        page = self.client.get("/api/v1/visits/", {"page": 2, "page_size": 2}).json()
        assert page["count"] == 5 and page["previous"] is not None and len(page["results"]) == 2
        self.assert_error(self.client.get("/api/v1/visits/", {"page": 9}), 404, "NOT_FOUND")

    def test_detail(self):
        response = self.client.get(f"/api/v1/visits/{self.april}/")
        assert response.status_code == 200
        assert response.json()["status"] == "discharged" and response.json()["psn_no"] == "P0002"
        self.assert_error(self.client.get("/api/v1/visits/M-UNKNOWN/"), 404, "NOT_FOUND")


class DischargeTests(APITestBase):
    def test_discharge_sets_endtime_and_status(self):
        mdtrt_id = self.registered()
        response = self.discharge(mdtrt_id, endtime="2026-03-10T10:00:00")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "discharged"
        visit = Visit.objects.get(mdtrt_id=mdtrt_id)
        assert visit.status == VisitStatus.DISCHARGED and visit.endtime == local("2026-03-10T10:00:00")

    def test_endtime_before_begntime(self):
        mdtrt_id = self.registered()
        self.assert_error(self.discharge(mdtrt_id, endtime="2026-03-01T10:00:00"), 400, "ENDTIME_BEFORE_BEGNTIME",
                          field="endtime")
        assert Visit.objects.get(mdtrt_id=mdtrt_id).endtime is None

    def test_fees_after_endtime(self):
        mdtrt_id = self.registered()
        self.upload(mdtrt_id, [{"feedetl_sn": "1", "med_list_codg": "250101001", "cnt": "1", "pric": "25",
                                "det_item_fee_sumamt": "25.00", "fee_ocur_time": "2026-03-09T08:00:00"}])
        self.assert_error(self.discharge(mdtrt_id, endtime="2026-03-08T10:00:00"), 400, "FEES_AFTER_ENDTIME")
        assert Visit.objects.get(mdtrt_id=mdtrt_id).status == VisitStatus.REGISTERED

    def test_missing_or_malformed_endtime(self):
        mdtrt_id = self.registered()
        response = self.client.post(f"/api/v1/visits/{mdtrt_id}/discharge/", {}, format="json")
        self.assert_error(response, 400, "REQUIRED", field="endtime")
        self.assert_error(self.discharge(mdtrt_id, endtime="yesterday"), 400, "INVALID", field="endtime")

    def test_settled_visit_cannot_be_discharged(self):
        info = self.settled_case01()
        self.assert_error(self.discharge(info["mdtrt_id"], endtime="2026-03-12T10:00:00"), 400, "VISIT_SETTLED")
        assert Visit.objects.get(mdtrt_id=info["mdtrt_id"]).endtime == local("2026-03-10T10:00:00")

    def test_unknown_visit(self):
        self.assert_error(self.discharge("M-UNKNOWN"), 404, "NOT_FOUND")
