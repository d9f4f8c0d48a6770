"""Settlement [2304/2207] over HTTP: the setlinfo, what is written, twice is refused, setl_time rules,
and the cross-year admission settled once in the year of settlement."""
import datetime as dt
from decimal import Decimal

from django.test import override_settings
from django.utils import timezone

from claims.models import Accumulator, Settlement, SettlementLine, VisitStatus
from insurance.models import AccountMovement, PersonalAccount

from .base import CASE01_SETL, CASE01_SETL_TIME, APITestBase, ensure_policy_for, local, make_person

D = Decimal


class SettleTests(APITestBase):
    def test_settle_answers_setlinfo_with_the_14_amounts_to_the_fen(self):
        mdtrt_id = self.case01_visit()
        response = self.settle(mdtrt_id, client=self.staff_client, setl_time=CASE01_SETL_TIME)
        assert response.status_code == 201, response.content
        info = response.json()["setlinfo"]
        assert {k: info[k] for k in CASE01_SETL} == CASE01_SETL
        assert info["mdtrt_id"] == mdtrt_id and info["psn_no"] == "P0001"
        assert info["balc"] == "0.00" and info["ineligible_reason"] == "" and info["policy_code"] == "DEMO-2026"
        assert info["kind"] == "settlement" and info["status"] == "settled" and info["reverses"] is None
        assert info["fixmedins_code"] == "H41080000001" and info["med_type"] == "21"
        assert dt.datetime.fromisoformat(info["setl_time"]) == local(CASE01_SETL_TIME)
        detail = {line["feedetl_sn"]: line for line in response.json()["setldetail"]}
        assert detail["3"] == {"feedetl_sn": "3", "det_item_fee_sumamt": "3000.00", "fulamt_ownpay_amt": "0.00",
                               "overlmt_amt": "204.00", "preselfpay_amt": "559.20", "inscp_scp_amt": "2236.80",
                               "chrgitm_lv": "02", "selfpay_prop": "0.2000", "reason": "",
                               "reason_desc": ""}
        assert detail["6"]["reason"] == "NOT_IN_CATALOG" and detail["6"]["fulamt_ownpay_amt"] == "300.00"

    def test_settle_writes_the_settlement_account_and_accumulators(self):
        info = self.settled_case01()
        settlement = Settlement.objects.get(setl_id=info["setl_id"])
        assert settlement.hifp_pay == D("1920.64") and settlement.created_by == self.w.staff_a
        assert SettlementLine.objects.filter(settlement=settlement).count() == 7
        assert settlement.visit.status == VisitStatus.SETTLED
        assert PersonalAccount.objects.get(person=self.w.employee).balance == D("0.00")
        movement = AccountMovement.objects.get(settlement=settlement)
        assert movement.amount == D("-1200.00") and movement.balance_after == D("0.00")
        acc = self.accumulators(self.w.employee)
        assert acc[(2026, "deductible_used", "21")] == D("800.00")
        assert acc[(2026, "cap_paid", "employee_pool")] == D("1920.64")
        assert acc[(2026, "admissions", "")] == D("1")

    def test_settle_get_returns_the_same_settlement(self):
        info = self.settled_case01()
        response = self.client.get(f"/api/v1/settlements/{info['setl_id']}/")
        assert response.status_code == 200
        assert response.json()["setlinfo"] == info
        assert len(response.json()["setldetail"]) == 7

    def test_settling_twice_is_refused_and_writes_nothing(self):
        info = self.settled_case01()
        before = (Settlement.objects.count(), self.accumulators(self.w.employee))
        response = self.settle(info["mdtrt_id"], client=self.staff_client, setl_time=CASE01_SETL_TIME)
        self.assert_error(response, 400, "ALREADY_SETTLED", field="mdtrt_id")
        response = self.settle(info["mdtrt_id"])
        self.assert_error(response, 400, "ALREADY_SETTLED")
        assert (Settlement.objects.count(), self.accumulators(self.w.employee)) == before

    def test_setl_time_is_refused_for_a_clerk(self):
        mdtrt_id = self.case01_visit()
        response = self.settle(mdtrt_id, setl_time=CASE01_SETL_TIME)
        self.assert_error(response, 400, "SETL_TIME_NOT_ALLOWED", field="setl_time")
        assert not Settlement.objects.exists()

    @override_settings(CLAIMS_API_ALLOW_SETL_TIME=True)
    def test_setl_time_is_accepted_when_the_setting_allows_it(self):
        mdtrt_id = self.case01_visit()
        response = self.settle(mdtrt_id, setl_time=CASE01_SETL_TIME)
        assert response.status_code == 201, response.content
        assert response.json()["setlinfo"]["hifp_pay"] == "1920.64"

    def test_settle_without_setl_time_settles_now(self):
        now = timezone.now()
        ensure_policy_for(timezone.localdate())
        mdtrt_id = self.registered(begntime=(timezone.localtime(now) - dt.timedelta(days=3)).replace(tzinfo=None)
                                   .isoformat(timespec="seconds"))
        assert self.upload(mdtrt_id, [{"feedetl_sn": "1", "med_list_codg": "250101001", "cnt": "1",
                                       "pric": "25.00", "det_item_fee_sumamt": "25.00"}]).status_code == 200
        response = self.settle(mdtrt_id)
        assert response.status_code == 201, response.content
        setl_time = dt.datetime.fromisoformat(response.json()["setlinfo"]["setl_time"])
        assert abs((setl_time - now).total_seconds()) < 60
        assert response.json()["setlinfo"]["medfee_sumamt"] == "25.00"

    def test_settle_bad_inputs(self):
        mdtrt_id = self.registered()
        self.assert_error(self.settle(mdtrt_id, client=self.staff_client, setl_time=CASE01_SETL_TIME), 400,
                          "NO_LINES")
        self.upload(mdtrt_id, [{"feedetl_sn": "1", "med_list_codg": "250101001", "cnt": "1", "pric": "25.00",
                                "det_item_fee_sumamt": "25.00"}])
        self.assert_error(self.settle(mdtrt_id, client=self.staff_client, setl_time="not a time"), 400,
                          "INVALID", field="setl_time")
        self.assert_error(self.settle(mdtrt_id, client=self.staff_client, setl_time="2026-03-01T09:00:00"), 400,
                          "SETL_TIME_BEFORE_BEGNTIME", field="setl_time")
        self.assert_error(self.settle(mdtrt_id, client=self.staff_client, setl_time="2031-03-01T09:00:00"), 400,
                          "NO_POLICY", field="setl_time")
        assert not Settlement.objects.exists()
        response = self.settle("M-NO-SUCH-VISIT", client=self.staff_client, setl_time=CASE01_SETL_TIME)
        self.assert_error(response, 404, "NOT_FOUND")

    def test_ineligible_person_is_settled_with_no_fund_pay(self):
        info = self.settled_case01(psn_no="P0003")  # enrollment ended in 2021
        assert info["ineligible_reason"] == "NOT_ENROLLED"
        assert info["fund_pay_sumamt"] == "0.00" and info["acct_pay"] == "0.00"
        assert info["psn_cash_pay"] == info["medfee_sumamt"] == "4800.00"
        assert not Accumulator.objects.filter(person=self.w.lapsed).exists()

    def test_settlement_list_is_filtered_by_visit_and_kind(self):
        first = self.settled_case01()
        self.settled_case01(setl_time="2026-03-11T10:00:00")
        response = self.client.get("/api/v1/settlements/", {"mdtrt_id": first["mdtrt_id"]})
        assert response.status_code == 200
        assert [r["setlinfo"]["setl_id"] for r in response.json()["results"]] == [first["setl_id"]]
        assert self.client.get("/api/v1/settlements/").json()["count"] == 2
        assert self.client.get("/api/v1/settlements/", {"kind": "reversal"}).json()["count"] == 0


