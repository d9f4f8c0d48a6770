"""Visits, fee lines, settlements, per-person-year accumulators and the daily batch job."""
from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Abs
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insurance.validators import validate_med_type

MONEY = {"max_digits": 14, "decimal_places": 2}
AMOUNT = {**MONEY, "validators": [MinValueValidator(0)]}  # money that is never negative
QUANTITY = {"max_digits": 16, "decimal_places": 4}

LINE_PART_FIELDS = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")
SETTLEMENT_AMOUNT_FIELDS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "hifob_pay",
    "hifmi_pay",
    "maf_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
    "acct_pay",
    "psn_cash_pay",
)


def _gte_zero(field: str, nullable: bool = False) -> models.CheckConstraint:
    condition = Q(**{f"{field}__gte": 0})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=f"%(app_label)s_%(class)s_{field}_gte_0")


def _equals_sum(total: str, fields) -> models.lookups.LessThan:
    """total = Σ fields, to the fen. Compared as |difference| < 0.005 because SQLite evaluates
    decimal CHECK expressions in binary floating point; on PostgreSQL (numeric) it is exact."""
    return models.lookups.LessThan(Abs(F(total) - _sum_of(fields)), Value(Decimal("0.005")))


def _sum_of(fields) -> F:
    total = F(fields[0])
    for name in fields[1:]:
        total = total + F(name)
    return total


class MedType(models.TextChoices):
    """Common medical types; the field accepts any national code (e.g. 51 生育住院)."""

    GENERAL_OUTPATIENT = "11", _("普通门诊")
    CHRONIC_OUTPATIENT = "14", _("门诊慢特病")
    INPATIENT = "21", _("普通住院")


class UploadSource(models.TextChoices):
    API = "api", _("接口上传")
    FILE = "file", _("文件导入")
    CASE = "case", _("测试用例")
    DEMO = "demo", _("演示数据")


