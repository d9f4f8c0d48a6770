"""Who reaches the special-case routes of the provider API (特病单议 [4111]–[4113]): tests/api/isolation.py gives
every declaration its 401, 403, owner and (scoped) 404 tests. The worked example's trial run makes c3 (H1) high."""
from casemix import special_cases
from casemix.services import run_dip_year
from casemix.special_models import SpecialCaseRequest
from tests.api.isolation import InstitutionEndpointTests, InstitutionScopedEndpointTests

from .worked_world import WorkedExampleWorld

ASK = {"setl_id": "c3", "appy_rea": "多发伤合并感染", "evid_desc": "病程记录"}


class _HighCase:
    def setUp(self):
        super().setUp()
        run_dip_year("410800", 2026, reason="trial")


class SpecialCaseList(_HighCase, InstitutionEndpointTests, WorkedExampleWorld):
    namespace = "casemix-api"
    url_name = "special-case-list"
    methods = ("get", "post")
    body = ASK

    def test_another_institutions_settlement_is_a_404_and_writes_nothing(self):
        for client in (self.other_client,):
            self.assert_error(client.post("/api/v1/special-cases/", ASK, format="json"), 404, "NOT_FOUND")
        assert not SpecialCaseRequest.objects.exists()


class _Asked:
    def make_object(self, institution):
        assert institution == self.w.inst_a
        run_dip_year("410800", 2026, reason="trial")
        request = special_cases.ask(self.settlements["c3"], user=self.w.user_a, reason="多发伤合并感染")
        return {"pk": request.pk}


class SpecialCaseDetail(_Asked, InstitutionScopedEndpointTests, WorkedExampleWorld):
    namespace = "casemix-api"
    url_name = "special-case-detail"


class SpecialCaseWithdraw(_Asked, InstitutionScopedEndpointTests, WorkedExampleWorld):
    namespace = "casemix-api"
    url_name = "special-case-withdraw"
    methods = ("post",)
    body = {"appy_rea": "补充材料后再申请"}
