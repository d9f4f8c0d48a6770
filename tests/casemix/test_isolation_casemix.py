"""Who reaches the DIP routes of the provider API: a settlement's list [4101] and the institution's grouped
cases (tests/api/isolation.py gives every declaration its 401, 403, 404 and owner tests)."""
from tests.api.base import APITestBase
from tests.api.isolation import InstitutionEndpointTests, InstitutionScopedEndpointTests

from .helpers import GOOD_LIST, inpatient_settlement


class SettlementListRoute(InstitutionScopedEndpointTests, APITestBase):
    namespace = "casemix-api"
    url_name = "settlement-list"
    methods = ("get", "post")
    body = GOOD_LIST

    def make_object(self, institution):
        settlement = inpatient_settlement(institution, self.w.employee, policy_version=self.w.policy_2026)
        client = self.clients_of(institution)[0]
        response = client.post(f"/api/v1/settlements/{settlement.setl_id}/setl-list/", GOOD_LIST, format="json")
        assert response.status_code == 201, response.content
        return {"setl_id": settlement.setl_id}


class DipCaseList(InstitutionEndpointTests, APITestBase):
    namespace = "casemix-api"
    url_name = "dip-case-list"
