"""Asking for a special case (特病单议, docs/dip.md): only the institution's own case, high in the latest run of its
year, with a reason; one open request per case; nothing once the year has a final run. Append-only records."""
import pytest
from django.core.exceptions import PermissionDenied

from casemix import special_cases
from casemix.services import run_dip_year
from casemix.special_models import SpecialCaseRequest, SpecialCaseState
from casemix.special_selectors import askable_cases, state_of
from claims.errors import ServiceError
from tests.append_only import refused_everywhere

from .special_world import REGION, YEAR, SpecialCaseWorld


def codes(caught) -> set[tuple[str, str]]:
    return {(e["field"], e["code"]) for e in caught.value.errors}


class AskTests(SpecialCaseWorld):
    def test_the_institution_asks_for_its_high_case(self):
        request = self.ask_c3()
        assert (request.settlement, request.institution, request.region, request.year, request.run) == (
            self.settlements["c3"], self.w.inst_a, REGION, YEAR, self.trial)
        assert (request.reason, request.evidence, request.created_by) == (
            "多发伤合并感染，住院时间长", "病程记录第12页", self.w.user_a)
        assert state_of(request) == SpecialCaseState.OPEN
        assert askable_cases(self.w.inst_a) == []  # c3 has an open request now

    def test_only_a_high_case_of_the_latest_run_may_be_asked_for(self):
        assert [r.settlement.setl_id for r in askable_cases(self.w.inst_a)] == ["c3"]
        for case in ("c1", "c2"):  # normal, low
            with pytest.raises(ServiceError) as caught:
                special_cases.ask(self.settlements[case], user=self.w.user_a, reason="r")
            assert codes(caught) == {("setl_id", "NOT_HIGH_CASE")}
        with pytest.raises(ServiceError) as caught:  # c6: ungrouped
            special_cases.ask(self.settlements["c6"], user=self.w.user_b, reason="r")
        assert codes(caught) == {("setl_id", "NOT_HIGH_CASE")}
        assert not SpecialCaseRequest.objects.exists()

    def test_a_reason_is_required(self):
        with pytest.raises(ServiceError) as caught:
            self.ask_c3(reason="   ")
        assert codes(caught) == {("appy_rea", "REQUIRED")}

    def test_another_institution_may_not_ask(self):
        with pytest.raises(PermissionDenied):
            special_cases.ask(self.settlements["c3"], user=self.w.user_b, reason="r")
        with pytest.raises(PermissionDenied):
            special_cases.ask(self.settlements["c3"], user=self.caseworker, reason="r")

    def test_one_open_request_per_case_and_a_new_one_after_a_rejection(self):
        first = self.ask_c3()
        with pytest.raises(ServiceError) as caught:
            self.ask_c3()
        assert codes(caught) == {("setl_id", "OPEN_REQUEST")}
        special_cases.propose(first, user=self.caseworker, approve=False, reason="病历不支持")
        special_cases.decide(first, user=self.caseworker2, approve=False, reason="维持")
        second = self.ask_c3(evidence="补充：ICU 记录")
        assert state_of(first) == SpecialCaseState.REJECTED and state_of(second) == SpecialCaseState.OPEN

    def test_an_approved_case_is_not_asked_for_again(self):
        self.approve(self.ask_c3())
        with pytest.raises(ServiceError) as caught:
            self.ask_c3()
        assert codes(caught) == {("setl_id", "ALREADY_APPROVED")}

    def test_nothing_once_the_year_has_a_final_run(self):
        run_dip_year(REGION, YEAR, final=True)
        with pytest.raises(ServiceError) as caught:
            self.ask_c3()
        assert codes(caught) == {("setl_id", "YEAR_FINAL")}
        assert askable_cases(self.w.inst_a) == []

    def test_a_request_is_append_only(self):
        refused_everywhere(self.ask_c3(), "reason", "changed")
