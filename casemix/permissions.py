"""Who may do what in the special-case review (特病单议, docs/dip.md). The services test the predicates directly
(`can_decide_special_case.test(user, request)`), as claims.permissions explains, so that a superuser does not
pass the four-eyes check either.

  an institution login        asks for its own high cases and withdraws its own open requests
  caseworker, supervisor,     proposes (approve or reject, with a reason), or decides a request another of
  active superuser            them proposed (four eyes: never the proposer)
  any bureau role, and the     reads the queue and every request: the DIP pages' readers
  fund bureau group           (casemix.views.page_scope)
"""
from __future__ import annotations

import rules

from claims.permissions import (
    _institution_id,
    is_active_superuser,
    is_caseworker,
    is_supervisor,
)

from .special_models import SpecialCaseAction


def institution_of(user) -> int | None:
    """The institution an institution login acts for, else None."""
    return _institution_id(user)


@rules.predicate
def is_own_request(user, request) -> bool:
    inst = _institution_id(user)
    return request is not None and inst is not None and inst == request.institution_id


@rules.predicate
def proposed_it(user, request) -> bool:
    """The user made the request's proposal."""
    if request is None or not getattr(user, "is_authenticated", False):
        return False
    return any(s.action == SpecialCaseAction.PROPOSED and s.actor_id == user.pk for s in request.steps.all())


can_handle_special_case = is_caseworker | is_supervisor | is_active_superuser
can_decide_special_case = can_handle_special_case & ~proposed_it
can_withdraw_special_case = is_own_request
