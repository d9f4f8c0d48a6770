"""The special-case pages (特病单议, /dip/special-cases/): the institution asks for its high case and sees the state;
the bureau's queue; a caseworker proposes, the same one is refused the decision (four eyes), a second decides;
the institution withdraws; another institution's request is a 404, a login of neither side a 403."""
from django.contrib.auth.models import Group
from django.test import Client

from casemix.special_models import SpecialCaseRequest
from fund_budget.permissions import FUND_BUREAU_GROUP
from tests.factories import UserFactory

from .special_world import SpecialCaseWorld


class SpecialCasePagesTests(SpecialCaseWorld):
    def setUp(self):
        super().setUp()
        self.h1, self.h2, self.cw1, self.cw2 = Client(), Client(), Client(), Client()
        self.h1.force_login(self.w.user_a)
        self.h2.force_login(self.w.user_b)
        self.cw1.force_login(self.caseworker)
        self.cw2.force_login(self.caseworker2)

    def test_ask_propose_refuse_the_proposer_and_approve(self):
        page = self.h1.get("/dip/special-cases/").content.decode()
        assert "申请特病单议" in page and "c3 · 病种 A · 费用 25,000.00 · 1,500.0000 点" in page
        response = self.h1.post("/dip/special-cases/ask/", {
            "settlement": self.settlements["c3"].pk, "reason": "多发伤合并感染", "evidence": "病程记录"})
        request = SpecialCaseRequest.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/dip/special-cases/{request.pk}/"
        mine = self.h1.get(response["Location"]).content.decode()
        assert "待初审" in mine and "25,000.00" in mine and "19,000.00" in mine and "急性阑尾炎·阑尾切除术" in mine
        assert "高倍率病例" in mine and "撤回申请" in mine
        queue = self.cw1.get("/dip/special-cases/").content.decode()
        assert f"/dip/special-cases/{request.pk}/" in queue and self.w.inst_a.name in queue
        assert "初审" in self.cw1.get(f"/dip/special-cases/{request.pk}/").content.decode()
        url = f"/dip/special-cases/{request.pk}/"
        assert self.cw1.post(url + "propose/", {"approve": "1", "reason": "病历支持"}).status_code == 302
        own = self.cw1.get(url).content.decode()
        assert "四眼原则" in own and "提交复核决定" not in own
        refused = self.cw1.post(url + "decide/", {"approve": "1", "reason": "同意"})
        assert refused.status_code == 403 and "四眼原则" in refused.content.decode()
        assert "提交复核决定" in self.cw2.get(url).content.decode()
        assert self.cw2.post(url + "decide/", {"approve": "1", "reason": "同意"}).status_code == 302
        done = self.h1.get(url).content.decode()
        assert "已同意(按项目付费)" in done and "病历支持" in done and "jingban2" in done
        assert "撤回申请" not in done
        assert f"/dip/special-cases/{request.pk}/" not in self.cw1.get("/dip/special-cases/").content.decode()
        assert f"/dip/special-cases/{request.pk}/" in self.cw1.get("/dip/special-cases/?stas=all").content.decode()

    def test_bad_forms_are_400_with_the_error(self):
        response = self.h1.post("/dip/special-cases/ask/", {"settlement": self.settlements["c3"].pk, "reason": ""})
        assert response.status_code == 400 and not SpecialCaseRequest.objects.exists()
        response = self.h1.post("/dip/special-cases/ask/", {"settlement": self.settlements["c1"].pk, "reason": "r"})
        assert response.status_code == 400  # c1 is not a high case: not a choice
        request = self.ask_c3()
        assert self.cw1.post(f"/dip/special-cases/{request.pk}/decide/",
                             {"approve": "1", "reason": "r"}).status_code == 400  # no proposal yet
        assert self.cw1.post(f"/dip/special-cases/{request.pk}/propose/", {"reason": "r"}).status_code == 400

    def test_withdraw_and_who_sees_what(self):
        request = self.ask_c3()
        url = f"/dip/special-cases/{request.pk}/"
        assert self.h2.get(url).status_code == 404
        assert self.h2.post(url + "withdraw/", {"reason": "r"}).status_code == 404
        assert self.h1.post(url + "propose/", {"approve": "1", "reason": "r"}).status_code == 403
        nobody = Client()
        nobody.force_login(UserFactory(username="nobody"))
        assert nobody.get("/dip/special-cases/").status_code == 403
        assert Client().get("/dip/special-cases/").status_code == 302  # to the login
        assert self.h1.post(url + "withdraw/", {"reason": "补充材料"}).status_code == 302
        assert "已撤回" in self.h1.get("/dip/special-cases/").content.decode()

    def test_the_fund_bureau_reads_the_queue_as_it_reads_the_dip_pages_but_does_not_decide(self):
        request = self.ask_c3()
        clerk = UserFactory(username="fund-clerk")
        clerk.groups.add(Group.objects.get_or_create(name=FUND_BUREAU_GROUP)[0])
        client = Client()
        client.force_login(clerk)
        assert client.get("/dip/410800/2026/").status_code == 200
        queue = client.get("/dip/special-cases/")
        assert queue.status_code == 200 and request.settlement.setl_id in queue.content.decode()
        assert client.get(f"/dip/special-cases/{request.pk}/").status_code == 200
        assert client.post(f"/dip/special-cases/{request.pk}/propose/",
                           {"approve": "1", "reason": "r"}).status_code == 403
