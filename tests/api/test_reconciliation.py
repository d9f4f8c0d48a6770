"""Reconciliation [3201]: settlements minus reversals by setl_time, per institution and period."""
import datetime as dt
from decimal import Decimal

from claims.models import Settlement
from claims.settlement.reconciliation import platform_totals
from core.ledger import money_writes

from .base import APITestBase, local

D = Decimal


class ReconciliationTests(APITestBase):
    def setUp(self):
        super().setUp()
        # March: case 01 (4800.00 / 1920.64 / acct 1200.00) and a resident's admission, settled late on the 31st
        self.first = self.settled_case01(setl_time="2026-03-10T10:00:00")
        self.second = self.settled_case01(psn_no="P0002", setl_time="2026-03-31T23:30:00")
        # the first is reversed in April
        response = self.cancel_settlement(self.first["setl_id"])
        assert response.status_code == 201
        with money_writes():  # the reversal dated in April: fixture setup
            Settlement.objects.filter(setl_id=response.json()["setlinfo"]["setl_id"]).update(
                setl_time=local("2026-04-02T09:00:00"))
        # institution B's settlement in March must never count for A
        mdtrt_id = self.registered(client=self.other_client)
        self.upload(mdtrt_id, [{"feedetl_sn": "1", "med_list_codg": "250101001", "cnt": "1", "pric": "99.00",
                                "det_item_fee_sumamt": "99.00"}], client=self.other_client)
        self.w.user_b.is_staff = True
        self.w.user_b.save()
        assert self.settle(mdtrt_id, client=self.other_client, setl_time="2026-03-15T10:00:00").status_code == 201

    def reconcile(self, client=None, **body):
        return (client or self.client).post("/api/v1/reconciliation/", body, format="json")

    def march_totals(self):
        return {
            "medfee_sumamt": str(D(self.first["medfee_sumamt"]) + D(self.second["medfee_sumamt"])),
            "fund_pay_sumamt": str(D(self.first["fund_pay_sumamt"]) + D(self.second["fund_pay_sumamt"])),
            "acct_pay": str(D(self.first["acct_pay"]) + D(self.second["acct_pay"])),
            "fixmedins_setl_cnt": 2,
        }

    def test_march_matches_when_declared_right(self):
        response = self.reconcile(stmt_begndate="2026-03-01", stmt_enddate="2026-03-31", **self.march_totals())
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["stmt_rslt"] == "match" and body["stmt_rslt_dscr"] == "平"
        assert body["fixmedins_code"] == "H41080000001"
        assert body["platform"] == body["declared"] == {**self.march_totals()}
        assert body["platform"]["medfee_sumamt"] == "9600.00"
        assert body["differences"] == {"medfee_sumamt": "0.00", "fund_pay_sumamt": "0.00", "acct_pay": "0.00",
                                       "fixmedins_setl_cnt": 0}

    def test_a_reversal_counts_negatively_in_its_own_period(self):
        body = self.reconcile(stmt_begndate="2026-04-01", stmt_enddate="2026-04-30", medfee_sumamt="-4800.00",
                              fund_pay_sumamt="-1920.64", acct_pay="-1200.00", fixmedins_setl_cnt=-1).json()
        assert body["stmt_rslt"] == "match"
        assert body["platform"]["fixmedins_setl_cnt"] == -1

    def test_settlements_and_their_reversals_in_one_period_cancel_out(self):
        body = self.reconcile(stmt_begndate="2026-03-01", stmt_enddate="2026-04-30", medfee_sumamt="4800.00",
                              fund_pay_sumamt=self.second["fund_pay_sumamt"], acct_pay=self.second["acct_pay"],
                              fixmedins_setl_cnt=1).json()
        assert body["stmt_rslt"] == "match", body

    def test_mismatch_lists_the_differences(self):
        declared = {**self.march_totals(), "medfee_sumamt": "9700.00", "fixmedins_setl_cnt": 3}
        body = self.reconcile(stmt_begndate="2026-03-01", stmt_enddate="2026-03-31", **declared).json()
        assert body["stmt_rslt"] == "mismatch" and body["stmt_rslt_dscr"] == "不平"
        assert body["differences"] == {"medfee_sumamt": "100.00", "fund_pay_sumamt": "0.00", "acct_pay": "0.00",
                                       "fixmedins_setl_cnt": 1}

    def test_period_boundaries_are_local_dates(self):
        # 2026-04-01 00:30 in Asia/Shanghai is 2026-03-31 16:30 UTC: it belongs to April
        with money_writes():  # fixture setup
            Settlement.objects.filter(setl_id=self.second["setl_id"]).update(setl_time=local("2026-04-01T00:30:00"))
        march = platform_totals(self.w.inst_a, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
        april_1st = platform_totals(self.w.inst_a, dt.date(2026, 4, 1), dt.date(2026, 4, 1))
        april_2nd = platform_totals(self.w.inst_a, dt.date(2026, 4, 2), dt.date(2026, 4, 2))
        assert march["fixmedins_setl_cnt"] == 1 and march["medfee_sumamt"] == D("4800.00")
        assert april_1st["fixmedins_setl_cnt"] == 1 and april_1st["acct_pay"] == D(self.second["acct_pay"])
        assert april_2nd["fixmedins_setl_cnt"] == -1 and april_2nd["acct_pay"] == D("-1200.00")

    def test_other_institutions_see_their_own_totals(self):
        body = self.reconcile(client=self.other_client, stmt_begndate="2026-03-01", stmt_enddate="2026-03-31",
                              medfee_sumamt="99.00", fund_pay_sumamt="0", acct_pay="0", fixmedins_setl_cnt=1).json()
        assert body["platform"]["medfee_sumamt"] == "99.00" and body["platform"]["fixmedins_setl_cnt"] == 1
        assert body["differences"]["fund_pay_sumamt"] == str(-D(body["platform"]["fund_pay_sumamt"]))

    def test_bad_inputs(self):
        good = {"stmt_begndate": "2026-03-01", "stmt_enddate": "2026-03-31", **self.march_totals()}
        self.assert_error(self.reconcile(**{**good, "stmt_enddate": "2026-02-28"}), 400, "ENDDATE_BEFORE_BEGNDATE",
                          field="stmt_enddate")
        for field in good:
            with self.subTest(field=field):
                self.assert_error(self.reconcile(**{k: v for k, v in good.items() if k != field}), 400, "REQUIRED",
                                  field=field)
        self.assert_error(self.reconcile(**{**good, "medfee_sumamt": "lots"}), 400, "INVALID", field="medfee_sumamt")
        self.assert_error(self.reconcile(**{**good, "acct_pay": "1.001"}), 400, "MAX_DECIMAL_PLACES",
                          field="acct_pay")
        self.assert_error(self.reconcile(**{**good, "fixmedins_setl_cnt": "two"}), 400, "INVALID",
                          field="fixmedins_setl_cnt")
        self.assert_error(self.reconcile(**{**good, "stmt_begndate": "2026/03/01"}), 400, "INVALID",
                          field="stmt_begndate")
