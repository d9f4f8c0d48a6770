"""Monthly runs and statements, disbursements, and the year-end clearing. Readers take runs, statements and
statement lines through `current()`: a reopened month's superseded rows stay, but count no more."""
from decimal import Decimal

import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fund_budget.models.budget import InstitutionIndex, Rating
from fund_budget.models.common import APPEND_ONLY, MONEY, SERVICES_ONLY, USER, Fund, _check, _choice
from fund_budget.models.payment import PaymentMethod


class MonthlyRunQuerySet(models.QuerySet):
    def current(self):
        """Runs without an approved reopening (a reopened month's superseded run is history, not figures;
        docs/fund.md, "Reopening an unpaid month"). Every reader of runs goes through it."""
        return self.exclude(reopening_requests__approval__isnull=False)


class MonthlyStatementQuerySet(models.QuerySet):
    def current(self):
        """Statements not superseded by a reopening of their month. Every reader of statements goes through it."""
        return self.filter(superseded__isnull=True)


class StatementLineQuerySet(models.QuerySet):
    def current(self):
        """The lines of current statements (MonthlyStatementQuerySet.current)."""
        return self.filter(statement__superseded__isnull=True)


class MonthlyRun(models.Model):
    """One month's statement run. Its cutoff bounds what it saw: a settlement recorded after the cutoff
    with an event time in an already stated month is an adjustment of the next statement. A month has one
    current run; a reopened month (fund_budget.reopening) has a superseded run of sequence n and a new one
    of sequence n + 1 with the same previous run."""

    month = models.DateField(_("结算月份"), help_text=_("当月1日"))
    sequence = models.PositiveSmallIntegerField(_("批次序号"), default=1, help_text=_("同一月份的第几次结算(重开后加1)"))
    cutoff = models.DateTimeField(_("数据截止时间"))
    previous = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="next_runs", verbose_name=_("上一次结算"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("操作人"))
    statement_count = models.PositiveIntegerField(_("结算单数"), default=0)
    fund_total = models.DecimalField(_("基金支付合计"), **MONEY, default=Decimal("0"))
    payable_total = models.DecimalField(_("应拨付合计"), **MONEY, default=Decimal("0"))

    objects = MonthlyRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("月度结算批次")
        verbose_name_plural = _("月度结算批次")
        ordering = ["-month", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["month", "sequence"], name="%(app_label)s_%(class)s_month_sequence_uniq"),
        ]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}" if self.sequence == 1 else f"{self.month:%Y-%m} #{self.sequence}"


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
    chronic_capitation_amount = models.DecimalField(
        _("其中门慢特按人头"), **MONEY, default=Decimal("0"),
        help_text=_("按人头包干费用中按门慢特病种人头支付的部分"))
    payable = models.DecimalField(_("本月应付"), **MONEY, default=Decimal("0"))
    offset_amount = models.DecimalField(_("抵扣以前应收"), **MONEY, default=Decimal("0"),
                                        help_text=_("机构以前欠付(负数拨付)在本月抵扣"))
    net_payable = models.DecimalField(_("实际应拨付"), **MONEY, default=Decimal("0"))
    payment_due = models.DateField(_("拨付截止日"))
    issued_at = models.DateTimeField(_("出具时间"))

    objects = MonthlyStatementQuerySet.as_manager()

    class Meta:
        verbose_name = _("月度结算单")
        verbose_name_plural = _("月度结算单")
        ordering = ["-month", "institution"]
        indexes = [models.Index(fields=["month", "institution"])]
        constraints = [
            models.UniqueConstraint(fields=["institution", "run"], name="%(app_label)s_%(class)s_inst_run_uniq"),
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

    objects = StatementLineQuerySet.as_manager()

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
    SUPERSEDED = "superseded", _("已作废(月份重开)")


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
        triggers = [SERVICES_ONLY]  # paid or offset by the fund services only
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
        # A draft is recomputed and approved by the fund services only; an approved report is frozen for them too.
        triggers = [pgtrigger.Protect(name="approved_frozen", operation=pgtrigger.Update | pgtrigger.Delete,
                                      condition=pgtrigger.Q(old__status="approved")), SERVICES_ONLY]

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
        triggers = [SERVICES_ONLY]
        constraints = [models.UniqueConstraint(fields=["report", "seq"], name="%(app_label)s_%(class)s_uniq")]

    def __str__(self) -> str:
        return f"{self.report_id}#{self.seq} {self.key}"
