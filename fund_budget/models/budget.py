"""Year parameters, thresholds, budgets, agreed indices and their negotiation, audit deductions."""
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fund_budget.models.common import (
    APPEND_ONLY,
    MONEY,
    RATE,
    SERVICES_ONLY,
    USER,
    Fund,
    _check,
    _choice,
    _rate_between_0_and_1,
)
from insurance.validators import validate_region_code


class Rating(models.TextChoices):
    A = "A", "A"
    AA = "AA", "AA"
    AAA = "AAA", "AAA"


# --- parameters -----------------------------------------------------------------------------------


class FundYearParameters(models.Model):
    """All figures of the monthly statements and year-end clearing for one year and pooling region.

    A blank region is the default used for institutions whose region has no row of its own."""

    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.CharField(_("统筹区"), max_length=6, blank=True, validators=[validate_region_code],
                              help_text=_("6位行政区划代码；为空表示默认(适用于没有单独参数的统筹区)"))
    withholding_rate = models.DecimalField(_("质量保证金预留比例"), **RATE)
    payment_day = models.PositiveSmallIntegerField(
        _("拨付日"), default=15, validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("结算月次月的该日前拨付"))
    statement_day = models.PositiveSmallIntegerField(
        _("结算日"), default=10, validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("每月该日生成上月的月度结算单"))
    retain_share_a = models.DecimalField(_("结余留用比例(A)"), **RATE)
    retain_share_aa = models.DecimalField(_("结余留用比例(AA)"), **RATE)
    retain_share_aaa = models.DecimalField(_("结余留用比例(AAA)"), **RATE)
    retain_ceiling = models.DecimalField(_("结余留用上限(占指标比例)"), **RATE)
    overspend_tolerance = models.DecimalField(_("合理超支范围(占指标比例)"), **RATE)
    overspend_share_a = models.DecimalField(_("超支分担比例(A)"), **RATE, help_text=_("基金分担的比例"))
    overspend_share_aa = models.DecimalField(_("超支分担比例(AA)"), **RATE)
    overspend_share_aaa = models.DecimalField(_("超支分担比例(AAA)"), **RATE)
    up_factor = models.DecimalField(_("结余机构下年基数上调比例"), **RATE)
    down_factor = models.DecimalField(_("超支机构下年基数下调比例"), **RATE)
    index_growth_rate = models.DecimalField(
        _("指标增长率"), default=Decimal("0"), max_digits=7, decimal_places=6,
        validators=[MinValueValidator(-1), MaxValueValidator(1)], help_text=_("协商草案: 上年实际 × (1 + 增长率)"))
    warning_excess = models.DecimalField(
        _("预警阈值"), default=Decimal("0.10"), **RATE, help_text=_("支出进度超过预算进度该比例时预警"))
    note = models.TextField(_("备注"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("年度结算参数")
        verbose_name_plural = _("年度结算参数")
        ordering = ["-year", "region"]
        constraints = [
            models.UniqueConstraint(fields=["year", "region"], name="%(app_label)s_%(class)s_year_region_uniq"),
            *_rate_between_0_and_1(
                "withholding_rate", "retain_share_a", "retain_share_aa", "retain_share_aaa", "retain_ceiling",
                "overspend_tolerance", "overspend_share_a", "overspend_share_aa", "overspend_share_aaa",
                "up_factor", "down_factor", "warning_excess"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.region or _('默认')}"

    def retain_share(self, rating: str) -> Decimal:
        return getattr(self, f"retain_share_{rating.lower()}")

    def overspend_share(self, rating: str) -> Decimal:
        return getattr(self, f"overspend_share_{rating.lower()}")

    def threshold(self, fund: str) -> Decimal | None:
        row = self.thresholds.filter(fund=fund).first()
        return row.item_by_item_threshold if row else None


class FundThreshold(models.Model):
    """Institutions whose previous-year spending of a fund is below this stay outside the global budget."""

    parameters = models.ForeignKey(FundYearParameters, on_delete=models.CASCADE, related_name="thresholds",
                                   verbose_name=_("年度结算参数"))
    fund = models.CharField(_("基金"), max_length=8, choices=Fund.choices)
    item_by_item_threshold = models.DecimalField(
        _("按项目付费阈值"), **MONEY, validators=[MinValueValidator(0)],
        help_text=_("上年该基金支出低于此金额的机构不纳入总额预算，按项目付费"))

    class Meta:
        verbose_name = _("按项目付费阈值")
        verbose_name_plural = _("按项目付费阈值")
        ordering = ["parameters", "fund"]
        constraints = [
            models.UniqueConstraint(fields=["parameters", "fund"], name="%(app_label)s_%(class)s_uniq"),
            _choice("fund", Fund),
        ]

    def __str__(self) -> str:
        return f"{self.parameters} {self.get_fund_display()} < {self.item_by_item_threshold}"


# --- three-level budget and indices -----------------------------------------------------------------


class FundBudget(models.Model):
    """A fund's annual budget for a pooling region (first level)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.CharField(_("统筹区"), max_length=6, validators=[validate_region_code])
    fund = models.CharField(_("基金"), max_length=8, choices=Fund.choices)
    amount = models.DecimalField(_("年度预算"), **MONEY, validators=[MinValueValidator(0)])
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("基金年度预算")
        verbose_name_plural = _("基金年度预算")
        ordering = ["-year", "region", "fund"]
        permissions = [("view_fund_monitoring", _("查看基金运行监测"))]
        constraints = [
            models.UniqueConstraint(fields=["year", "region", "fund"], name="%(app_label)s_%(class)s_uniq"),
            _choice("fund", Fund),
            _check(Q(amount__gte=0), "amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.region} {self.get_fund_display()}"


class DistrictBudget(models.Model):
    """The share of a fund budget given to one district (second level)."""

    budget = models.ForeignKey(FundBudget, on_delete=models.PROTECT, related_name="districts",
                               verbose_name=_("基金年度预算"))
    district = models.CharField(_("区县代码"), max_length=6, validators=[validate_region_code])
    name = models.CharField(_("区县名称"), max_length=50, blank=True)
    amount = models.DecimalField(_("区县预算"), **MONEY, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("区县预算")
        verbose_name_plural = _("区县预算")
        ordering = ["budget", "district"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "district"], name="%(app_label)s_%(class)s_uniq"),
            _check(Q(amount__gte=0), "amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.budget} {self.district} {self.name}"


class PaymentMode(models.TextChoices):
    BUDGET = "budget", _("总额预算")
    ITEM_BY_ITEM = "item_by_item", _("按项目付费")


class ModeSource(models.TextChoices):
    COMPUTED = "computed", _("按上年实际计算")
    EXPLICIT = "explicit", _("人工指定")


class IndexStatus(models.TextChoices):
    DRAFT = "draft", _("草拟")
    NEGOTIATING = "negotiating", _("协商中")
    AGREED = "agreed", _("已确定")


class InstitutionIndex(models.Model):
    """An institution's annual control index for one fund (third level)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT,
                                    related_name="fund_indices", verbose_name=_("医药机构"))
    fund = models.CharField(_("基金范围"), max_length=8, choices=Fund.choices, default=Fund.EMPLOYEE_POOL)
    district = models.ForeignKey(DistrictBudget, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="indices", verbose_name=_("区县预算"))
    payment_mode = models.CharField(_("付费方式"), max_length=12, choices=PaymentMode.choices,
                                    default=PaymentMode.BUDGET)
    mode_source = models.CharField(_("付费方式来源"), max_length=10, choices=ModeSource.choices,
                                   default=ModeSource.COMPUTED,
                                   help_text=_("按上年实际计算的会在重新计算时更新；人工指定的保持不变"))
    last_year_actual = models.DecimalField(_("上年实际支出"), **MONEY, null=True, blank=True)
    agreed_amount = models.DecimalField(_("年度控制指标"), **MONEY, null=True, blank=True,
                                        validators=[MinValueValidator(0)])
    rating = models.CharField(_("信用等级"), max_length=3, choices=Rating.choices, default=Rating.A)
    assessment_score = models.DecimalField(_("考核得分"), max_digits=5, decimal_places=2, default=Decimal("100"),
                                           validators=[MinValueValidator(0), MaxValueValidator(100)])
    status = models.CharField(_("状态"), max_length=12, choices=IndexStatus.choices, default=IndexStatus.DRAFT)
    agreed_at = models.DateTimeField(_("确定时间"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("机构年度控制指标")
        verbose_name_plural = _("机构年度控制指标")
        ordering = ["-year", "institution", "fund"]
        constraints = [
            models.UniqueConstraint(fields=["year", "institution", "fund"], name="%(app_label)s_%(class)s_uniq"),
            _choice("fund", Fund), _choice("payment_mode", PaymentMode), _choice("mode_source", ModeSource),
            _choice("rating", Rating), _choice("status", IndexStatus),
            _check(Q(assessment_score__gte=0) & Q(assessment_score__lte=100), "score_0_100"),
            _check(~Q(status=IndexStatus.AGREED) | Q(agreed_amount__isnull=False), "agreed_has_amount"),
            _check(Q(agreed_amount__isnull=True) | Q(agreed_amount__gte=0), "amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.institution_id} {self.get_fund_display()}"

    def clean(self) -> None:
        super().clean()
        if self.district_id and self.district.budget.year != self.year:
            raise ValidationError({"district": _("区县预算的年度与指标年度不一致。")})
        if self.district_id and self.district.budget.fund != self.fund:
            raise ValidationError({"district": _("区县预算的基金与指标的基金范围不一致。")})


class NegotiationState(models.TextChoices):
    OPEN = "open", _("待机构申报")
    PROPOSED = "proposed", _("机构已申报(一上)")
    DRAFTED = "drafted", _("经办机构已下达草案(一下)")
    ANSWERED = "answered", _("机构已反馈(二上)")
    AGREED = "agreed", _("已确定(二下)")


class NegotiationAction(models.TextChoices):
    OPEN = "open", _("发起协商")
    PROPOSE = "propose", _("机构申报")
    DRAFT = "draft", _("下达草案")
    ANSWER = "answer", _("机构反馈")
    AGREE = "agree", _("确定指标")


class IndexNegotiation(models.Model):
    """"两上两下": the institution proposes, the bureau drafts, the institution answers, the bureau agrees."""

    index = models.OneToOneField(InstitutionIndex, on_delete=models.PROTECT, related_name="negotiation",
                                 verbose_name=_("机构年度控制指标"))
    state = models.CharField(_("状态"), max_length=10, choices=NegotiationState.choices,
                             default=NegotiationState.OPEN)
    proposed_amount = models.DecimalField(_("机构申报额"), **MONEY, null=True, blank=True)
    draft_amount = models.DecimalField(_("草案额"), **MONEY, null=True, blank=True)
    answer_amount = models.DecimalField(_("机构反馈额"), **MONEY, null=True, blank=True)
    agreed_amount = models.DecimalField(_("确定额"), **MONEY, null=True, blank=True)
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("指标协商")
        verbose_name_plural = _("指标协商")
        ordering = ["-opened_at"]
        permissions = [
            ("negotiate_bureau", _("以经办机构身份参与指标协商")),
            ("negotiate_institution", _("以医药机构身份参与指标协商")),
        ]
        constraints = [_choice("state", NegotiationState)]

    def __str__(self) -> str:
        return f"{self.index} {self.get_state_display()}"


class NegotiationStep(models.Model):
    """Append-only history of a negotiation: who did what, when, with which amount."""

    negotiation = models.ForeignKey(IndexNegotiation, on_delete=models.PROTECT, related_name="steps",
                                    verbose_name=_("指标协商"))
    seq = models.PositiveSmallIntegerField(_("序号"))
    action = models.CharField(_("操作"), max_length=10, choices=NegotiationAction.choices)
    from_state = models.CharField(_("原状态"), max_length=10, choices=NegotiationState.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=10, choices=NegotiationState.choices)
    amount = models.DecimalField(_("金额"), **MONEY, null=True, blank=True)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("操作人"))
    acted_at = models.DateTimeField(_("操作时间"), auto_now_add=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("协商记录")
        verbose_name_plural = _("协商记录")
        ordering = ["negotiation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["negotiation", "seq"], name="%(app_label)s_%(class)s_seq_uniq"),
            _choice("action", NegotiationAction),
        ]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.negotiation_id}#{self.seq} {self.action}"


# --- audit deductions -------------------------------------------------------------------------------


class AuditDeduction(models.Model):
    """拒付: an amount refused after audit; counted in the month confirmed, given back in the month reversed."""

    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT,
                                    related_name="audit_deductions", verbose_name=_("医药机构"))
    fund = models.CharField(_("基金"), max_length=8, choices=Fund.choices, default=Fund.EMPLOYEE_POOL)
    amount = models.DecimalField(_("扣款金额"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    reason = models.TextField(_("扣款原因"))
    source_type = models.CharField(_("来源类型"), max_length=40, blank=True, help_text=_("如 audit.suspect"))
    source_id = models.CharField(_("来源编号"), max_length=64, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), db_index=True)
    confirmed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("确认人"))
    reversed_at = models.DateTimeField(_("撤销时间"), null=True, blank=True, db_index=True)
    reversed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("撤销人"))
    reverse_reason = models.TextField(_("撤销原因"), blank=True)

    class Meta:
        verbose_name = _("审核扣款")
        verbose_name_plural = _("审核扣款")
        ordering = ["-confirmed_at", "-pk"]
        triggers = [SERVICES_ONLY]  # given back by reversal only (fund_budget.deductions)
        constraints = [
            _choice("fund", Fund),
            _check(Q(amount__gt=0), "amount_gt_0"),
            models.UniqueConstraint(fields=["source_type", "source_id"], condition=~Q(source_id=""),
                                    name="%(app_label)s_%(class)s_source_uniq"),
            _check((Q(reversed_at__isnull=True) & Q(reverse_reason=""))
                   | (Q(reversed_at__isnull=False) & ~Q(reverse_reason="")), "reversal_shape"),
        ]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.amount} {self.source_type}:{self.source_id}"


# --- payment methods other than fee for service --------------------------------------------------------
