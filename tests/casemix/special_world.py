"""The worked example of issue 18 with a trial run (c3, H1's case of 25,000, is high) and two caseworkers: what the
special-case review tests (特病单议, docs/dip.md) start from."""
from casemix import special_cases
from casemix.services import run_dip_year
from claims.roles import ensure_roles
from tests.factories import UserFactory

from .worked_world import WorkedExampleWorld

REGION, YEAR = "410800", 2026


class SpecialCaseWorld(WorkedExampleWorld):
    def setUp(self):
        super().setUp()
        ensure_roles()
        self.caseworker = UserFactory(username="jingban1", roles=["caseworker"])
        self.caseworker2 = UserFactory(username="jingban2", roles=["caseworker"])
        self.reviewer = UserFactory(username="shenhe1", roles=["reviewer"])
        self.trial = run_dip_year(REGION, YEAR, reason="trial")

    def ask_c3(self, **extra):
        return special_cases.ask(self.settlements["c3"], user=self.w.user_a,
                                 reason=extra.pop("reason", "多发伤合并感染，住院时间长"),
                                 evidence=extra.pop("evidence", "病程记录第12页"), **extra)

    def approve(self, request):
        special_cases.propose(request, user=self.caseworker, approve=True, reason="病历支持")
        return special_cases.decide(request, user=self.caseworker2, approve=True, reason="同意按项目付费")
