"""A caseworker's proposal on a special-case request (特病单议, docs/dip.md): approve or reject with a reason, once,
by a caseworker only, while the request is open and its year not final."""
import pytest
from django.core.exceptions import PermissionDenied

from casemix import special_cases
from casemix.services import run_dip_year
from casemix.special_models import SpecialCaseAction, SpecialCaseState
from casemix.special_selectors import proposal, queue, requests, state_of
from claims.errors import ServiceError
from tests.append_only import refused_everywhere

from .special_world import REGION, YEAR, SpecialCaseWorld


class ProposeTests(SpecialCaseWorld):
    def test_a_caseworker_proposes_and_the_request_waits_for_a_second(self):
        request = self.ask_c3()
        assert list(queue()) == [request]
        step = special_cases.propose(request, user=self.caseworker, approve=True, reason="病历支持")
        assert (step.action, step.approve, step.reason, step.actor) == (
            SpecialCaseAction.PROPOSED, True, "病历支持", self.caseworker)
        request = requests().get(pk=request.pk)
        assert proposal(request) == step and state_of(request) == SpecialCaseState.PROPOSED
        assert list(queue()) == [request]  # still open: a decision closes it

    def test_only_once(self):
        request = self.ask_c3()
        special_cases.propose(request, user=self.caseworker, approve=False, reason="不支持")
        with pytest.raises(ServiceError) as caught:
            special_cases.propose(request, user=self.caseworker2, approve=True, reason="支持")
        assert caught.value.errors[0]["code"] == "ALREADY_PROPOSED"

    def test_only_a_caseworker_and_with_a_reason(self):
        request = self.ask_c3()
        for user in (self.reviewer, self.w.user_a):
            with pytest.raises(PermissionDenied):
                special_cases.propose(request, user=user, approve=True, reason="r")
        with pytest.raises(ServiceError) as caught:
            special_cases.propose(request, user=self.caseworker, approve=True, reason="")
        assert caught.value.errors[0]["field"] == "reason"
        assert not request.steps.exists()

    def test_refused_once_the_year_is_final_and_the_request_lapses(self):
        request = self.ask_c3()
        run_dip_year(REGION, YEAR, final=True)
        with pytest.raises(ServiceError) as caught:
            special_cases.propose(request, user=self.caseworker, approve=True, reason="r")
        assert caught.value.errors[0]["code"] == "YEAR_FINAL"
        assert state_of(request) == SpecialCaseState.LAPSED
        assert list(queue()) == []

    def test_a_step_is_append_only(self):
        step = special_cases.propose(self.ask_c3(), user=self.caseworker, approve=True, reason="r")
        refused_everywhere(step, "reason", "changed")
