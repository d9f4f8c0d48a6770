"""Reopening an unpaid month with four eyes (docs/fund.md, "Reopening an unpaid month").

Statements and runs are absolute append-only, so a month is never reopened by an UPDATE: a supervisor asks
(request_reopening, with a reason), another supervisor approves (approve_reopening). The approval supersedes
the run's statements (one SupersededStatement row each; the statements stay as issued), marks the run's
pending payments `superseded` and gives back to `pending` the receivables the run had offset, so that
settle_month can issue the month again (a run of the next sequence with the same previous run).

A month may be reopened only while nothing of it has left the fund: the run is the latest current run (the
next month took its window from this run's cutoff), every payment of its statements is still pending, and
the year's clearing, which sums the statements, is not approved. Both verbs check it under the month lock
(fund_budget.monthly.lock_months), the approval again with the payments locked, so a payment made meanwhile
refuses the approval rather than being lost.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core.ledger import money_writes

from .common import FundError
from .models import (
    Disbursement,
    DisbursementStatus,
    MonthlyRun,
    MonthlyStatement,
    MonthReopeningApproval,
    MonthReopeningRequest,
    SupersededStatement,
)
from .monthly import lock_months
from .permissions import can_approve_reopening, can_request_reopening, requested_the_reopening
from .selectors import month_text, open_request, reopening_refusal


def request_reopening(run: MonthlyRun, reason: str, user) -> MonthReopeningRequest:
    """A supervisor asks to reopen the month of `run`, saying why. Refused (FundError) for a month that cannot
    be reopened or that already has an open request; PermissionDenied for anyone but a supervisor."""
    if not can_request_reopening.test(user):
        raise PermissionDenied(_("Only supervisors may request to reopen a month."))
    reason = (reason or "").strip()
    if not reason:
        raise FundError(_("必须说明重开原因。"))
    with transaction.atomic():
        lock_months()
        refusal = reopening_refusal(run)
        if refusal:
            raise FundError(refusal)
        pending = open_request(run)
        if pending is not None:
            raise FundError(_("%(month)s 已有待审批的重开申请(%(user)s，%(reason)s)。") % {
                "month": month_text(run), "user": pending.requested_by.get_username(), "reason": pending.reason})
        return MonthReopeningRequest.objects.create(run=run, reason=reason, requested_by=user)


def approve_reopening(request: MonthReopeningRequest, user) -> MonthReopeningApproval:
    """A second supervisor approves the request: the run's statements are superseded, its pending payments
    marked superseded, the receivables it had offset pending again (one money_writes block, under the month
    lock). PermissionDenied for the requester (superusers included) and for anyone but a supervisor."""
    if not can_approve_reopening.test(user, request):
        if requested_the_reopening.test(user, request):
            raise PermissionDenied(_("Four eyes: you requested this reopening, so another supervisor must "
                                     "approve it."))
        raise PermissionDenied(_("Only supervisors may approve reopening a month."))
    run = request.run
    with transaction.atomic():
        lock_months()
        if MonthReopeningApproval.objects.filter(request=request).exists():
            raise FundError(_("该重开申请已审批。"))
        refusal = reopening_refusal(run, lock_payments=True)
        if refusal:
            raise FundError(refusal)
        approval = MonthReopeningApproval.objects.create(request=request, approved_by=user)
        SupersededStatement.objects.bulk_create([
            SupersededStatement(statement_id=pk, approval=approval)
            for pk in MonthlyStatement.objects.filter(run=run).values_list("pk", flat=True)])
        with money_writes(user=user, reason=f"reopen {month_text(run)}: {request.reason}"[:200]):
            Disbursement.objects.filter(statement__run=run, status=DisbursementStatus.PENDING).update(
                status=DisbursementStatus.SUPERSEDED)
            Disbursement.objects.filter(offset_statement__run=run, status=DisbursementStatus.OFFSET).update(
                status=DisbursementStatus.PENDING, offset_statement=None)
    return approval
