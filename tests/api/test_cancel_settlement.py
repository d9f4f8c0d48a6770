"""Settlement cancellation [2305/2208]: the reversal, and every accumulator and the account given back."""
from decimal import Decimal

from claims.models import Accumulator, Settlement, SettlementKind, SettlementStatus, Visit, VisitStatus
from insurance.models import AccountMovement, PersonalAccount

from .base import CASE01_SETL, APITestBase

D = Decimal


class CancelSettlementTests(APITestBase):
    def setUp(self):
        super().setUp()
        Accumulator.objects.create(person=self.w.employee, year=2026, kind="cap_paid", key="employee_pool",
                                   amount=D("500.00"))
        self.before = self.accumulators(self.w.employee)
        self.info = self.settled_case01()

    def test_cancel_answers_the_reversal(self):
        response = self.cancel_settlement(self.info["setl_id"], reason="费用录入错误，撤销后重新结算")
        assert response.status_code == 201, response.content
        rev = response.json()["setlinfo"]
        assert rev["kind"] == "reversal" and rev["reverses"] == self.info["setl_id"]
        assert rev["setl_id"] != self.info["setl_id"] and rev["mdtrt_id"] == self.info["mdtrt_id"]
        assert {k: rev[k] for k in CASE01_SETL} == {k: self.info[k] for k in CASE01_SETL}
        assert rev["balc"] == "1200.00" and rev["reason"] == "费用录入错误，撤销后重新结算"
        assert len(response.json()["setldetail"]) == 7

    def test_cancel_gives_every_accumulator_and_the_account_back(self):
        assert self.accumulators(self.w.employee) != self.before
        self.cancel_settlement(self.info["setl_id"])
        after = self.accumulators(self.w.employee)
        assert {k: v for k, v in after.items() if v} == {k: v for k, v in self.before.items() if v}
        assert PersonalAccount.objects.get(person=self.w.employee).balance == D("1200.00")
        movement = AccountMovement.objects.get(settlement__kind=SettlementKind.REVERSAL)
        assert movement.amount == D("1200.00") and movement.balance_after == D("1200.00")
        original = Settlement.objects.get(setl_id=self.info["setl_id"])
        assert original.status == SettlementStatus.CANCELLED
        assert Visit.objects.get(mdtrt_id=self.info["mdtrt_id"]).status == VisitStatus.DISCHARGED

    def test_get_shows_the_cancelled_settlement_and_its_reversal(self):
        rev = self.cancel_settlement(self.info["setl_id"]).json()["setlinfo"]
        original = self.client.get(f"/api/v1/settlements/{self.info['setl_id']}/").json()["setlinfo"]
        assert original["status"] == "cancelled" and original["reversed_by"] == rev["setl_id"]
        fetched = self.client.get(f"/api/v1/settlements/{rev['setl_id']}/").json()["setlinfo"]
        assert fetched == rev
        kinds = self.client.get("/api/v1/settlements/", {"kind": "reversal"}).json()
        assert [r["setlinfo"]["setl_id"] for r in kinds["results"]] == [rev["setl_id"]]
        visit = self.client.get(f"/api/v1/visits/{self.info['mdtrt_id']}/").json()
        assert visit["status"] == "discharged" and visit["setl_id"] is None

    def test_settle_again_after_cancelling_gives_the_same_numbers(self):
        self.cancel_settlement(self.info["setl_id"])
        again = self.settle(self.info["mdtrt_id"], client=self.staff_client, setl_time=self.info["setl_time"])
        assert again.status_code == 201, again.content
        assert {k: again.json()["setlinfo"][k] for k in (*CASE01_SETL, "balc")} == {
            k: self.info[k] for k in (*CASE01_SETL, "balc")}
        assert self.client.get(f"/api/v1/visits/{self.info['mdtrt_id']}/").json()["setl_id"] == \
            again.json()["setlinfo"]["setl_id"]

    def test_lines_can_be_corrected_between_cancel_and_settle(self):
        self.cancel_settlement(self.info["setl_id"])
        url = f"/api/v1/visits/{self.info['mdtrt_id']}/fee-lines/cancel/"
        assert self.client.post(url, {"feedetl_sns": ["6"]}, format="json").status_code == 200
        again = self.settle(self.info["mdtrt_id"], client=self.staff_client, setl_time=self.info["setl_time"])
        assert again.json()["setlinfo"]["medfee_sumamt"] == "4500.00"

    def test_cancelling_twice_or_cancelling_a_reversal_is_refused(self):
        rev = self.cancel_settlement(self.info["setl_id"]).json()["setlinfo"]
        count = Settlement.objects.count()
        self.assert_error(self.cancel_settlement(self.info["setl_id"]), 400, "NOT_CANCELLABLE", field="setl_id")
        self.assert_error(self.cancel_settlement(rev["setl_id"]), 400, "NOT_CANCELLABLE")
        assert Settlement.objects.count() == count
        assert PersonalAccount.objects.get(person=self.w.employee).balance == D("1200.00")

    def test_a_reason_is_required(self):
        url = f"/api/v1/settlements/{self.info['setl_id']}/cancel/"
        self.assert_error(self.client.post(url, {}, format="json"), 400, "REQUIRED", field="reason")
        self.assert_error(self.cancel_settlement(self.info["setl_id"], reason="  "), 400, "BLANK", field="reason")
        self.assert_error(self.cancel_settlement(self.info["setl_id"], reason="x" * 501), 400, "MAX_LENGTH")
        assert Settlement.objects.get(setl_id=self.info["setl_id"]).status == SettlementStatus.SETTLED

    def test_unknown_settlement(self):
        self.assert_error(self.cancel_settlement("S-UNKNOWN"), 404, "NOT_FOUND")
        self.assert_error(self.client.get("/api/v1/settlements/S-UNKNOWN/"), 404, "NOT_FOUND")
