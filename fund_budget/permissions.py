"""Who may read the monthly statements and the year-end clearing reports (django-rules; imported once by
FundBudgetConfig.ready, like claims.permissions).

The bureau (the four review roles of claims.permissions, a superuser, or the group `fund_bureau`) reads every
institution's statements and reports. An institution login (insurance.InstitutionUser) reads its own only;
the views answer 404 for anyone else's, so that an institution cannot even learn which numbers exist.

Reopening an unpaid month (fund_budget.reopening) takes two supervisors: one requests, another approves.
The services call the predicates directly (`can_approve_reopening.test(user, request)`), as claims.permissions
explains, so that a superuser does not pass the four-eyes check either.
"""
from __future__ import annotations

import rules

from claims.permissions import (
    _institution_id,
    is_active_superuser,
    is_bureau_staff,
    is_institution_user,
    is_supervisor,
)

FUND_BUREAU_GROUP = "fund_bureau"

is_fund_bureau = is_bureau_staff | rules.is_group_member(FUND_BUREAU_GROUP)


def institution_of(user) -> int | None:
    """The institution an institution login acts for, else None (claims.permissions)."""
    return _institution_id(user)


@rules.predicate
def is_own_institution(user, obj) -> bool:
    """The user acts for the institution the statement or clearing report (anything with institution_id)
    belongs to."""
    if obj is None:
        return False
    inst = _institution_id(user)
    return inst is not None and inst == obj.institution_id


# The lists: the bureau sees all rows, an institution its own (the selectors scope the rows).
can_list_statements = is_fund_bureau | is_institution_user
# One statement or clearing report, its XLSX and PDF.
can_view_statement = is_fund_bureau | is_own_institution
can_view_clearing = is_fund_bureau | is_own_institution



@rules.predicate
def requested_the_reopening(user, reopening_request) -> bool:
    """The user made the reopening request (fund_budget.MonthReopeningRequest)."""
    return reopening_request is not None and reopening_request.requested_by_id == getattr(user, "pk", None)


# Reopening a month: a supervisor requests; a supervisor other than the requester approves (four eyes,
# superusers included).
can_request_reopening = is_supervisor | is_active_superuser
can_approve_reopening = (is_supervisor | is_active_superuser) & ~requested_the_reopening

rules.add_perm("fund_budget.list_statements", can_list_statements)
rules.add_perm("fund_budget.view_statement", can_view_statement)
rules.add_perm("fund_budget.view_clearing", can_view_clearing)
rules.add_perm("fund_budget.request_reopening", can_request_reopening)
rules.add_perm("fund_budget.approve_reopening", can_approve_reopening)
