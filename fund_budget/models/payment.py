"""Payment methods beside items: per-disease and per-bed-day standards, capitation."""
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fund_budget.models.common import MONEY, USER, _check
from insurance.validators import validate_med_type, validate_region_code


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


class ChronicCapitationReconciliation(models.Model):
    """The annual reconciliation of an institution's 门慢特 per-disease capitation (docs/benefit-layers.md §C): the
    months and Σ of the per-disease capitation its current statements paid. Penalties are recorded under a
    capitation contract, so the net is the monthly total."""

    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("医药机构"))
    year = models.PositiveSmallIntegerField(_("年度"))
    months = models.PositiveSmallIntegerField(_("已结算月数"))
    monthly_total = models.DecimalField(_("月度包干费用合计"), **MONEY)
    net = models.DecimalField(_("年度清算额"), **MONEY)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("门慢特按人头年度清算")
        verbose_name_plural = _("门慢特按人头年度清算")
        ordering = ["-year", "institution"]
        constraints = [models.UniqueConstraint(fields=["institution", "year"], name="%(app_label)s_%(class)s_uniq")]

    def __str__(self) -> str:
        return f"{self.year} {self.institution_id} = {self.net}"


# --- monthly statements and disbursements ---------------------------------------------------------------
