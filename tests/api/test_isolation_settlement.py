"""Who reaches the settlement routes of the provider API: pre-settlement, settlement, settlements and their
cancellation, reconciliation (tests/api/isolation.py gives every declaration its 401, 403, 404 and owner
tests)."""
from django.utils import timezone

from .base import APITestBase, ensure_policy_for
from .isolation import (
    InstitutionEndpointTests,
    InstitutionScopedEndpointTests,
    registered_visit,
    settled_visit,
)


class VisitPresettle(InstitutionScopedEndpointTests, APITestBase):
    url_name = "visit-presettle"
    methods = ("post",)
    body = {}

    def make_object(self, institution):
        return {"mdtrt_id": registered_visit(self, institution, discharge=True)}


class VisitSettle(InstitutionScopedEndpointTests, APITestBase):
    """The clerk settles now (only staff users may give a setl_time): a policy must be in force today."""

    url_name = "visit-settle"
    methods = ("post",)
    body = {}

    def make_object(self, institution):
        ensure_policy_for(timezone.localdate())
        return {"mdtrt_id": registered_visit(self, institution, discharge=True)}


class SettlementList(InstitutionEndpointTests, APITestBase):
    url_name = "settlement-list"


class SettlementDetail(InstitutionScopedEndpointTests, APITestBase):
    url_name = "settlement-detail"

    def make_object(self, institution):
        return {"setl_id": settled_visit(self, institution)["setl_id"]}


class SettlementCancel(InstitutionScopedEndpointTests, APITestBase):
    url_name = "settlement-cancel"
    methods = ("post",)
    body = {"reason": "费用录入错误"}

    def make_object(self, institution):
        return {"setl_id": settled_visit(self, institution)["setl_id"]}


class Reconciliation(InstitutionEndpointTests, APITestBase):
    url_name = "reconciliation"
    methods = ("post",)
    body = {"stmt_begndate": "2026-01-01", "stmt_enddate": "2026-12-31", "medfee_sumamt": "0.00",
            "fund_pay_sumamt": "0.00", "acct_pay": "0.00", "fixmedins_setl_cnt": 0}
