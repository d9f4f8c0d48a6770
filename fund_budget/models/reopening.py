"""Reopening an unpaid month (four eyes): a supervisor's request, another supervisor's approval, and the
statements the approval superseded. All three are absolute append-only (pgtrigger Protect): a reopening is
recorded, never edited or withdrawn. The verbs are in fund_budget.reopening; docs/fund.md explains the design."""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fund_budget.models.common import APPEND_ONLY, USER, _check
from fund_budget.models.statements import MonthlyRun, MonthlyStatement


class MonthReopeningRequest(models.Model):
    """A supervisor asks to reopen a month's run, saying why. Open until another supervisor approves it."""

    run = models.ForeignKey(MonthlyRun, on_delete=models.PROTECT, related_name="reopening_requests",
                            verbose_name=_("月度结算批次"))
    reason = models.TextField(_("重开原因"))
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("月份重开申请")
        verbose_name_plural = _("月份重开申请")
        ordering = ["-requested_at"]
        constraints = [_check(~Q(reason__regex=r"^\s*$"), "reason_not_blank")]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.run} #{self.pk}"


class MonthReopeningApproval(models.Model):
    """The second supervisor's approval (never the requester): the run's statements are superseded."""

    request = models.OneToOneField(MonthReopeningRequest, on_delete=models.PROTECT, related_name="approval",
                                   verbose_name=_("月份重开申请"))
    approved_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("审批人"))
    approved_at = models.DateTimeField(_("审批时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("月份重开审批")
        verbose_name_plural = _("月份重开审批")
        ordering = ["-approved_at"]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.request.run} #{self.request_id}"


class SupersededStatement(models.Model):
    """A statement that an approved reopening took out of the figures; the statement itself is unchanged."""

    statement = models.OneToOneField(MonthlyStatement, on_delete=models.PROTECT, related_name="superseded",
                                     verbose_name=_("月度结算单"))
    approval = models.ForeignKey(MonthReopeningApproval, on_delete=models.PROTECT,
                                 related_name="superseded_statements", verbose_name=_("月份重开审批"))

    class Meta:
        verbose_name = _("已作废结算单")
        verbose_name_plural = _("已作废结算单")
        ordering = ["statement"]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.statement} ({self.approval})"
