"""The verbs of the special-case review (特病单议, docs/dip.md "Special-case review"): an institution asks that a
case its latest run scored high be paid by items (ask), a caseworker proposes (propose), a second caseworker
decides (decide; four eyes), the institution withdraws while open (withdraw). Every verb writes one new row and
never changes one; all are refused once the year has a final run. run_dip_year reads the approved cases
(special_selectors.approved_settlements) and passes them to the engine."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from claims.errors import ServiceError
from claims.models import Settlement

from . import special_selectors as sel
from .models import CaseKind
from .permissions import (
    can_decide_special_case,
    can_handle_special_case,
    can_withdraw_special_case,
    institution_of,
    proposed_it,
)
from .special_models import SpecialCaseAction, SpecialCaseRequest, SpecialCaseState, SpecialCaseStep

REASON_MAX = 5000


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def _text(value, field: str, *, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not text:
        raise ServiceError.one(field, "REQUIRED", _("必须填写%(what)s。") % {"what": _("理由")})
    if len(text) > REASON_MAX:
        raise ServiceError.one(field, "TOO_LONG", _("最多 %(n)d 个字符。") % {"n": REASON_MAX})
    return text


def _not_final(region: str, year: int) -> None:
    if sel.year_is_final(region, year):
        raise ServiceError.one("setl_id", "YEAR_FINAL", _(
            "%(y)s 年度的DIP已最终清算，特病单议已确定，不能再申请或审批。") % {"y": year})


def ask(settlement: Settlement, *, user, reason, evidence="") -> SpecialCaseRequest:
    """The institution asks that `settlement` (its own, grouped high in the latest run of its year) be paid by
    items. ServiceError naming the field otherwise; PermissionDenied for anyone but the institution's login."""
    if institution_of(user) != settlement.institution_id:
        raise PermissionDenied(_("只有该结算所属机构的用户可以申请特病单议。"))
    reason = _text(reason, "appy_rea")
    evidence = _text(evidence, "evid_desc", required=False)
    region, year = settlement.institution.region, sel.settlement_year(settlement)
    with transaction.atomic():
        # one writer per case at a time: one open request per case
        Settlement.objects.select_for_update().filter(pk=settlement.pk).first()
        _not_final(region, year)
        if sel.approved(settlement.pk):
            raise ServiceError.one("setl_id", "ALREADY_APPROVED", _("该病例的特病单议已同意。"))
        result = sel.case_in_latest_run(settlement)
        if result is None or result.kind != CaseKind.HIGH:
            raise ServiceError.one("setl_id", "NOT_HIGH_CASE", _(
                "只有最近一次DIP运行中为高倍率的入组病例可以申请特病单议(现为：%(k)s)。") % {
                "k": CaseKind(result.kind).label if result is not None else _("未参加运行")})
        if sel.open_request_of(settlement.pk) is not None:
            raise ServiceError.one("setl_id", "OPEN_REQUEST", _("该病例已有未办结的特病单议申请。"))
        return SpecialCaseRequest.objects.create(
            settlement=settlement, institution_id=settlement.institution_id, region=region, year=year,
            run=result.run, reason=reason, evidence=evidence, created_by=_user(user))


def _locked_open(request: SpecialCaseRequest) -> SpecialCaseRequest:
    """The request, locked, with its steps; ServiceError unless it is open and its year not final."""
    request = sel.requests().select_for_update(of=("self",)).get(pk=request.pk)
    _not_final(request.region, request.year)
    if sel.state_of(request, final=False) not in (SpecialCaseState.OPEN, SpecialCaseState.PROPOSED):
        raise ServiceError.one("state", "CLOSED", _("该申请已办结(%(s)s)。") % {
            "s": sel.state_of(request, final=False).label})
    return request


def _step(request, action: str, *, user, approve, reason) -> SpecialCaseStep:
    return SpecialCaseStep.objects.create(request=request, action=action, approve=approve, reason=reason,
                                          actor=_user(user))


def propose(request: SpecialCaseRequest, *, user, approve: bool, reason) -> SpecialCaseStep:
    """A caseworker's first opinion on an open request: approve or reject, with a reason."""
    if not can_handle_special_case.test(user):
        raise PermissionDenied(_("只有经办人员可以审核特病单议。"))
    reason = _text(reason, "reason")
    with transaction.atomic():
        request = _locked_open(request)
        if sel.proposal(request) is not None:
            raise ServiceError.one("state", "ALREADY_PROPOSED", _("该申请已有初审意见，待另一位经办人员复核。"))
        return _step(request, SpecialCaseAction.PROPOSED, user=user, approve=bool(approve), reason=reason)


def decide(request: SpecialCaseRequest, *, user, approve: bool, reason) -> SpecialCaseStep:
    """A second caseworker decides a proposed request (the outcome): approved, the case is paid by items from the
    next run on. Four eyes: the proposer is refused, a superuser too."""
    reason = _text(reason, "reason")
    with transaction.atomic():
        request = _locked_open(request)
        if not can_decide_special_case.test(user, request):
            if proposed_it.test(user, request):
                raise PermissionDenied(_("四眼原则：提出初审意见的经办人员不能复核同一申请。"))
            raise PermissionDenied(_("只有经办人员可以审核特病单议。"))
        if sel.proposal(request) is None:
            raise ServiceError.one("state", "NOT_PROPOSED", _("该申请还没有初审意见。"))
        return _step(request, SpecialCaseAction.DECIDED, user=user, approve=bool(approve), reason=reason)


def withdraw(request: SpecialCaseRequest, *, user, reason) -> SpecialCaseStep:
    """The institution withdraws its open request."""
    if not can_withdraw_special_case.test(user, request):
        raise PermissionDenied(_("只有申请机构的用户可以撤回申请。"))
    reason = _text(reason, "appy_rea")
    with transaction.atomic():
        request = _locked_open(request)
        return _step(request, SpecialCaseAction.WITHDRAWN, user=user, approve=None, reason=reason)
