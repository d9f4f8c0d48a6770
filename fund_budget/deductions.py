"""Audit deductions (拒付): recorded when the smart-audit review confirms a suspect item, reversed when an
appeal succeeds. A deduction counts in the monthly statement of the month it is confirmed; its reversal
counts back in the month it is reversed. Both calls are idempotent."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.ledger import money_writes
from insurance.models import Institution

from .common import FundError, money
from .models import CURRENT_FUNDS, AuditDeduction, Fund


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def record_deduction(institution: Institution | int, amount, reason: str, *, source_type: str = "",
                     source_id: str = "", fund: str = Fund.EMPLOYEE_POOL, user=None) -> AuditDeduction:
    """Record a confirmed deduction now. With a source (source_type, source_id) a second call for the
    same source returns the first deduction instead of deducting twice. fund is the fund of the amount deducted
    (a current fund: the codes before the split are for the rows written then)."""
    institution_id = getattr(institution, "pk", institution)
    amount = money(amount)
    if amount <= 0:
        raise FundError(_("扣款金额必须大于0。"))
    if not (reason or "").strip():
        raise FundError(_("扣款必须说明原因。"))
    if fund not in CURRENT_FUNDS:
        raise FundError(_("未知的基金：%(fund)s") % {"fund": fund})
    source_id = str(source_id or "")
    if source_id:
        existing = AuditDeduction.objects.filter(source_type=source_type, source_id=source_id).first()
        if existing is not None:
            return _same_or_error(existing, institution_id, amount, fund)
    try:
        with transaction.atomic():
            return AuditDeduction.objects.create(
                institution_id=institution_id, fund=fund, amount=amount, reason=reason.strip(),
                source_type=source_type, source_id=source_id, confirmed_at=timezone.now(),
                confirmed_by=_user(user))
    except IntegrityError:
        if not source_id:
            raise
        # recorded concurrently for the same source
        existing = AuditDeduction.objects.get(source_type=source_type, source_id=source_id)
        return _same_or_error(existing, institution_id, amount, fund)


def _same_or_error(existing: AuditDeduction, institution_id: int, amount, fund: str) -> AuditDeduction:
    if (existing.institution_id, existing.amount, existing.fund) != (institution_id, amount, fund):
        raise FundError(_("来源 %(src)s 已登记过不同的扣款。") % {
            "src": f"{existing.source_type}:{existing.source_id}"})
    return existing


def reverse_deduction(deduction: AuditDeduction | int, *, reason: str, user=None) -> AuditDeduction:
    """Reverse a deduction now (appeal upheld). Reversing an already reversed deduction changes nothing."""
    if not (reason or "").strip():
        raise FundError(_("撤销扣款必须说明原因。"))
    pk = getattr(deduction, "pk", deduction)
    with money_writes(user=user, reason=reason.strip()):
        AuditDeduction.objects.filter(pk=pk, reversed_at__isnull=True).update(
            reversed_at=timezone.now(), reversed_by=_user(user), reverse_reason=reason.strip())
    return AuditDeduction.objects.get(pk=pk)


def reverse_deduction_for_source(source_type: str, source_id: str, *, reason: str, user=None) -> AuditDeduction:
    """reverse_deduction for the deduction recorded for a source (e.g. the suspect item an appeal is about)."""
    deduction = AuditDeduction.objects.filter(source_type=source_type, source_id=str(source_id)).first()
    if deduction is None:
        raise FundError(_("没有来源为 %(src)s 的扣款。") % {"src": f"{source_type}:{source_id}"})
    return reverse_deduction(deduction, reason=reason, user=user)
