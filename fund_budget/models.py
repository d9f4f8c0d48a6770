"""Fund budgets and settlement with institutions (issue #6): parameters, the three-level budget,
index negotiation, audit deductions, payment standards, capitation, monthly statements, disbursements
and year-end clearing. Money is Decimal(16, 2); every parameter is data per year (and region)."""
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from insurance.validators import validate_med_type, validate_region_code

MONEY = {"max_digits": 16, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 6, "validators": [MinValueValidator(0), MaxValueValidator(1)]}
USER = settings.AUTH_USER_MODEL
APPEND_ONLY = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


def _check(condition: Q, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=condition, name=f"%(app_label)s_%(class)s_{name}")


def _choice(field: str, choices) -> models.CheckConstraint:
    return _check(Q(**{f"{field}__in": choices.values}), field)


def _rate_between_0_and_1(*fields: str) -> list[models.CheckConstraint]:
    return [_check(Q(**{f"{f}__gte": 0}) & Q(**{f"{f}__lte": 1}), f"{f}_0_1") for f in fields]


class Fund(models.TextChoices):
    HIFP = "hifp", _("基本医疗保险统筹基金")
    HIFOB = "hifob", _("职工大额医疗费用补助")
    HIFMI = "hifmi", _("居民大病保险")
    MAF = "maf", _("医疗救助")


# The settlement column holding each fund's payment (claims.Settlement).
FUND_COLUMNS = {Fund.HIFP: "hifp_pay", Fund.HIFOB: "hifob_pay", Fund.HIFMI: "hifmi_pay", Fund.MAF: "maf_pay"}


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
    fund = models.CharField(_("基金范围"), max_length=8, choices=Fund.choices, default=Fund.HIFP)
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
    fund = models.CharField(_("基金"), max_length=8, choices=Fund.choices, default=Fund.HIFP)
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


class PaymentMethod(models.TextChoices):
    FEE_FOR_SERVICE = "ffs", _("按项目")
    PER_BED_DAY = "per_bed_day", _("按床日")
    PER_DISEASE = "per_disease", _("单病种")
    CAPITATION = "capitation", _("按人头")


