"""Who reaches the institution's review routes of the provider API: its suspect items (疑点) and their
appeal (tests/api/isolation.py gives every declaration its 401, 403, 404 and owner tests)."""
from tests.factories import SettlementFactory, SuspectItemFactory, VisitFactory

from .base import APITestBase
from .isolation import InstitutionEndpointTests, InstitutionScopedEndpointTests


def suspect_item(test, institution, **kwargs) -> int:
    """A suspect item on a settlement of `institution` (of person P0001, under the 2026 policy)."""
    visit = VisitFactory(institution=institution, person=test.w.employee)
    settlement = SettlementFactory(visit=visit, policy_version=test.w.policy_2026)
    return SuspectItemFactory(settlement=settlement, **kwargs).pk


class SuspectItemList(InstitutionEndpointTests, APITestBase):
    namespace = "review-api"
    url_name = "suspect-item-list"


class SuspectItemDetail(InstitutionScopedEndpointTests, APITestBase):
    namespace = "review-api"
    url_name = "suspect-item-detail"

    def make_object(self, institution):
        return {"pk": suspect_item(self, institution)}


class SuspectItemAppeal(InstitutionScopedEndpointTests, APITestBase):
    namespace = "review-api"
    url_name = "suspect-item-appeal"
    methods = ("post",)
    body = {"explanation": "第二次血常规为复查，有医嘱"}

    def make_object(self, institution):
        return {"pk": suspect_item(self, institution, confirmed=True)}
