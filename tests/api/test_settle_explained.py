"""The settle answer explains itself (issue 16): the co-payment within policy scope on setlinfo, so that the
in-scope amount adds up to the fen, and each line's reason in words next to its code."""
from decimal import Decimal

from .base import CASE01_SETL_TIME, APITestBase

D = Decimal


class SettleExplainedTests(APITestBase):
    def test_setlinfo_carries_the_copay_that_closes_the_in_scope_amount(self):
        mdtrt_id = self.case01_visit()
        response = self.settle(mdtrt_id, client=self.staff_client, setl_time=CASE01_SETL_TIME)
        assert response.status_code == 201, response.content
        info = response.json()["setlinfo"]
        copay = D(info["inscp_copay_amt"])
        assert copay > 0 and info["inscp_copay_amt"] == f"{copay:.2f}"
        assert D(info["act_pay_dedc"]) + D(info["hifp_pay"]) + D(info["hifob_pay"]) + copay \
            == D(info["inscp_scp_amt"])

    def test_each_line_has_its_reason_in_words(self):
        mdtrt_id = self.case01_visit()
        response = self.settle(mdtrt_id, client=self.staff_client, setl_time=CASE01_SETL_TIME)  # zh-hans default
        detail = {line["feedetl_sn"]: line for line in response.json()["setldetail"]}
        assert detail["6"]["reason"] == "NOT_IN_CATALOG" and detail["6"]["reason_desc"] == "目录外项目，全自费"
        assert detail["3"]["reason"] == "" and detail["3"]["reason_desc"] == ""

    def test_presettle_explains_its_lines_the_same_way(self):
        mdtrt_id = self.case01_visit()
        response = self.presettle(mdtrt_id)
        assert response.status_code == 200, response.content
        detail = {line["feedetl_sn"]: line for line in response.json()["setldetail"]}
        assert detail["6"]["reason"] == "NOT_IN_CATALOG" and detail["6"]["reason_desc"] == "目录外项目，全自费"

    def test_a_reversal_answers_with_the_same_explanation(self):
        info = self.settled_case01()
        response = self.cancel_settlement(info["setl_id"])
        assert response.status_code in (200, 201), response.content
        body = response.json()
        assert body["setlinfo"]["inscp_copay_amt"] == info["inscp_copay_amt"]
        assert all("reason_desc" in line for line in body["setldetail"])
