"""The special-case API for the institution (特病单议 [4111] ask, [4112] read, [4113] withdraw; docs/dip.md): national
field names, 400 naming the field, 404 for another institution's settlement or request, the steps as they come."""
from casemix import special_cases
from casemix.special_models import SpecialCaseRequest

from .special_world import SpecialCaseWorld

URL = "/api/v1/special-cases/"


class SpecialCaseAPITests(SpecialCaseWorld):
    def ask(self, client=None, **body):
        return (client or self.client).post(URL, {"setl_id": "c3", "appy_rea": "多发伤合并感染", "evid_desc": "病程记录",
                                                  **body}, format="json")

    def test_ask_and_read_in_national_names(self):
        response = self.ask()
        assert response.status_code == 201, response.content
        body = response.json()
        assert {k: body[k] for k in ("setl_id", "fixmedins_code", "setl_year", "dise_grp_code", "points",
                                     "medfee_sumamt", "fund_pay_sumamt", "appy_rea", "evid_desc", "stas", "steps")} == {
            "setl_id": "c3", "fixmedins_code": self.w.inst_a.fixmedins_code, "setl_year": 2026, "dise_grp_code": "A",
            "points": "1500.0000", "medfee_sumamt": "25000.00", "fund_pay_sumamt": "19000.00",
            "appy_rea": "多发伤合并感染", "evid_desc": "病程记录", "stas": "open", "steps": []}
        assert body["mdtrt_id"] and body["psn_no"] and body["crte_time"]
        request = SpecialCaseRequest.objects.get()
        special_cases.propose(request, user=self.caseworker, approve=True, reason="病历支持")
        special_cases.decide(request, user=self.caseworker2, approve=True, reason="同意")
        rows = self.client.get(URL).json()["results"]
        assert [(r["setl_id"], r["stas"]) for r in rows] == [("c3", "approved")]
        assert [(s["action"], s["approve"], s["reason"]) for s in rows[0]["steps"]] == [
            ("proposed", True, "病历支持"), ("decided", True, "同意")]
        assert "actor" not in rows[0]["steps"][0]
        assert self.client.get(URL + "?stas=open").json()["results"] == []
        assert self.other_client.get(URL).json()["results"] == []

    def test_bad_input_is_a_400_naming_the_field(self):
        self.assert_error(self.ask(appy_rea=""), 400, "REQUIRED", field="appy_rea")
        self.assert_error(self.ask(setl_id="c1"), 400, "NOT_HIGH_CASE", field="setl_id")
        self.assert_error(self.client.post(URL, {"appy_rea": "r"}, format="json"), 400, "REQUIRED", field="setl_id")
        self.assert_error(self.ask(appy_rea="x" * 5001), 400, "MAX_LENGTH", field="appy_rea")
        self.assert_error(self.client.get(URL + "?stas=nonsense"), 400, "INVALID_VALUE", field="stas")
        assert self.ask().status_code == 201
        self.assert_error(self.ask(), 400, "OPEN_REQUEST", field="setl_id")
        assert SpecialCaseRequest.objects.count() == 1

    def test_another_institutions_settlement_and_request_are_404(self):
        self.assert_error(self.ask(client=self.other_client), 404, "NOT_FOUND")
        self.assert_error(self.ask(setl_id="no-such"), 404, "NOT_FOUND")
        pk = self.ask().json()["id"]
        self.assert_error(self.other_client.get(f"{URL}{pk}/"), 404, "NOT_FOUND")
        self.assert_error(self.other_client.post(f"{URL}{pk}/withdraw/", {"appy_rea": "r"}, format="json"),
                          404, "NOT_FOUND")
        assert self.client.get(f"{URL}{pk}/").json()["stas"] == "open"

    def test_withdraw(self):
        pk = self.ask().json()["id"]
        self.assert_error(self.client.post(f"{URL}{pk}/withdraw/", {"appy_rea": ""}, format="json"),
                          400, "REQUIRED", field="appy_rea")
        response = self.client.post(f"{URL}{pk}/withdraw/", {"appy_rea": "补充材料后再申请"}, format="json")
        assert response.status_code == 200 and response.json()["stas"] == "withdrawn"
        self.assert_error(self.client.post(f"{URL}{pk}/withdraw/", {"appy_rea": "r"}, format="json"), 400, "CLOSED")
