"""Smart-audit review (issue #5): the hits the audit engine found, the suspect items (疑点) a reviewer
confirms or dismisses, the institution's appeal (申诉), and the append-only trail of every step.

The verbs are in review.services, the reads in review.selectors, who may do what in claims.permissions.

These models were born in the claims app and moved here without touching the database: their tables,
constraints, indexes and trigger keep the names they were created with (claims_audithit, ...), because
the daily batch (claims.batch.audit) and the benchmarks write these tables with raw SQL, and a rename
would drop and rebuild what other code relies on. Hence the explicit db_table and "claims_" names below.
"""
import hashlib

import pgtrigger
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.ledger import append_only

__all__ = [
    "Appeal",
    "AppealState",
    "AuditHit",
    "HitStage",
    "HitSeverity",
    "ReviewAction",
    "ReviewEvent",
    "SuspectItem",
    "SuspectState",
]

_MONEY = {"max_digits": 14, "decimal_places": 2}
_USER = settings.AUTH_USER_MODEL
# The prefix of the constraints' names: the app label they were created under, not this app's.
_NAME = "claims_%(class)s_"


def _choice(field: str, choices) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=f"{_NAME}{field}")


class _ClaimsNamedProtect(pgtrigger.Protect):
    """pgtrigger.Protect under the database name it got in the claims app.

    pgtrigger names a trigger and its function after "<app_label>.<Model>:<name>"; moving the model to
    this app would rename them, and its migrations would drop and re-create the trigger. The name is
    computed as pgtrigger does, with the app label the trigger was installed under."""

    def get_pgid(self, model) -> str:
        digest = hashlib.sha1(f"claims.{model._meta.object_name}:{self.name}".encode()).hexdigest()[:5]
        return f"pgtrigger_{self.name}_{digest}".lower()


class HitStage(models.TextChoices):
    UPLOAD = "upload", _("明细上传")
    PRESETTLE = "presettle", _("预结算")
    SETTLEMENT = "settlement", _("结算")


class HitSeverity(models.TextChoices):
    WARN = "warn", _("提醒")
    SUSPECT = "suspect", _("疑点")


