"""DIP (按病种分值付费) as data: grouping tables and year parameters the bureau imports, the settlement lists
(医疗保障基金结算清单) institutions upload, and each run's results per case and per institution.

Everything is append-only (core.ledger): a table or a year's parameters is replaced by importing a newer one,
a list by uploading a new version, a result by a new run. Semantics: shared/spec/dip.md; the engine:
policy_rules/engine/dip.py.
"""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.ledger import append_only
from insurance.validators import validate_region_code

from .drg_models import (  # noqa: F401 (the DRG table's models register with the app here)
    AdrgKind,
    CcLevel,
    DrgAdrg,
    DrgCc,
    DrgGroup,
    DrgMdc,
    DrgSeverity,
    PaymentMethod,
    TableKind,
)

MONEY = {"max_digits": 16, "decimal_places": 2}
POINTS = {"max_digits": 16, "decimal_places": 4}
RATIO = {"max_digits": 8, "decimal_places": 6}
LEVELS = (0, 1, 2, 3)


class GroupingTable(models.Model):
    """One imported grouping table, in force for its region from effective_from to effective_to; on a day the
    latest imported table of its kind covering it counts. Kind dip: a DIP 病种目录库 (DipGroup rows); kind drg: a
    CHS-DRG table (casemix.drg_models)."""

    code = models.CharField(_("分组版本编码"), max_length=50, unique=True)
    kind = models.CharField(_("分组表类型"), max_length=3, choices=TableKind.choices, default=TableKind.DIP)
    name = models.CharField(_("名称"), max_length=200)
    region = models.CharField(_("统筹区"), max_length=6, validators=[validate_region_code])
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("导入人"))

    class Meta:
        verbose_name = _("DIP分组表")
        verbose_name_plural = _("DIP分组表")
        ordering = ["region", "-effective_from", "-pk"]
        triggers = [append_only()]
        constraints = [models.CheckConstraint(
            condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
            name="%(app_label)s_%(class)s_period")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DipGroup(models.Model):
    """A disease group (病种): main diagnosis prefix, main procedure prefix or '' for 保守治疗, points and the
    reference average cost (次均费用) at each institution level (null: no reference, the case stays by items)."""

    table = models.ForeignKey(GroupingTable, on_delete=models.PROTECT, related_name="groups",
                              verbose_name=_("分组表"))
    code = models.CharField(_("病种编码"), max_length=30)
    name = models.CharField(_("病种名称"), max_length=200)
    diag = models.CharField(_("主要诊断编码前缀"), max_length=20)
    oprn = models.CharField(_("主要手术操作编码前缀"), max_length=20, blank=True, help_text=_("空为保守治疗"))
    points = models.DecimalField(_("病种分值"), **POINTS)
    ref_cost_0 = models.DecimalField(_("一级以下次均费用"), null=True, blank=True, **MONEY)
    ref_cost_1 = models.DecimalField(_("一级次均费用"), null=True, blank=True, **MONEY)
    ref_cost_2 = models.DecimalField(_("二级次均费用"), null=True, blank=True, **MONEY)
    ref_cost_3 = models.DecimalField(_("三级次均费用"), null=True, blank=True, **MONEY)

    class Meta:
        verbose_name = _("DIP病种")
        verbose_name_plural = _("DIP病种")
        ordering = ["table", "code"]
        triggers = [append_only()]
        constraints = [
            models.UniqueConstraint(fields=["table", "code"], name="%(app_label)s_%(class)s_code_uniq"),
            models.CheckConstraint(condition=Q(points__gt=0), name="%(app_label)s_%(class)s_points_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DipYearParameters(models.Model):
    """A region's DIP parameters of a year: thresholds, coefficient per level, the DIP budget. A new row
    replaces the previous one (the latest counts); the old stays for the record."""

    region = models.CharField(_("统筹区"), max_length=6, validators=[validate_region_code])
    year = models.PositiveSmallIntegerField(_("年度"))
    low = models.DecimalField(_("低倍率界值"), default="0.5", **RATIO)
    high = models.DecimalField(_("高倍率界值"), default="2", **RATIO)
    coef_0 = models.DecimalField(_("一级以下系数"), null=True, blank=True, **RATIO)
    coef_1 = models.DecimalField(_("一级系数"), null=True, blank=True, **RATIO)
    coef_2 = models.DecimalField(_("二级系数"), null=True, blank=True, **RATIO)
    coef_3 = models.DecimalField(_("三级系数"), null=True, blank=True, **RATIO)
    budget = models.DecimalField(_("DIP基金预算"), **MONEY)
    method = models.CharField(_("付费方式"), max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.DIP)
    rate = models.DecimalField(_("DRG费率(元/点)"), max_digits=16, decimal_places=6, null=True, blank=True,
                               help_text=_("费率法：每点的固定金额"))
    reason = models.TextField(_("原因"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("经办人"))

    class Meta:
        verbose_name = _("DIP年度参数")
        verbose_name_plural = _("DIP年度参数")
        ordering = ["region", "-year", "-pk"]
        triggers = [append_only()]
        constraints = [
            models.CheckConstraint(condition=Q(low__gte=0) & Q(low__lte=1) & Q(high__gte=1),
                                   name="%(app_label)s_%(class)s_thresholds"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="%(app_label)s_%(class)s_budget_gte_0"),
            models.CheckConstraint(condition=~Q(method=PaymentMethod.DRG_RATE) | Q(rate__isnull=False, rate__gt=0),
                                   name="%(app_label)s_%(class)s_rate_of_drg_rate"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year} #{self.pk}"


class SettlementList(models.Model):
    """One version of the settlement list of an inpatient settlement [4101]; the highest version counts.
    Field names are the national interface's."""

    settlement = models.ForeignKey("claims.Settlement", on_delete=models.PROTECT, related_name="setl_lists",
                                   verbose_name=_("结算记录"))
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("医药机构"))
    version = models.PositiveIntegerField(_("版本"))
    dscg_way = models.CharField(_("离院方式"), max_length=3)
    chfpdr_code = models.CharField(_("主诊医师代码"), max_length=30)
    scs_cutd_sum_dura = models.DecimalField(_("重症监护合计时长(小时)"), max_digits=8, decimal_places=2, default=0)
    vent_used_dura = models.DecimalField(_("呼吸机使用时长(小时)"), max_digits=8, decimal_places=2, default=0)
    nwb_bir_wt = models.JSONField(_("新生儿出生体重(克)"), default=list, blank=True)
    nwb_adm_wt = models.PositiveIntegerField(_("新生儿入院体重(克)"), null=True, blank=True)
    content_hash = models.CharField(_("内容摘要"), max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("上传人"))

    class Meta:
        verbose_name = _("医保结算清单")
        verbose_name_plural = _("医保结算清单")
        ordering = ["settlement", "-version"]
        triggers = [append_only()]
        constraints = [models.UniqueConstraint(fields=["settlement", "version"],
                                               name="%(app_label)s_%(class)s_version_uniq")]

    def __str__(self) -> str:
        return f"{self.settlement_id} v{self.version}"


class ListDiagnosis(models.Model):
    setl_list = models.ForeignKey(SettlementList, on_delete=models.PROTECT, related_name="diagnoses",
                                  verbose_name=_("结算清单"))
    seq = models.PositiveSmallIntegerField(_("序号"))
    diag_code = models.CharField(_("诊断代码"), max_length=20)
    diag_name = models.CharField(_("诊断名称"), max_length=200)
    maindiag_flag = models.BooleanField(_("主诊断标志"))
    adm_cond_type = models.CharField(_("入院病情"), max_length=1, blank=True)

    class Meta:
        verbose_name = _("清单诊断")
        verbose_name_plural = _("清单诊断")
        ordering = ["setl_list", "seq"]
        triggers = [append_only()]
        constraints = [
            models.UniqueConstraint(fields=["setl_list", "seq"], name="%(app_label)s_%(class)s_seq_uniq"),
            models.UniqueConstraint(fields=["setl_list"], condition=Q(maindiag_flag=True),
                                    name="%(app_label)s_%(class)s_one_main"),
        ]

    def __str__(self) -> str:
        return f"{self.diag_code} {self.diag_name}"


class ListOperation(models.Model):
    setl_list = models.ForeignKey(SettlementList, on_delete=models.PROTECT, related_name="operations",
                                  verbose_name=_("结算清单"))
    seq = models.PositiveSmallIntegerField(_("序号"))
    oprn_oprt_code = models.CharField(_("手术操作代码"), max_length=20)
    oprn_oprt_name = models.CharField(_("手术操作名称"), max_length=200)
    main_oprn_flag = models.BooleanField(_("主手术操作标志"))
    oprn_oprt_date = models.DateField(_("手术操作日期"))
    anst_way = models.CharField(_("麻醉方式"), max_length=10, blank=True)
    oper_dr_code = models.CharField(_("术者医师代码"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("清单手术操作")
        verbose_name_plural = _("清单手术操作")
        ordering = ["setl_list", "seq"]
        triggers = [append_only()]
        constraints = [
            models.UniqueConstraint(fields=["setl_list", "seq"], name="%(app_label)s_%(class)s_seq_uniq"),
            models.UniqueConstraint(fields=["setl_list"], condition=Q(main_oprn_flag=True),
                                    name="%(app_label)s_%(class)s_one_main"),
        ]

    def __str__(self) -> str:
        return f"{self.oprn_oprt_code} {self.oprn_oprt_name}"


class DipRun(models.Model):
    """One run of a region's year through the DIP engine: what it read and the point value. A final run
    (the year-end clearing's) fixes the groups of its cases: their lists can no longer be replaced."""

    region = models.CharField(_("统筹区"), max_length=6)
    year = models.PositiveSmallIntegerField(_("年度"))
    table = models.ForeignKey(GroupingTable, on_delete=models.PROTECT, related_name="runs",
                              verbose_name=_("分组表"))
    parameters = models.ForeignKey(DipYearParameters, on_delete=models.PROTECT, related_name="runs",
                                   verbose_name=_("年度参数"))
    final = models.BooleanField(_("最终分组"), default=False)
    point_value = models.DecimalField(_("点值"), max_digits=16, decimal_places=6)
    total_points = models.DecimalField(_("总点数"), **POINTS)
    cases = models.PositiveIntegerField(_("病例数"))
    grouped = models.PositiveIntegerField(_("入组病例数"))
    reason = models.TextField(_("原因"), blank=True)
    created_at = models.DateTimeField(_("运行时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("经办人"))

    class Meta:
        verbose_name = _("DIP年度运行")
        verbose_name_plural = _("DIP年度运行")
        ordering = ["region", "-year", "-pk"]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"{self.region} {self.year} #{self.pk}"


class CaseKind(models.TextChoices):
    NORMAL = "normal", _("正常病例")
    LOW = "low", _("低倍率病例")
    HIGH = "high", _("高倍率病例")
    UNGROUPED = "", _("未入组")


class DipCaseResult(models.Model):
    """A case of a run: its group ('' 未入组), kind and points, and the amounts it was scored with."""

    run = models.ForeignKey(DipRun, on_delete=models.PROTECT, related_name="case_results", verbose_name=_("运行"))
    settlement = models.ForeignKey("claims.Settlement", on_delete=models.PROTECT, related_name="dip_results",
                                   verbose_name=_("结算记录"))
    setl_list = models.ForeignKey(SettlementList, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("结算清单"))
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("医药机构"))
    group_code = models.CharField(_("病种编码"), max_length=30, blank=True, help_text=_("DIP病种或DRG编码"))
    kind = models.CharField(_("病例类型"), max_length=10, choices=CaseKind.choices, blank=True)
    # DRG years only: the case's path through the table and why it stayed ungrouped (NO_MDC, NO_ADRG, NO_DRG)
    mdc = models.CharField(_("MDC"), max_length=3, blank=True)
    adrg = models.CharField(_("ADRG"), max_length=6, blank=True)
    severity = models.CharField(_("并发症情况"), max_length=4, blank=True)
    ungrouped_reason = models.CharField(_("未入组原因"), max_length=10, blank=True)
    points = models.DecimalField(_("点数"), null=True, blank=True, **POINTS)
    medfee_sumamt = models.DecimalField(_("医疗费总额"), **MONEY)
    fund_pay_sumamt = models.DecimalField(_("基金支付总额"), **MONEY)
    psn_part_amt = models.DecimalField(_("个人负担总金额"), **MONEY)

    class Meta:
        verbose_name = _("DIP病例结果")
        verbose_name_plural = _("DIP病例结果")
        ordering = ["run", "settlement"]
        triggers = [append_only()]
        constraints = [models.UniqueConstraint(fields=["run", "settlement"],
                                               name="%(app_label)s_%(class)s_one_per_run")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.settlement_id} {self.group_code or '-'}"


class DipInstitutionResult(models.Model):
    """An institution's DIP figures of a run (spec section 3): the DIP line of its year-end clearing."""

    run = models.ForeignKey(DipRun, on_delete=models.PROTECT, related_name="institution_results",
                            verbose_name=_("运行"))
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("医药机构"))
    points = models.DecimalField(_("点数"), **POINTS)
    point_value = models.DecimalField(_("点值"), max_digits=16, decimal_places=6)
    patient_share = models.DecimalField(_("个人负担"), **MONEY)
    fund_paid_by_items = models.DecimalField(_("已按项目支付"), **MONEY)
    dip_amount = models.DecimalField(_("DIP应付金额"), max_digits=16, decimal_places=2)
    clearing = models.DecimalField(_("DIP清算金额"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("DIP机构结果")
        verbose_name_plural = _("DIP机构结果")
        ordering = ["run", "institution"]
        triggers = [append_only()]
        constraints = [models.UniqueConstraint(fields=["run", "institution"],
                                               name="%(app_label)s_%(class)s_one_per_run")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.institution_id} {self.clearing}"