class CrossYearTests(APITestBase):
    """跨年度住院: admitted 2025-12-28, settled 2026-01-03, once, with 2026's policy and accumulators."""

    def setUp(self):
        super().setUp()
        self.person = make_person("P2025", name="赵敏")
        # 2025 is almost used up: the pool has paid 179 900 of its 180 000 cap and one deductible
        Accumulator.objects.bulk_create([
            Accumulator(person=self.person, year=2025, kind="cap_paid", key="employee_pool", amount=D("179900.00")),
            Accumulator(person=self.person, year=2025, kind="deductible_used", key="21", amount=D("800.00")),
            Accumulator(person=self.person, year=2025, kind="admissions", key="", amount=D("1")),
        ])
        self.mdtrt_id = self.registered(psn_no="P2025", begntime="2025-12-28T08:00:00")
        lines = [{"feedetl_sn": "1", "med_list_codg": "250101001", "cnt": "100", "pric": "100.00",
                  "det_item_fee_sumamt": "10000.00", "fee_ocur_time": "2025-12-29T10:00:00"},
                 {"feedetl_sn": "2", "med_list_codg": "250101001", "cnt": "10", "pric": "100.00",
                  "det_item_fee_sumamt": "1000.00", "fee_ocur_time": "2026-01-02T10:00:00"}]
        assert self.upload(self.mdtrt_id, lines).status_code == 200
        assert self.discharge(self.mdtrt_id, endtime="2026-01-03T09:00:00").status_code == 200

    def test_settled_in_january_uses_the_new_year(self):
        response = self.settle(self.mdtrt_id, client=self.staff_client, setl_time="2026-01-03T10:00:00")
        assert response.status_code == 201, response.content
        info = response.json()["setlinfo"]
        assert info["policy_code"] == "DEMO-2026"
        # a fresh 2026: the full deductible again, 80% of the rest, no cap reached, no large-amount layer
        assert info["act_pay_dedc"] == "800.00"
        assert info["hifp_pay"] == "8160.00" and info["hifob_pay"] == "0.00"
        acc = self.accumulators(self.person)
        assert acc[(2026, "cap_paid", "employee_pool")] == D("8160.00")
        assert acc[(2026, "admissions", "")] == D("1")
        # 2025 is left exactly as it was
        assert acc[(2025, "cap_paid", "employee_pool")] == D("179900.00")
        assert acc[(2025, "admissions", "")] == D("1")
        settlement = Settlement.objects.get(setl_id=info["setl_id"])
        assert {a.year for a in settlement.accumulations.all()} == {2026}

    def test_the_same_visit_settled_in_december_would_hit_2025s_cap(self):
        response = self.presettle(self.mdtrt_id, client=self.staff_client, setl_time="2025-12-31T10:00:00")
        assert response.status_code == 200, response.content
        info = response.json()["setlinfo"]
        assert info["policy_code"] == "DEMO-2025"
        assert info["hifp_pay"] == "100.00"  # what was left of the 2025 cap
        assert D(info["hifob_pay"]) > 0  # the large-amount layer takes over above the cap