class PaymentStandard(models.Model):
    """A per-bed-day (daily) or per-disease (per case) standard for visits of a medical type.

    Applies to one institution, or to every institution of a level, or (neither set) to all; the most
    specific row wins, per-disease before per-bed-day. Matched on the visit's discharge year."""

    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.CharField(_("统筹区"), max_length=6, blank=True, validators=[validate_region_code],
                              help_text=_("为空表示所有统筹区"))
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="payment_standards", verbose_name=_("医药机构"))
    level = models.PositiveSmallIntegerField(_("医院等级"), null=True, blank=True,
                                             validators=[MaxValueValidator(3)])
    med_type = models.CharField(_("医疗类别"), max_length=4, validators=[validate_med_type])
    method = models.CharField(_("付费方式"), max_length=12, choices=PaymentMethod.choices)
    disease_code = models.CharField(_("病种(诊断)编码"), max_length=30, blank=True)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    standard = models.DecimalField(_("支付标准"), **MONEY, validators=[MinValueValidator(0)],
                                   help_text=_("按床日为每床日标准，单病种为每例标准"))

    class Meta:
        verbose_name = _("支付标准")
        verbose_name_plural = _("支付标准")
        ordering = ["-year", "method", "med_type", "disease_code"]
        constraints = [
            _check(Q(method__in=[PaymentMethod.PER_BED_DAY, PaymentMethod.PER_DISEASE]), "method"),
            _check(Q(institution__isnull=True) | Q(level__isnull=True), "institution_or_level"),
            _check((Q(method=PaymentMethod.PER_DISEASE) & ~Q(disease_code=""))
                   | (Q(method=PaymentMethod.PER_BED_DAY) & Q(disease_code="")), "disease_code"),
            _check(Q(standard__gte=0), "standard_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_method_display()} {self.med_type} {self.disease_code} {self.standard}"

    def clean(self) -> None:
        super().clean()
        same = PaymentStandard.objects.filter(
            year=self.year, region=self.region, institution_id=self.institution_id, level=self.level,
            med_type=self.med_type, method=self.method, disease_code=self.disease_code).exclude(pk=self.pk)
        if same.exists():
            raise ValidationError(_("同一适用范围已有相同的支付标准。"))


class CapitationContract(models.Model):
    """按人头 / 门诊包干: heads × monthly rate paid on each monthly statement of the year."""

    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT,
                                    related_name="capitation_contracts", verbose_name=_("医药机构"))
    year = models.PositiveSmallIntegerField(_("年度"))
    heads = models.PositiveIntegerField(_("签约人数"))
    monthly_rate = models.DecimalField(_("每人每月标准"), **MONEY, validators=[MinValueValidator(0)])
    covered_med_type = models.CharField(
        _("包干医疗类别"), max_length=4, blank=True, validators=[validate_med_type],
        help_text=_("如 11 普通门诊：该机构该类别就诊的基金支付由包干费用替代；为空表示包干费用另行支付"))
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("按人头包干协议")
        verbose_name_plural = _("按人头包干协议")
        ordering = ["-year", "institution"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "year"], name="%(app_label)s_%(class)s_uniq"),
            _check(Q(monthly_rate__gte=0), "rate_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.institution_id} {self.heads}×{self.monthly_rate}"


class CapitationPenalty(models.Model):
    """A penalty under a capitation contract, e.g. a fixed sum per verified case of turning a patient away."""

    contract = models.ForeignKey(CapitationContract, on_delete=models.PROTECT, related_name="penalties",
                                 verbose_name=_("按人头包干协议"))
    date = models.DateField(_("日期"))
    amount = models.DecimalField(_("扣减金额"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    cases = models.PositiveIntegerField(_("查实例数"), default=1)
    reason = models.TextField(_("原因"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("按人头包干扣减")
        verbose_name_plural = _("按人头包干扣减")
        ordering = ["contract", "date", "pk"]
        constraints = [_check(Q(amount__gt=0), "amount_gt_0")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.date} {self.amount}"


class CapitationReconciliation(models.Model):
    """The annual reconciliation of a capitation contract: Σ monthly payments − Σ penalties."""

    contract = models.OneToOneField(CapitationContract, on_delete=models.PROTECT, related_name="reconciliation",
                                    verbose_name=_("按人头包干协议"))
    months = models.PositiveSmallIntegerField(_("已结算月数"))
    monthly_total = models.DecimalField(_("月度包干费用合计"), **MONEY)
    penalty_total = models.DecimalField(_("扣减合计"), **MONEY)
    net = models.DecimalField(_("年度清算额"), **MONEY)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("按人头包干年度清算")
        verbose_name_plural = _("按人头包干年度清算")
        ordering = ["contract"]

    def __str__(self) -> str:
        return f"{self.contract} = {self.net}"


# --- monthly statements and disbursements ---------------------------------------------------------------


class MonthlyRun(models.Model):
    """One month's statement run. Its cutoff bounds what it saw: a settlement recorded after the cutoff
    with an event time in an already stated month is an adjustment of the next statement."""

    month = models.DateField(_("结算月份"), unique=True, help_text=_("当月1日"))
    cutoff = models.DateTimeField(_("数据截止时间"))
    previous = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="next_run", verbose_name=_("上一次结算"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("操作人"))
    statement_count = models.PositiveIntegerField(_("结算单数"), default=0)
    fund_total = models.DecimalField(_("基金支付合计"), **MONEY, default=Decimal("0"))
    payable_total = models.DecimalField(_("应拨付合计"), **MONEY, default=Decimal("0"))

    class Meta:
        verbose_name = _("月度结算批次")
        verbose_name_plural = _("月度结算批次")
        ordering = ["-month"]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class MonthlyStatement(models.Model):
    """An institution's monthly statement (月度结算单). Issued once, never changed (a trigger refuses it)."""

    run = models.ForeignKey(MonthlyRun, on_delete=models.PROTECT, related_name="statements",
                            verbose_name=_("月度结算批次"))
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT,
                                    related_name="monthly_statements", verbose_name=_("医药机构"))
    month = models.DateField(_("结算月份"))
    withholding_rate = models.DecimalField(_("质量保证金预留比例"), max_digits=7, decimal_places=6)
    visit_count = models.IntegerField(_("结算人次"), default=0)
    reversal_count = models.IntegerField(_("冲销人次"), default=0)
    medfee_amount = models.DecimalField(_("医疗费总额"), **MONEY, default=Decimal("0"))
    ffs_fund_amount = models.DecimalField(_("按项目基金支付"), **MONEY, default=Decimal("0"),
                                          help_text=_("结算记录的基金支付(不含按人头包干类别)"))
    standard_gain_loss = models.DecimalField(_("按标准付费盈亏"), **MONEY, default=Decimal("0"))
    fund_amount = models.DecimalField(_("基金应付"), **MONEY, default=Decimal("0"))
    withheld = models.DecimalField(_("质量保证金"), **MONEY, default=Decimal("0"))
    deductions_confirmed = models.DecimalField(_("本月确认扣款"), **MONEY, default=Decimal("0"))
    deductions_reversed = models.DecimalField(_("本月撤销扣款"), **MONEY, default=Decimal("0"))
    deductions = models.DecimalField(_("审核扣款净额"), **MONEY, default=Decimal("0"))
    capitation_amount = models.DecimalField(_("按人头包干费用"), **MONEY, default=Decimal("0"))
    payable = models.DecimalField(_("本月应付"), **MONEY, default=Decimal("0"))
    offset_amount = models.DecimalField(_("抵扣以前应收"), **MONEY, default=Decimal("0"),
                                        help_text=_("机构以前欠付(负数拨付)在本月抵扣"))
    net_payable = models.DecimalField(_("实际应拨付"), **MONEY, default=Decimal("0"))
    payment_due = models.DateField(_("拨付截止日"))
    issued_at = models.DateTimeField(_("出具时间"))

    class Meta:
        verbose_name = _("月度结算单")
        verbose_name_plural = _("月度结算单")
        ordering = ["-month", "institution"]
        indexes = [models.Index(fields=["month", "institution"])]
        constraints = [
            models.UniqueConstraint(fields=["institution", "month"], name="%(app_label)s_%(class)s_inst_month_uniq"),
        ]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.institution_id}"


class StatementLine(models.Model):
    """A statement's amounts per fund; per-bed-day and per-disease gains or losses go to the pooling fund."""

    statement = models.ForeignKey(MonthlyStatement, on_delete=models.PROTECT, related_name="lines",
                                  verbose_name=_("月度结算单"))
    fund = models.CharField(_("基金"), max_length=8, choices=Fund.choices)
    amount = models.DecimalField(_("基金应付"), **MONEY)
    withheld = models.DecimalField(_("质量保证金"), **MONEY)
    deductions = models.DecimalField(_("审核扣款净额"), **MONEY)

    class Meta:
        verbose_name = _("结算单基金明细")
        verbose_name_plural = _("结算单基金明细")
        ordering = ["statement", "fund"]
        constraints = [models.UniqueConstraint(fields=["statement", "fund"], name="%(app_label)s_%(class)s_uniq")]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.fund} {self.amount}"


class StatementMethodLine(models.Model):
    """A statement's visits by payment method, with the gain or loss against fee for service."""

    statement = models.ForeignKey(MonthlyStatement, on_delete=models.PROTECT, related_name="method_lines",
                                  verbose_name=_("月度结算单"))
    method = models.CharField(_("付费方式"), max_length=12, choices=PaymentMethod.choices)
    visits = models.IntegerField(_("人次(净)"))
    ffs_fund_amount = models.DecimalField(_("按项目基金支付"), **MONEY)
    claim_amount = models.DecimalField(_("机构应得"), **MONEY)
    gain_loss = models.DecimalField(_("盈亏"), **MONEY)

    class Meta:
        verbose_name = _("结算单付费方式明细")
        verbose_name_plural = _("结算单付费方式明细")
        ordering = ["statement", "method"]
        constraints = [models.UniqueConstraint(fields=["statement", "method"], name="%(app_label)s_%(class)s_uniq")]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.method} {self.gain_loss}"


class DisbursementKind(models.TextChoices):
    MONTHLY = "monthly", _("月度拨付")
    CLEARING = "clearing", _("年终清算")


class DisbursementStatus(models.TextChoices):
    PENDING = "pending", _("待拨付/待收回")
    PAID = "paid", _("已拨付")
    OFFSET = "offset", _("已在后续结算中抵扣")


class Disbursement(models.Model):
    """A payment to an institution (amount > 0) or an amount it owes (amount < 0), which the next monthly
    statement deducts."""

    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT,
                                    related_name="disbursements", verbose_name=_("医药机构"))
    kind = models.CharField(_("类型"), max_length=10, choices=DisbursementKind.choices)
    statement = models.OneToOneField(MonthlyStatement, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="disbursement", verbose_name=_("月度结算单"))
    clearing_report = models.OneToOneField("ClearingReport", on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="disbursement", verbose_name=_("年终清算报告"))
    amount = models.DecimalField(_("金额"), **MONEY, help_text=_("正数拨付给机构，负数为机构应退回"))
    due_date = models.DateField(_("拨付截止日"))
    status = models.CharField(_("状态"), max_length=10, choices=DisbursementStatus.choices,
                              default=DisbursementStatus.PENDING)
    paid_at = models.DateTimeField(_("拨付时间"), null=True, blank=True)
    paid_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("拨付人"))
    offset_statement = models.ForeignKey(MonthlyStatement, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="offsets", verbose_name=_("抵扣所在结算单"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("拨付")
        verbose_name_plural = _("拨付")
        ordering = ["due_date", "institution"]
        indexes = [models.Index(fields=["institution", "status"])]
        constraints = [
            _choice("kind", DisbursementKind), _choice("status", DisbursementStatus),
            _check((Q(kind=DisbursementKind.MONTHLY) & Q(statement__isnull=False) & Q(clearing_report__isnull=True))
                   | (Q(kind=DisbursementKind.CLEARING) & Q(statement__isnull=True)
                      & Q(clearing_report__isnull=False)), "source"),
            _check(~Q(status=DisbursementStatus.PAID) | (Q(paid_at__isnull=False) & Q(amount__gte=0)), "paid"),
            _check(~Q(status=DisbursementStatus.OFFSET) | (Q(offset_statement__isnull=False) & Q(amount__lt=0)),
                   "offset"),
        ]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.get_kind_display()} {self.amount} {self.due_date}"


# --- year-end clearing ------------------------------------------------------------------------------------


class ClearingStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已审批")


class ClearingSide(models.TextChoices):
    UNDER = "under", _("结余")
    OVER = "over", _("超支")
    ITEM_BY_ITEM = "item_by_item", _("按项目付费(不纳入总额)")


class ClearingReport(models.Model):
    """Year-end clearing of one institution's index; recomputable while a draft, frozen once approved."""

    index = models.OneToOneField(InstitutionIndex, on_delete=models.PROTECT, related_name="clearing",
                                 verbose_name=_("机构年度控制指标"))
    year = models.PositiveSmallIntegerField(_("年度"))
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT,
                                    related_name="clearing_reports", verbose_name=_("医药机构"))
    fund = models.CharField(_("基金范围"), max_length=8, choices=Fund.choices)
    side = models.CharField(_("结余/超支"), max_length=12, choices=ClearingSide.choices)
    rating = models.CharField(_("信用等级"), max_length=3, choices=Rating.choices)
    assessment_score = models.DecimalField(_("考核得分"), max_digits=5, decimal_places=2)
    index_amount = models.DecimalField(_("年度控制指标 I"), **MONEY, null=True, blank=True)
    fund_total = models.DecimalField(_("月度基金应付合计"), **MONEY)
    deductions = models.DecimalField(_("年度审核扣款净额"), **MONEY)
    actual = models.DecimalField(_("实际发生 A"), **MONEY)
    withheld = models.DecimalField(_("质量保证金 W"), **MONEY)
    retained = models.DecimalField(_("结余留用"), **MONEY, default=Decimal("0"))
    shared = models.DecimalField(_("超支分担"), **MONEY, default=Decimal("0"))
    due = models.DecimalField(_("应付总额"), **MONEY)
    returned = models.DecimalField(_("返还保证金"), **MONEY)
    final = models.DecimalField(_("清算额"), **MONEY, help_text=_("正数由基金拨付，负数由机构退回(在后续拨付中抵扣)"))
    next_base = models.DecimalField(_("下年指标基数"), **MONEY, null=True, blank=True)
    parameters = models.JSONField(_("参数快照"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=ClearingStatus.choices, default=ClearingStatus.DRAFT)
    computed_at = models.DateTimeField(_("计算时间"))
    computed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("计算人"))
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    approved_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("审批人"))

    class Meta:
        verbose_name = _("年终清算报告")
        verbose_name_plural = _("年终清算报告")
        ordering = ["-year", "institution", "fund"]
        permissions = [("approve_clearingreport", _("审批年终清算报告"))]
        constraints = [
            _choice("status", ClearingStatus), _choice("side", ClearingSide),
            _check(~Q(status=ClearingStatus.APPROVED) | Q(approved_at__isnull=False), "approved_at"),
        ]
        # An approved report is frozen in the database too.
        triggers = [pgtrigger.Protect(name="approved_frozen", operation=pgtrigger.Update | pgtrigger.Delete,
                                      condition=pgtrigger.Q(old__status="approved"))]

    def __str__(self) -> str:
        return f"{self.year} {self.institution_id} {self.get_fund_display()} {self.final}"


class ClearingLine(models.Model):
    """One line of a clearing report's arithmetic, as shown and exported."""

    report = models.ForeignKey(ClearingReport, on_delete=models.CASCADE, related_name="lines",
                               verbose_name=_("年终清算报告"))
    seq = models.PositiveSmallIntegerField(_("序号"))
    key = models.CharField(_("项目代码"), max_length=30)
    label = models.CharField(_("项目"), max_length=100)
    formula = models.CharField(_("计算式"), max_length=300, blank=True)
    amount = models.DecimalField(_("金额"), **MONEY, null=True, blank=True)

    class Meta:
        verbose_name = _("清算计算行")
        verbose_name_plural = _("清算计算行")
        ordering = ["report", "seq"]
        constraints = [models.UniqueConstraint(fields=["report", "seq"], name="%(app_label)s_%(class)s_uniq")]

    def __str__(self) -> str:
        return f"{self.report_id}#{self.seq} {self.key}"