class Upload(models.Model):
    institution = models.ForeignKey(
        "insurance.Institution", on_delete=models.PROTECT, related_name="uploads", verbose_name=_("医药机构")
    )
    source = models.CharField(_("来源"), max_length=10, choices=UploadSource.choices)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("上传人"),
    )
    line_count = models.PositiveIntegerField(_("明细条数"), default=0)

    class Meta:
        verbose_name = _("明细上传批次")
        verbose_name_plural = _("明细上传批次")
        ordering = ["-created_at", "-pk"]
        # the daily job finds the day's uploads by time (docs/scaling.md)
        indexes = [models.Index(fields=["created_at"], name="claims_upload_created_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.institution_id} {self.source}"


class VisitStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    DISCHARGED = "discharged", _("已出院")
    SETTLED = "settled", _("已结算")


class Visit(models.Model):
    mdtrt_id = models.CharField(_("就诊ID"), max_length=30, unique=True)
    # no index of its own: (person, begntime) leads with it
    person = models.ForeignKey(
        "insurance.Person", on_delete=models.PROTECT, db_index=False,
        related_name="visits", verbose_name=_("参保人")
    )
    # no index of its own: (institution, begntime) leads with it
    institution = models.ForeignKey(
        "insurance.Institution", on_delete=models.PROTECT, db_index=False,
        related_name="visits", verbose_name=_("医药机构")
    )
    enrollment = models.ForeignKey(
        "insurance.Enrollment", on_delete=models.PROTECT, null=True, blank=True, related_name="visits",
        verbose_name=_("参保登记"), help_text=_("入院时有效的参保登记"),
    )
    med_type = models.CharField(
        _("医疗类别"), max_length=4, validators=[validate_med_type], help_text=_("如 11 普通门诊、14 门诊慢特病、21 普通住院")
    )
    begntime = models.DateTimeField(_("开始时间"))
    endtime = models.DateTimeField(_("结束时间"), null=True, blank=True)
    diagnoses = models.JSONField(_("诊断"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.REGISTERED
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("就诊")
        verbose_name_plural = _("就诊")
        ordering = ["-begntime", "mdtrt_id"]
        indexes = [
            models.Index(fields=["person", "begntime"]),
            # an institution's visits of a period (the workspace's institution page): without it the page reads
            # every visit the institution ever had (issue #7, growth)
            models.Index(fields=["institution", "begntime"], name="claims_visit_inst_begn_idx"),
            # the visits waiting to be settled: a small index however many settled visits there are
            models.Index(fields=["endtime"], condition=Q(status="discharged"), name="claims_visit_to_settle_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(endtime__isnull=True) | Q(endtime__gte=F("begntime")),
                name="%(app_label)s_%(class)s_endtime_after_begntime",
            ),
            models.CheckConstraint(
                condition=Q(status__in=VisitStatus.values), name="%(app_label)s_%(class)s_status"
            ),
        ]

    def __str__(self) -> str:
        return self.mdtrt_id

    @property
    def med_type_label(self) -> str:
        try:
            return MedType(self.med_type).label
        except ValueError:
            return self.med_type

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.diagnoses, list):
            raise ValidationError({"diagnoses": _("诊断应为列表。")})
        if self.begntime and self.endtime and self.endtime < self.begntime:
            raise ValidationError({"endtime": _("结束时间不能早于开始时间。")})


class FeeLineStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    CANCELLED = "cancelled", _("已撤销")


def _append_only() -> list:
    """Rows of an append-only table are never deleted and keep their id: what a foreign key's row lock on
    them would guard (SettlementLine's keys are checked per statement instead, see _keys_exist)."""
    return [
        pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete),
        pgtrigger.Protect(name="keep_id", operation=pgtrigger.Update,
                          condition=pgtrigger.Q(old__id__df=pgtrigger.F("new__id"))),
    ]


def _keys_exist(table: str, keys: dict[str, str]) -> list:
    """Statement-level foreign-key checks: after each INSERT or UPDATE, every new row's keys must exist in their
    tables, checked once for the statement's rows together (a join) instead of once per row. The daily batch
    writes a million settlement lines a night; the per-row checks of two foreign keys cost more than the rows."""
    # the LATERAL ... LIMIT 1 makes each check a probe of the parent's primary key per new row, whatever the
    # statement's size: never a scan of the parent table, which grows with the history
    checks = "".join(f"""
        IF (SELECT count(*) FROM new_rows) <> (SELECT count(*) FROM new_rows n
                CROSS JOIN LATERAL (SELECT 1 FROM {parent} p WHERE p.id = n.{column} LIMIT 1) found) THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
                MESSAGE = '{table}.{column}: no such row in {parent}';
        END IF;""" for column, parent in keys.items())
    func = checks + "\n        RETURN NULL;"
    return [
        pgtrigger.Trigger(name="keys_exist_insert", level=pgtrigger.Statement, when=pgtrigger.After,
                          operation=pgtrigger.Insert, referencing=pgtrigger.Referencing(new="new_rows"), func=func),
        pgtrigger.Trigger(name="keys_exist_update", level=pgtrigger.Statement, when=pgtrigger.After,
                          operation=pgtrigger.Update, referencing=pgtrigger.Referencing(old="old_rows", new="new_rows"),
                          func=func),
    ]


class FeeLine(models.Model):
    # no index of its own: (visit, feedetl_sn) leads with it
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, db_index=False, related_name="lines",
                              verbose_name=_("就诊"))
    feedetl_sn = models.CharField(_("费用明细流水号"), max_length=30)
    med_list_codg = models.CharField(_("医疗目录编码"), max_length=50)
    medins_list_codg = models.CharField(_("医药机构目录编码"), max_length=50, blank=True)
    cnt = models.DecimalField(_("数量"), **QUANTITY)
    pric = models.DecimalField(_("单价"), **QUANTITY)
    det_item_fee_sumamt = models.DecimalField(_("明细项目费用总额"), **AMOUNT)
    fee_ocur_time = models.DateTimeField(_("费用发生时间"), null=True, blank=True)
    bilg_dept_codg = models.CharField(_("开单科室编码"), max_length=30, blank=True)
    bilg_dr_codg = models.CharField(_("开单医生编码"), max_length=30, blank=True)
    upload = models.ForeignKey(
        Upload, on_delete=models.PROTECT, null=True, blank=True, related_name="lines", verbose_name=_("上传批次")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=FeeLineStatus.choices, default=FeeLineStatus.ACTIVE
    )
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    # Classification made at upload time (null until classified).
    fulamt_ownpay_amt = models.DecimalField(_("全自费金额"), null=True, blank=True, **AMOUNT)
    overlmt_selfpay = models.DecimalField(_("超限价自费金额"), null=True, blank=True, **AMOUNT)
    preselfpay_amt = models.DecimalField(_("先行自付金额"), null=True, blank=True, **AMOUNT)
    inscp_scp_amt = models.DecimalField(_("符合政策范围金额"), null=True, blank=True, **AMOUNT)
    chrgitm_lv = models.CharField(_("收费项目等级"), max_length=2, blank=True)
    selfpay_prop = models.DecimalField(_("自付比例"), max_digits=5, decimal_places=4, null=True, blank=True)
    reason = models.CharField(_("分类原因"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("费用明细")
        verbose_name_plural = _("费用明细")
        ordering = ["visit", "feedetl_sn"]
        triggers = _append_only()
        constraints = [
            models.UniqueConstraint(fields=["visit", "feedetl_sn"], name="%(app_label)s_%(class)s_visit_sn_uniq"),
            _gte_zero("det_item_fee_sumamt"),
            *[_gte_zero(name, nullable=True) for name in LINE_PART_FIELDS],
            models.CheckConstraint(
                condition=Q(status__in=FeeLineStatus.values), name="%(app_label)s_%(class)s_status"
            ),
            models.CheckConstraint(
                condition=(Q(status=FeeLineStatus.CANCELLED) & Q(cancelled_at__isnull=False))
                | (Q(status=FeeLineStatus.ACTIVE) & Q(cancelled_at__isnull=True)),
                name="%(app_label)s_%(class)s_cancelled_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id}#{self.feedetl_sn}"

    def clean(self) -> None:
        super().clean()
        if (self.status == FeeLineStatus.CANCELLED) != (self.cancelled_at is not None):
            raise ValidationError({"cancelled_at": _("撤销状态的明细必须有撤销时间，有效明细不能有撤销时间。")})


class SettlementKind(models.TextChoices):
    SETTLEMENT = "settlement", _("结算")
    REVERSAL = "reversal", _("冲销")


class SettlementStatus(models.TextChoices):
    SETTLED = "settled", _("已结算")
    CANCELLED = "cancelled", _("已撤销")


# Statement-level history triggers: the daily batch inserts a chunk's settlements (12,000 and more) in one
# statement, whose events are then written by one INSERT ... SELECT with the context attached once, instead of a
# trigger call, an event insert and a context upsert per row (docs/benchmarks.md). The events are the same.
@pghistory.track(level=pghistory.Statement)
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
        triggers = _append_only()
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
                condition=_equals_sum("fund_pay_sumamt", ("hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay")),
                name="%(app_label)s_%(class)s_fund_sum",
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
    # nothing looks settlement lines up by fee line, and fee lines are never deleted (a trigger refuses it).
    # The index cost a quarter of the daily batch's time spent writing settlement lines (docs/benchmarks.md).
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
        triggers = _keys_exist("claims_settlementline", {"settlement_id": "claims_settlement",
                                                         "fee_line_id": "claims_feeline"})
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


class JobStatus(models.TextChoices):
    PENDING = "pending", _("等待中")
    RUNNING = "running", _("运行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class DailyJob(models.Model):
    run_date = models.DateField(_("业务日期"), unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    chunks_total = models.PositiveIntegerField(_("分片总数"), default=0)
    chunks_done = models.PositiveIntegerField(_("已完成分片"), default=0)
    lines_classified = models.PositiveIntegerField(_("已分类明细"), default=0)
    visits_settled = models.PositiveIntegerField(_("已结算就诊"), default=0)
    visits_held = models.PositiveIntegerField(_("挂起就诊"), default=0)
    error = models.TextField(_("错误信息"), blank=True)
    # The job's inputs, fixed once when it is planned (claims.batch.jobs.plan_job), before any chunk runs: every chunk,
    # on whichever worker and however late it is retried, reads the same.
    planned_at = models.DateTimeField(_("计划时间"), null=True, blank=True)
    audit_stats = models.JSONField(
        _("机构统计快照"), default=dict, blank=True,
        help_text=_("智能审核比较的各机构次均费用：业务日期前90天已结算的结算，按机构和医疗类别"))

    class Meta:
        verbose_name = _("日终批处理")
        verbose_name_plural = _("日终批处理")
        ordering = ["-run_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="%(app_label)s_%(class)s_status"
            ),
            models.CheckConstraint(
                condition=Q(chunks_done__lte=F("chunks_total")), name="%(app_label)s_%(class)s_chunks"
            ),
            models.CheckConstraint(
                condition=Q(started_at__isnull=True) | Q(finished_at__isnull=True) | Q(finished_at__gte=F("started_at")),
                name="%(app_label)s_%(class)s_finished_after_started",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_date} {self.status}"


class DailyJobChunk(models.Model):
    """One share of a daily job, split by person; a worker claims it with a conditional update."""

    job = models.ForeignKey(DailyJob, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("批处理"))
    chunk_no = models.PositiveIntegerField(_("分片号"))
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    lines_classified = models.PositiveIntegerField(_("已分类明细"), default=0)
    visits_settled = models.PositiveIntegerField(_("已结算就诊"), default=0)
    visits_held = models.PositiveIntegerField(_("挂起就诊"), default=0)
    error = models.TextField(_("错误信息"), blank=True)
    visit_ids = models.JSONField(_("当日上传的就诊"), default=list, blank=True,
                                 help_text=_("本分片参保人当日有上传明细的就诊（计划批处理时确定）"))

    class Meta:
        verbose_name = _("批处理分片")
        verbose_name_plural = _("批处理分片")
        ordering = ["job", "chunk_no"]
        constraints = [
            models.UniqueConstraint(fields=["job", "chunk_no"], name="%(app_label)s_%(class)s_job_chunk_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.chunk_no} {self.status}"


class InstitutionAuditStats(models.Model):
    """An institution's statistics for the outlier rules as of the start of a day, read once and kept.

    The settlements of the HISTORY_DAYS before the day, per medical type: their number and their average
    medical fee total (claims.audit.pipeline.institution_stats, the window a daily job's plan uses). A settlement
    during the day reads this row instead of averaging up to 90 days of the institution's settlements
    again. For the largest hospitals that is hundreds of thousands of rows per request. Like a job's plan, the
    row does not change during its day: a cancellation after it was read counts from the next day on."""

    day = models.DateField(_("日期"))
    institution = models.ForeignKey(
        "insurance.Institution", on_delete=models.PROTECT, related_name="+", verbose_name=_("医药机构"),
    )
    by_med_type = models.JSONField(
        _("按医疗类别"), default=dict, blank=True,
        help_text=_("医疗类别 → [次均医疗费用(分), 结算笔数]：该日前90天已结算的结算"))
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    class Meta:
        verbose_name = _("机构审核统计")
        verbose_name_plural = _("机构审核统计")
        ordering = ["-day", "institution"]
        constraints = [
            models.UniqueConstraint(fields=["day", "institution"], name="%(app_label)s_%(class)s_day_inst_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.institution_id}"


class InstitutionDailySummary(models.Model):
    job = models.ForeignKey(DailyJob, on_delete=models.CASCADE, related_name="summaries", verbose_name=_("批处理"))
    institution = models.ForeignKey(
        "insurance.Institution", on_delete=models.PROTECT, related_name="daily_summaries",
        verbose_name=_("医药机构"),
    )
    lines = models.PositiveIntegerField(_("明细条数"), default=0)
    medfee_sumamt = models.DecimalField(_("医疗费总额"), default=0, **AMOUNT)
    fund_pay_sumamt = models.DecimalField(_("基金支付总额"), default=0, **AMOUNT)
    settled = models.PositiveIntegerField(_("结算就诊数"), default=0)
    held = models.PositiveIntegerField(_("挂起就诊数"), default=0)
    rejected = models.PositiveIntegerField(_("拒绝就诊数"), default=0)

    class Meta:
        verbose_name = _("机构日汇总")
        verbose_name_plural = _("机构日汇总")
        ordering = ["job", "institution"]
        constraints = [
            models.UniqueConstraint(fields=["job", "institution"], name="%(app_label)s_%(class)s_job_inst_uniq"),
            _gte_zero("medfee_sumamt"),
            _gte_zero("fund_pay_sumamt"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id} {self.institution_id}"


def _upload_job_path(job: "UploadJob", filename: str) -> str:
    return f"upload_jobs/{job.institution_id}/{timezone.localdate():%Y/%m/%d}/{filename}"


class UploadJob(models.Model):
    """A CSV/XLSX file of fee lines, imported asynchronously visit by visit (claims.intake.files)."""

    institution = models.ForeignKey(
        "insurance.Institution", on_delete=models.PROTECT, related_name="upload_jobs", verbose_name=_("医药机构")
    )
    file = models.FileField(_("文件"), upload_to=_upload_job_path, max_length=255)
    file_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    accepted = models.PositiveIntegerField(_("导入行数"), default=0)
    rejected = models.PositiveIntegerField(_("拒绝行数"), default=0)
    errors = models.JSONField(
        _("错误明细"), default=list, blank=True,
        help_text=_("每项: row, mdtrt_id, feedetl_sn, field, code, message"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("上传人"),
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("明细文件导入")
        verbose_name_plural = _("明细文件导入")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="%(app_label)s_%(class)s_status"
            ),
            models.CheckConstraint(
                condition=Q(rows_done__lte=F("rows_total")), name="%(app_label)s_%(class)s_rows_done"
            ),
            models.CheckConstraint(
                condition=Q(accepted__lte=F("rows_total") - F("rejected")),
                name="%(app_label)s_%(class)s_accepted_rejected",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.institution_id} {self.status}"


from claims.review_models import *  # noqa: E402,F401,F403  (smart-audit review, issue #5)
