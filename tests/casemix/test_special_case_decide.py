"""The decision on a special-case request (特病单议, docs/dip.md): a second caseworker, never the proposer (four
eyes, a superuser included), after a proposal; the decision is the outcome and closes the request."""
import pytest
from django.core.exceptions import PermissionDenied

from casemix import special_cases
from casemix.special_models import SpecialCaseAction, SpecialCaseState
from casemix.special_selectors import approved_settlements, queue, requests, state_of
from claims.errors import ServiceError
from tests.factories import UserFactory

from .special_world import REGION, YEAR, SpecialCaseWorld


class DecideTests(SpecialCaseWorld):
    def test_a_second_caseworker_approves(self):
        request = self.ask_c3()
        special_cases.propose(request, user=self.caseworker, approve=True, reason="病历支持")
        step = special_cases.decide(request, user=self.caseworker2, approve=True, reason="同意")
        assert (step.action, step.approve, step.actor) == (SpecialCaseAction.DECIDED, True, self.caseworker2)
        assert state_of(requests().get(pk=request.pk)) == SpecialCaseState.APPROVED
        assert approved_settlements(REGION, YEAR) == {self.settlements["c3"].pk}
        assert list(queue()) == []

    def test_the_proposer_is_refused(self):
        request = self.ask_c3()
        special_cases.propose(request, user=self.caseworker, approve=True, reason="病历支持")
        with pytest.raises(PermissionDenied, match="四眼原则"):
            special_cases.decide(request, user=self.caseworker, approve=True, reason="同意")
        assert state_of(requests().get(pk=request.pk)) == SpecialCaseState.PROPOSED

    def test_a_superuser_proposer_is_refused_too(self):
        boss = UserFactory(username="root", is_superuser=True)
        request = self.ask_c3()
        special_cases.propose(request, user=boss, approve=True, reason="病历支持")
        with pytest.raises(PermissionDenied, match="四眼原则"):
            special_cases.decide(request, user=boss, approve=True, reason="同意")
        special_cases.decide(request, user=self.caseworker, approve=True, reason="同意")

    def test_the_decision_may_differ_from_the_proposal(self):
        request = self.ask_c3()
        special_cases.propose(request, user=self.caseworker, approve=True, reason="病历支持")
        special_cases.decide(request, user=self.caseworker2, approve=False, reason="费用主要为自费项目")
        assert state_of(requests().get(pk=request.pk)) == SpecialCaseState.REJECTED
        assert approved_settlements(REGION, YEAR) == set()

    def test_not_before_a_proposal_not_twice_not_by_others(self):
        request = self.ask_c3()
        with pytest.raises(ServiceError) as caught:
            special_cases.decide(request, user=self.caseworker2, approve=True, reason="r")
        assert caught.value.errors[0]["code"] == "NOT_PROPOSED"
        special_cases.propose(request, user=self.caseworker, approve=True, reason="r")
        with pytest.raises(PermissionDenied):
            special_cases.decide(request, user=self.reviewer, approve=True, reason="r")
        special_cases.decide(request, user=self.caseworker2, approve=True, reason="r")
        with pytest.raises(ServiceError) as caught:
            special_cases.decide(request, user=self.caseworker2, approve=False, reason="r")
        assert caught.value.errors[0]["code"] == "CLOSED"
