"""Settlements, their lines and the accumulators they change: the books (claims.settlement)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from claims.models.common import (
    AMOUNT,
    FUND_PAY_FIELDS,
    LINE_PART_FIELDS,
    SETTLEMENT_AMOUNT_FIELDS,
    _append_only,
    _equals_sum,
    _gte_zero,
    _history,
    _keys_exist,
)
from claims.models.intake import FeeLine, MedType, Visit
from core.ledger import append_only
from policy_rules.models import CapGroup


class SettlementKind(models.TextChoices):
    SETTLEMENT = "settlement", _("结算")
    REVERSAL = "reversal", _("冲销")


class SettlementStatus(models.TextChoices):
    SETTLED = "settled", _("已结算")
    CANCELLED = "cancelled", _("已撤销")


# Statement-level history triggers (_history): the daily batch inserts a chunk's settlements in one statement.
@_history()
class Settlement(models.Model):
    """One settlement (or its reversal: same positive amounts, the sign is the kind)."""

    setl_id = models.CharField(_("结算ID"), max_length=30, unique=True)
    kind = models.CharField(
        _("类型"), max_length=12, choices=SettlementKind.choices, default=SettlementKind.SETTLEMENT
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal",
        verbose_name=_("被冲销结算"),
    )
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="settlements", verbose_name=_("就诊"))
    # no index of its own: (person, setl_time) leads with it
    person = models.ForeignKey(
        "insurance.Person", on_delete=models.PROTECT, db_index=False,
        related_name="settlements", verbose_name=_("参保人")
    )
    # no index of its own: (institution, setl_time) leads with it
    institution = models.ForeignKey(
        "insurance.Institution", on_delete=models.PROTECT, db_index=False,
        related_name="settlements", verbose_name=_("医药机构")
    )
    policy_version = models.ForeignKey(
        "policy_rules.PolicyVersion", on_delete=models.PROTECT, related_name="settlements",
        verbose_name=_("政策版本"),
    )
    setl_time = models.DateTimeField(_("结算时间"))
    # the visit's, as the national interface's setlinfo carries it: the audit's institution statistics group the
    # settlements of 90 days by it without looking up each one's visit (claims.audit.pipeline.institution_stats)
    med_type = models.CharField(_("医疗类别"), max_length=4, default="")
    medfee_sumamt = models.DecimalField(_("医疗费总额"), **AMOUNT)
    fulamt_ownpay_amt = models.DecimalField(_("全自费金额"), **AMOUNT)
    overlmt_selfpay = models.DecimalField(_("超限价自费费用"), **AMOUNT)
    preselfpay_amt = models.DecimalField(_("先行自付金额"), **AMOUNT)
    inscp_scp_amt = models.DecimalField(_("符合政策范围金额"), **AMOUNT)
    act_pay_dedc = models.DecimalField(_("实际支付起付线"), **AMOUNT)
    hifp_pay = models.DecimalField(_("基本医疗保险统筹基金支出"), **AMOUNT)
    hifob_pay = models.DecimalField(_("职工大额医疗费用补助基金支出"), **AMOUNT)
    hifmi_pay = models.DecimalField(_("居民大病保险资金支出"), **AMOUNT)
    maf_pay = models.DecimalField(_("医疗救助基金支出"), **AMOUNT)
    fund_pay_sumamt = models.DecimalField(_("基金支付总额"), **AMOUNT)
    psn_part_amt = models.DecimalField(_("个人负担总金额"), **AMOUNT)
    acct_pay = models.DecimalField(_("个人账户支出"), **AMOUNT)
    psn_cash_pay = models.DecimalField(_("个人现金支出"), **AMOUNT)
    # the project's layers (docs/benefit-layers.md); 0 for a settlement under a pack without them (db_default: the
    # bulk writers of the synthetic city and the benchmarks, which name the national columns only)
    cvlserv_pay = models.DecimalField(_("公务员医疗补助资金支出"), default=0, db_default=0, **AMOUNT)
    hifdm_pay = models.DecimalField(_("伤残人员医疗保障基金支出"), default=0, db_default=0, **AMOUNT)
    oth_pay = models.DecimalField(_("其他支出"), default=0, db_default=0, **AMOUNT)
    matn_pay = models.DecimalField(_("生育医疗费用支付"), default=0, db_default=0, **AMOUNT)
    # paid to the person through the employer, not part of fund_pay_sumamt nor of the institution's statement
    matn_alwn_amt = models.DecimalField(_("生育津贴"), default=0, db_default=0, **AMOUNT)
    balc = models.DecimalField(_("结算后账户余额"), null=True, blank=True, **AMOUNT)
    ineligible_reason = models.CharField(_("无待遇原因"), max_length=30, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=SettlementStatus.choices, default=SettlementStatus.SETTLED
    )
    created_by = models.ForeignKey(  # indexed where set only (partial index below): the batch leaves it empty
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("经办人"), db_index=False,
    )
    reason = models.TextField(_("原因"), blank=True)
    daily_job = models.ForeignKey(
        "claims.DailyJob", on_delete=models.PROTECT, null=True, blank=True, related_name="settlements",
        verbose_name=_("日终批处理"), help_text=_("由日终批处理结算时指向该批处理"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("结算记录")
        verbose_name_plural = _("结算记录")
        ordering = ["-setl_time", "setl_id"]
        # changed only by the services (a cancellation's status, a reversal's balance): core.ledger
        triggers = [*_append_only(), append_only()]
        indexes = [
            models.Index(fields=["person", "setl_time"]),
            models.Index(fields=["institution", "setl_time"]),
            # the settlements of a day or a month, all institutions (the workspace's dashboard, fund statements)
            models.Index(fields=["setl_time"], name="claims_settlement_time_idx"),
            models.Index(fields=["created_by"], condition=Q(created_by__isnull=False),
                         name="claims_setl_created_by_idx"),
        ]
        constraints = [
            *[_gte_zero(name) for name in SETTLEMENT_AMOUNT_FIELDS],
            _gte_zero("balc", nullable=True),
            models.UniqueConstraint(
                fields=["visit"],
                condition=Q(kind=SettlementKind.SETTLEMENT, status=SettlementStatus.SETTLED),
                name="%(app_label)s_%(class)s_one_settled_per_visit",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SettlementKind.values), name="%(app_label)s_%(class)s_kind"
            ),
            models.CheckConstraint(condition=~Q(med_type=""), name="%(app_label)s_%(class)s_med_type"),
            models.CheckConstraint(
                condition=Q(status__in=SettlementStatus.values), name="%(app_label)s_%(class)s_status"
            ),
            models.CheckConstraint(
                condition=(Q(kind=SettlementKind.SETTLEMENT) & Q(reverses__isnull=True))
                | (Q(kind=SettlementKind.REVERSAL) & Q(reverses__isnull=False) & Q(status=SettlementStatus.SETTLED)),
                name="%(app_label)s_%(class)s_reversal_shape",
            ),
            models.CheckConstraint(
                condition=_equals_sum("medfee_sumamt", LINE_PART_FIELDS),
                name="%(app_label)s_%(class)s_parts_sum",
            ),
            models.CheckConstraint(
                condition=_equals_sum("fund_pay_sumamt", FUND_PAY_FIELDS),
                name="%(app_label)s_%(class)s_fund_sum_layers",
            ),
            models.CheckConstraint(
                condition=_equals_sum("medfee_sumamt", ("fund_pay_sumamt", "psn_part_amt")),
                name="%(app_label)s_%(class)s_fund_plus_personal",
            ),
            models.CheckConstraint(
                condition=_equals_sum("psn_part_amt", ("acct_pay", "psn_cash_pay")),
                name="%(app_label)s_%(class)s_account_plus_cash",
            ),
        ]

    def __str__(self) -> str:
        return self.setl_id


class SettlementLine(models.Model):
    # no index of its own: (settlement, fee_line) leads with it. Both keys are checked per statement by the
    # triggers in Meta, not per row by a foreign-key constraint; settlements and fee lines are never deleted.
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, db_index=False, db_constraint=False, related_name="lines",
        verbose_name=_("结算记录")
    )
    # Not indexed: a settlement's lines are read through the settlement (the unique index below leads with it),
    # nothing looks settlement lines up by fee line, and fee lines are never deleted (a trigger refuses it);
    # maintaining such an index would be a large share of the night's writes (docs/benchmarks.md).
    fee_line = models.ForeignKey(
        FeeLine, on_delete=models.PROTECT, db_constraint=False, db_index=False, related_name="settlement_lines",
        verbose_name=_("费用明细")
    )
    feedetl_sn = models.CharField(_("费用明细流水号"), max_length=30)
    det_item_fee_sumamt = models.DecimalField(_("明细项目费用总额"), **AMOUNT)
    fulamt_ownpay_amt = models.DecimalField(_("全自费金额"), **AMOUNT)
    overlmt_selfpay = models.DecimalField(_("超限价自费金额"), **AMOUNT)
    preselfpay_amt = models.DecimalField(_("先行自付金额"), **AMOUNT)
    inscp_scp_amt = models.DecimalField(_("符合政策范围金额"), **AMOUNT)
    chrgitm_lv = models.CharField(_("收费项目等级"), max_length=2, blank=True)
    selfpay_prop = models.DecimalField(_("自付比例"), max_digits=5, decimal_places=4, null=True, blank=True)
    reason = models.CharField(_("分类原因"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("结算明细")
        verbose_name_plural = _("结算明细")
        ordering = ["settlement", "feedetl_sn"]
        triggers = [*_keys_exist("claims_settlementline", {"settlement_id": "claims_settlement",
                                                           "fee_line_id": "claims_feeline"},
                                 repeated=("settlement_id",)), append_only()]
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "fee_line"], name="%(app_label)s_%(class)s_settlement_line_uniq"
            ),
            *[_gte_zero(name) for name in ("det_item_fee_sumamt", *LINE_PART_FIELDS)],
            models.CheckConstraint(
                condition=_equals_sum("det_item_fee_sumamt", LINE_PART_FIELDS),
                name="%(app_label)s_%(class)s_parts_sum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.settlement_id}#{self.feedetl_sn}"


class AccumulatorKind(models.TextChoices):
    CAP_PAID = "cap_paid", _("统筹基金已支付(按封顶线组)")
    DEDUCTIBLE_USED = "deductible_used", _("已付起付线(按医疗类别)")
    BAND_POSITION = "band_position", _("分段比例累计位置")
    ADMISSIONS = "admissions", _("住院次数")
    LARGE_AMOUNT_PAID = "large_amount_paid", _("职工大额已支付")
    CRITICAL_ILLNESS_BASE = "critical_illness_base", _("大病保险累计基数")
    ASSISTANCE_BASE = "assistance_base", _("医疗救助累计基数")
    CIVIL_SERVANT_PAID = "civil_servant_paid", _("公务员医疗补助已支付")
    PRENATAL_PAID = "prenatal_paid", _("产前检查已支付")


class Accumulator(models.Model):
    """Per person and year, one row per slot (kind, key); key is a cap group, a med_type or ""."""

    # no index of its own: (person, year, kind, key) leads with it
    person = models.ForeignKey(
        "insurance.Person", on_delete=models.PROTECT, db_index=False,
        related_name="accumulators", verbose_name=_("参保人")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("累计项"), max_length=30, choices=AccumulatorKind.choices)
    key = models.CharField(_("分组"), max_length=30, blank=True, help_text=_("封顶线组、医疗类别或空"))
    amount = models.DecimalField(
        _("累计值"), max_digits=16, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("年度累计")
        verbose_name_plural = _("年度累计")
        ordering = ["person", "year", "kind", "key"]
        triggers = [append_only()]  # moved by the settlement writers and cancellations only (core.ledger)
        constraints = [
            models.UniqueConstraint(
                fields=["person", "year", "kind", "key"], name="%(app_label)s_%(class)s_slot_uniq"
            ),
            _gte_zero("amount"),
            models.CheckConstraint(
                condition=Q(kind__in=AccumulatorKind.values), name="%(app_label)s_%(class)s_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year} {self.kind}:{self.key} = {self.amount}"

    @property
    def key_label(self) -> str:
        """The slot's key by its label: a cap group (policy_rules.CapGroup) or a medical type (MedType)."""
        for choices in (CapGroup, MedType):
            if self.key in choices.values:
                return choices(self.key).label
        return self.key

    @property
    def is_count(self) -> bool:
        """The admissions counter counts stays (shown as an integer); every other slot is an amount."""
        return self.kind == AccumulatorKind.ADMISSIONS

    def clean(self) -> None:
        super().clean()
        if self.kind == AccumulatorKind.ADMISSIONS and self.amount is not None and self.amount % 1:
            raise ValidationError({"amount": _("住院次数应为整数。")})


class SettlementAccumulation(models.Model):
    """The change a settlement made to one accumulator slot, so a cancellation can give it back."""

    # no index of its own: (settlement, year, kind, key) leads with it
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, db_index=False,
        related_name="accumulations", verbose_name=_("结算记录")
    )
    kind = models.CharField(_("累计项"), max_length=30, choices=AccumulatorKind.choices)
    key = models.CharField(_("分组"), max_length=30, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    delta = models.DecimalField(_("变动值"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("结算累计变动")
        verbose_name_plural = _("结算累计变动")
        ordering = ["settlement", "kind", "key"]
        triggers = [append_only()]
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "year", "kind", "key"], name="%(app_label)s_%(class)s_slot_uniq"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AccumulatorKind.values), name="%(app_label)s_%(class)s_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.settlement_id} {self.kind}:{self.key} {self.delta:+}"


