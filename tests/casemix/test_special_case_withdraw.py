"""The institution withdraws its special-case request (特病单议, docs/dip.md) while it is open, with a reason."""
import pytest
from django.core.exceptions import PermissionDenied

from casemix import special_cases
from casemix.special_models import SpecialCaseState
from casemix.special_selectors import queue, requests, state_of
from claims.errors import ServiceError

from .special_world import SpecialCaseWorld


class WithdrawTests(SpecialCaseWorld):
    def test_withdrawn_while_open_even_after_a_proposal(self):
        request = self.ask_c3()
        special_cases.propose(request, user=self.caseworker, approve=False, reason="不支持")
        step = special_cases.withdraw(request, user=self.w.user_a, reason="补充材料后再申请")
        assert (step.action, step.approve, step.actor) == ("withdrawn", None, self.w.user_a)
        assert state_of(requests().get(pk=request.pk)) == SpecialCaseState.WITHDRAWN
        assert list(queue()) == []
        with pytest.raises(ServiceError) as caught:  # closed: nobody decides it any more
            special_cases.decide(request, user=self.caseworker2, approve=True, reason="r")
        assert caught.value.errors[0]["code"] == "CLOSED"
        self.ask_c3()  # and the case may be asked for again

    def test_not_after_the_decision(self):
        request = self.ask_c3()
        self.approve(request)
        with pytest.raises(ServiceError) as caught:
            special_cases.withdraw(request, user=self.w.user_a, reason="r")
        assert caught.value.errors[0]["code"] == "CLOSED"

    def test_only_the_institution_and_with_a_reason(self):
        request = self.ask_c3()
        for user in (self.w.user_b, self.caseworker):
            with pytest.raises(PermissionDenied):
                special_cases.withdraw(request, user=user, reason="r")
        with pytest.raises(ServiceError) as caught:
            special_cases.withdraw(request, user=self.w.user_a, reason="")
        assert caught.value.errors[0]["field"] == "appy_rea"
        assert state_of(requests().get(pk=request.pk)) == SpecialCaseState.OPEN
