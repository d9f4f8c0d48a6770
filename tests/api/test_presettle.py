"""Pre-settlement [2303/2206]: the same numbers as settling, and nothing written."""
from decimal import Decimal

from django.test import override_settings

from claims.models import Accumulator, Settlement, Visit, VisitStatus
from insurance.models import AccountMovement, PersonalAccount

from .base import CASE01_SETL, CASE01_SETL_TIME, APITestBase

D = Decimal


class PresettleTests(APITestBase):
    def snapshot(self):
        return (Settlement.objects.count(), AccountMovement.objects.count(),
                list(Accumulator.objects.values_list("person_id", "year", "kind", "key", "amount")),
                PersonalAccount.objects.get(person=self.w.employee).balance,
                list(Visit.objects.values_list("mdtrt_id", "status")))

    def test_presettle_answers_what_settling_would_and_writes_nothing(self):
        mdtrt_id = self.case01_visit()
        before = self.snapshot()
        response = self.presettle(mdtrt_id, client=self.staff_client, setl_time=CASE01_SETL_TIME)
        assert response.status_code == 200, response.content
        info = response.json()["setlinfo"]
        assert {k: info[k] for k in CASE01_SETL} == CASE01_SETL
        assert info["mdtrt_id"] == mdtrt_id and info["psn_no"] == "P0001" and info["policy_code"] == "DEMO-2026"
        assert info["balc"] == "0.00" and info["ineligible_reason"] == ""
        assert "setl_id" not in info
        detail = {x["feedetl_sn"]: x for x in response.json()["setldetail"]}
        assert detail["4"] == {"feedetl_sn": "4", "det_item_fee_sumamt": "400.00", "fulamt_ownpay_amt": "0.00",
                               "overlmt_amt": "80.00", "preselfpay_amt": "0.00", "inscp_scp_amt": "320.00",
                               "chrgitm_lv": "01", "selfpay_prop": None, "reason": "", "reason_desc": ""}
        assert self.snapshot() == before
        assert Visit.objects.get(mdtrt_id=mdtrt_id).status == VisitStatus.DISCHARGED

    def test_presettle_then_settle_agree(self):
        mdtrt_id = self.case01_visit()
        pre = self.presettle(mdtrt_id, client=self.staff_client, setl_time=CASE01_SETL_TIME).json()
        post = self.settle(mdtrt_id, client=self.staff_client, setl_time=CASE01_SETL_TIME).json()
        for key in (*CASE01_SETL, "balc", "ineligible_reason", "policy_code", "setl_time"):
            assert pre["setlinfo"][key] == post["setlinfo"][key], key
        assert pre["setldetail"] == post["setldetail"]

    def test_presettle_sees_this_years_accumulators(self):
        Accumulator.objects.create(person=self.w.employee, year=2026, kind="cap_paid", key="employee_pool",
                                   amount=D("179000.00"))
        mdtrt_id = self.case01_visit()
        info = self.presettle(mdtrt_id, client=self.staff_client, setl_time=CASE01_SETL_TIME).json()["setlinfo"]
        assert info["hifp_pay"] == "1000.00"  # what is left of the 180 000 cap
        assert D(info["hifob_pay"]) > 0

    def test_presettle_at_a_chosen_time_needs_staff_or_the_setting(self):
        mdtrt_id = self.case01_visit()
        self.assert_error(self.presettle(mdtrt_id, setl_time=CASE01_SETL_TIME), 400, "SETL_TIME_NOT_ALLOWED",
                          field="setl_time")
        with override_settings(CLAIMS_API_ALLOW_SETL_TIME=True):
            assert self.presettle(mdtrt_id, setl_time=CASE01_SETL_TIME).status_code == 200

    def test_presettle_refusals(self):
        empty = self.registered()
        self.assert_error(self.presettle(empty, client=self.staff_client, setl_time=CASE01_SETL_TIME), 400,
                          "NO_LINES", field="mdtrt_id")
        info = self.settled_case01()
        self.assert_error(self.presettle(info["mdtrt_id"], client=self.staff_client, setl_time=CASE01_SETL_TIME),
                          400, "ALREADY_SETTLED")
        other = self.case01_visit()
        self.assert_error(self.presettle(other, client=self.staff_client, setl_time="2024-06-01T00:00:00"), 400,
                          "SETL_TIME_BEFORE_BEGNTIME")
        self.assert_error(self.presettle(other, client=self.staff_client, setl_time="2030-06-01T00:00:00"), 400,
                          "NO_POLICY")
        self.assert_error(self.presettle(other, client=self.staff_client, setl_time=12), 400, "INVALID",
                          field="setl_time")
        self.assert_error(self.presettle("M-UNKNOWN"), 404, "NOT_FOUND")
