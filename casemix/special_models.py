"""Special-case review (特病单议, docs/dip.md "Special-case review"): an institution's request that a high-cost
case be paid by items, and the steps on it: a caseworker's proposal, a second caseworker's decision (four eyes),
or the institution's withdrawal. Append-only: a request is never updated; its state is read from its steps.
The verbs are casemix.special_cases', the reads casemix.special_selectors'. casemix.models imports this module
so that Django registers the models in the casemix app."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.ledger import append_only


class SpecialCaseState(models.TextChoices):
    """A request's state, read from its steps (never stored)."""

    OPEN = "open", _("待初审")
    PROPOSED = "proposed", _("待复核")
    APPROVED = "approved", _("已同意(按项目付费)")
    REJECTED = "rejected", _("未同意")
    WITHDRAWN = "withdrawn", _("已撤回")
    LAPSED = "lapsed", _("逾期未决")


class SpecialCaseAction(models.TextChoices):
    PROPOSED = "proposed", _("初审意见")
    DECIDED = "decided", _("复核决定")
    WITHDRAWN = "withdrawn", _("机构撤回")


class SpecialCaseRequest(models.Model):
    """An institution asks that a case its latest run scored high (高倍率) be paid by items."""

    settlement = models.ForeignKey("claims.Settlement", on_delete=models.PROTECT, related_name="special_requests",
                                   verbose_name=_("结算记录"))
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("医药机构"))
    region = models.CharField(_("统筹区"), max_length=6)
    year = models.PositiveSmallIntegerField(_("年度"))
    run = models.ForeignKey("casemix.DipRun", on_delete=models.PROTECT, related_name="+",
                            verbose_name=_("运行"), help_text=_("提出申请时显示该病例为高倍率的运行"))
    reason = models.TextField(_("申请理由"))
    evidence = models.TextField(_("佐证说明"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("申请人"))

    class Meta:
        verbose_name = _("特病单议申请")
        verbose_name_plural = _("特病单议申请")
        ordering = ["-created_at", "-pk"]
        triggers = [append_only()]
        indexes = [models.Index(fields=["institution", "created_at"], name="casemix_special_inst_idx"),
                   models.Index(fields=["region", "year"], name="casemix_special_year_idx")]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="%(app_label)s_%(class)s_reason")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.settlement_id}"


class SpecialCaseStep(models.Model):
    """A step on a request: a proposal, a decision (the outcome) or a withdrawal, with who, when and why. At most
    one of each per request; a decision or a withdrawal closes it."""

    request = models.ForeignKey(SpecialCaseRequest, on_delete=models.PROTECT, related_name="steps",
                                verbose_name=_("特病单议申请"))
    action = models.CharField(_("操作"), max_length=10, choices=SpecialCaseAction.choices)
    approve = models.BooleanField(_("同意按项目付费"), null=True, blank=True)
    reason = models.TextField(_("意见"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("操作时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("特病单议步骤")
        verbose_name_plural = _("特病单议步骤")
        ordering = ["request", "at", "pk"]
        triggers = [append_only()]
        constraints = [
            models.UniqueConstraint(fields=["request", "action"], name="%(app_label)s_%(class)s_one_each"),
            models.CheckConstraint(condition=Q(action__in=SpecialCaseAction.values),
                                   name="%(app_label)s_%(class)s_action"),
            models.CheckConstraint(condition=Q(action=SpecialCaseAction.WITHDRAWN, approve__isnull=True)
                                   | (~Q(action=SpecialCaseAction.WITHDRAWN) & Q(approve__isnull=False)),
                                   name="%(app_label)s_%(class)s_approve_shape"),
            models.CheckConstraint(condition=~Q(reason=""), name="%(app_label)s_%(class)s_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action} {self.approve}"