class AuditHit(models.Model):
    """One finding of one rule: the lines concerned, the evidence in words and the amount at stake."""

    # no index of its own: (rule, created_at) leads with it
    rule = models.ForeignKey("policy_rules.AuditRuleDefinition", on_delete=models.PROTECT, db_index=False,
                             related_name="hits", verbose_name=_("审核规则"))
    rule_code = models.CharField(_("规则编码"), max_length=40)
    rule_type = models.CharField(_("规则类型"), max_length=40)
    severity = models.CharField(_("严重程度"), max_length=10, choices=HitSeverity.choices)
    stage = models.CharField(_("审核环节"), max_length=12, choices=HitStage.choices)
    # no index of its own: (visit, stage) leads with it
    visit = models.ForeignKey("claims.Visit", on_delete=models.PROTECT, db_index=False,
                              related_name="audit_hits", verbose_name=_("就诊"))
    settlement = models.ForeignKey("claims.Settlement", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="audit_hits", verbose_name=_("结算记录"))
    # no index of its own: (institution, created_at) leads with it
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT, db_index=False,
                                    related_name="audit_hits", verbose_name=_("医药机构"))
    feedetl_sns = models.JSONField(_("费用明细流水号"), default=list, blank=True)
    fee_line_ids = models.JSONField(_("费用明细ID"), default=list, blank=True)
    amount = models.DecimalField(_("涉及金额"), **_MONEY, validators=[MinValueValidator(0)])
    evidence = models.TextField(_("依据"))
    related_mdtrt_id = models.CharField(_("关联就诊ID"), max_length=30, blank=True)
    # both mostly empty: indexed where set only (partial indexes below)
    related_visit = models.ForeignKey("claims.Visit", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("关联就诊"), db_index=False)
    item = models.ForeignKey("review.SuspectItem", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="hits", verbose_name=_("疑点"), db_index=False)
    key = models.CharField(_("去重键"), max_length=64, unique=True,
                           help_text=_("环节、规则、就诊、结算、明细、金额的摘要；同一发现只记录一次"))
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    class Meta:
        db_table = "claims_audithit"
        verbose_name = _("审核命中")
        verbose_name_plural = _("审核命中")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["rule", "created_at"]),
            models.Index(fields=["institution", "created_at"]),
            models.Index(fields=["visit", "stage"]),
            # the hits of a day, all rules (the workspace's dashboard)
            models.Index(fields=["created_at"], name="claims_audithit_created_idx"),
            models.Index(fields=["related_visit"], condition=Q(related_visit__isnull=False),
                         name="claims_hit_related_visit_idx"),
            models.Index(fields=["item"], condition=Q(item__isnull=False), name="claims_hit_item_idx"),
        ]
        constraints = [
            _choice("severity", HitSeverity),
            _choice("stage", HitStage),
            models.CheckConstraint(condition=Q(amount__gte=0), name=_NAME + "amount_gte_0"),
            models.CheckConstraint(condition=~Q(stage=HitStage.SETTLEMENT) | Q(settlement__isnull=False),
                                   name=_NAME + "settlement_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_code} {self.visit_id} {self.amount}"


class SuspectState(models.TextChoices):
    PENDING = "pending", _("待审核")
    CONFIRMED = "confirmed", _("已确认扣款")
    DISMISSED = "dismissed", _("已排除")
    APPEALED = "appealed", _("申诉中")
    REVERSED = "reversed", _("申诉成立已退还")


class SuspectItem(models.Model):
    """疑点: the suspect hits of one rule on one settled visit, for a reviewer to confirm or dismiss.

    pending → confirmed (a deduction is recorded) | dismissed;
    confirmed → appealed (the institution files an appeal) → confirmed (upheld) | reversed (deduction given back).
    """

    visit = models.ForeignKey("claims.Visit", on_delete=models.PROTECT, related_name="suspect_items",
                              verbose_name=_("就诊"))
    settlement = models.ForeignKey("claims.Settlement", on_delete=models.PROTECT, related_name="suspect_items",
                                   verbose_name=_("结算记录"))
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT,
                                    related_name="suspect_items", verbose_name=_("医药机构"))
    rule = models.ForeignKey("policy_rules.AuditRuleDefinition", on_delete=models.PROTECT,
                             related_name="suspect_items", verbose_name=_("审核规则"))
    amount_at_stake = models.DecimalField(_("疑点金额"), **_MONEY, validators=[MinValueValidator(0)],
                                          help_text=_("命中金额合计，以该次结算的基金支付为限"))
    state = models.CharField(_("状态"), max_length=10, choices=SuspectState.choices, default=SuspectState.PENDING)
    confirmed_amount = models.DecimalField(_("确认扣款金额"), **_MONEY, null=True, blank=True)
    confirmed_by = models.ForeignKey(_USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("确认人"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    dismissed_by = models.ForeignKey(_USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("排除人"))
    dismissed_at = models.DateTimeField(_("排除时间"), null=True, blank=True)
    review_reason = models.TextField(_("审核意见"), blank=True)
    deduction = models.ForeignKey("fund_budget.AuditDeduction", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("审核扣款"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        db_table = "claims_suspectitem"
        verbose_name = _("疑点")
        verbose_name_plural = _("疑点")
        ordering = ["-created_at", "-pk"]
        triggers = [append_only()]  # confirmed, dismissed, appealed and given back by review.services only
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["institution", "state"]),
            # the items opened on a day, in every state (the workspace's dashboard)
            models.Index(fields=["created_at"], name="claims_suspect_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "rule"], name=_NAME + "settlement_rule_uniq"),
            _choice("state", SuspectState),
            models.CheckConstraint(condition=Q(amount_at_stake__gte=0),
                                   name=_NAME + "amount_at_stake_gte_0"),
            models.CheckConstraint(
                condition=Q(confirmed_amount__isnull=True)
                | (Q(confirmed_amount__gt=0) & Q(confirmed_amount__lte=F("amount_at_stake"))),
                name=_NAME + "confirmed_amount_range",
            ),
            models.CheckConstraint(
                condition=Q(state__in=[SuspectState.PENDING, SuspectState.DISMISSED])
                | (Q(confirmed_amount__isnull=False) & Q(confirmed_at__isnull=False)),
                name=_NAME + "confirmed_shape",
            ),
            models.CheckConstraint(
                condition=~Q(state=SuspectState.DISMISSED) | Q(dismissed_at__isnull=False),
                name=_NAME + "dismissed_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.rule_id} {self.visit_id} {self.get_state_display()}"


class AppealState(models.TextChoices):
    FILED = "filed", _("已提交")
    UPHELD = "upheld", _("维持扣款")
    REVERSED = "reversed", _("撤销扣款")


class Appeal(models.Model):
    """申诉: the institution's explanation of a confirmed item, decided by someone other than the confirmer."""

    item = models.OneToOneField(SuspectItem, on_delete=models.PROTECT, related_name="appeal",
                                verbose_name=_("疑点"))
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT, related_name="appeals",
                                    verbose_name=_("医药机构"))
    explanation = models.TextField(_("申诉说明"))
    filed_by = models.ForeignKey(_USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("申诉人"))
    filed_at = models.DateTimeField(_("申诉时间"))
    state = models.CharField(_("状态"), max_length=10, choices=AppealState.choices, default=AppealState.FILED)
    decided_by = models.ForeignKey(_USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("复核人"))
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    decision_reason = models.TextField(_("复核意见"), blank=True)

    class Meta:
        db_table = "claims_appeal"
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["-filed_at", "-pk"]
        triggers = [append_only()]  # decided by review.services only
        constraints = [
            _choice("state", AppealState),
            models.CheckConstraint(
                condition=(Q(state=AppealState.FILED) & Q(decided_at__isnull=True))
                | (~Q(state=AppealState.FILED) & Q(decided_at__isnull=False) & ~Q(decision_reason="")),
                name=_NAME + "decided_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.item_id} {self.get_state_display()}"


class ReviewAction(models.TextChoices):
    OPENED = "opened", _("生成疑点")
    CONFIRMED = "confirmed", _("确认扣款")
    DISMISSED = "dismissed", _("排除疑点")
    APPEAL_FILED = "appeal_filed", _("提交申诉")
    APPEAL_UPHELD = "appeal_upheld", _("申诉复核：维持扣款")
    APPEAL_REVERSED = "appeal_reversed", _("申诉复核：撤销扣款")


class ReviewEvent(models.Model):
    """Append-only trail of the review: who did what to which item, when, with which amount and why.

    On PostgreSQL a trigger refuses UPDATE and DELETE."""

    item = models.ForeignKey(SuspectItem, on_delete=models.PROTECT, related_name="events", verbose_name=_("疑点"))
    visit = models.ForeignKey("claims.Visit", on_delete=models.PROTECT, related_name="review_events",
                              verbose_name=_("就诊"))
    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, null=True, blank=True, related_name="events",
                               verbose_name=_("申诉"))
    actor = models.ForeignKey(_USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("操作人"))
    at = models.DateTimeField(_("操作时间"), auto_now_add=True)
    action = models.CharField(_("操作"), max_length=20, choices=ReviewAction.choices)
    from_state = models.CharField(_("原状态"), max_length=10, choices=SuspectState.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=10, choices=SuspectState.choices)
    amount = models.DecimalField(_("金额"), **_MONEY, null=True, blank=True)
    reason = models.TextField(_("原因"), blank=True)

    class Meta:
        db_table = "claims_reviewevent"
        verbose_name = _("审核轨迹")
        verbose_name_plural = _("审核轨迹")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["visit", "at"])]
        constraints = [_choice("action", ReviewAction)]
        triggers = [_ClaimsNamedProtect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.item_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
