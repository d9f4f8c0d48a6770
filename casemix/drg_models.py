"""CHS-DRG grouping tables as data (docs/drg.md section 1), imported by casemix.models.

A DRG table is a GroupingTable of kind `drg` (versioned and effective-dated per region exactly like a DIP table;
a run reads the table of the kind its year's method needs). Its rows: the MDCs by main diagnosis prefixes, the
ADRGs within an MDC by main procedure prefixes (surgical) or main diagnosis prefixes (medical), the CC/MCC list
with the main diagnoses that exclude each entry, and the DRGs of each ADRG by severity with their relative weight
and reference average cost per institution level. Everything is append-only: a table is replaced by importing a
newer one (casemix.drg_importer).

This module does not import casemix.models (that module imports it): foreign keys name their models.
"""
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.ledger import append_only

DRG_MONEY = {"max_digits": 16, "decimal_places": 2}
RW = {"max_digits": 10, "decimal_places": 4}
POINTS_PER_RW = 100  # 点数法: a DRG's base points = RW × 100


class TableKind(models.TextChoices):
    DIP = "dip", _("DIP病种目录库")
    DRG = "drg", _("CHS-DRG分组方案")


class PaymentMethod(models.TextChoices):
    """A pool's year pays its grouped cases by one method (docs/drg.md section 3)."""

    DIP = "dip", _("DIP按病种分值付费")
    DRG_POINTS = "drg_points", _("DRG点数法")
    DRG_RATE = "drg_rate", _("DRG费率法")


TABLE_KIND_OF = {PaymentMethod.DIP: TableKind.DIP, PaymentMethod.DRG_POINTS: TableKind.DRG,
                 PaymentMethod.DRG_RATE: TableKind.DRG}


class AdrgKind(models.TextChoices):
    SURGICAL = "surgical", _("手术操作组")
    MEDICAL = "medical", _("内科组")


class CcLevel(models.TextChoices):
    MCC = "MCC", _("严重并发症或合并症")
    CC = "CC", _("一般并发症或合并症")


class DrgSeverity(models.TextChoices):
    MCC = "MCC", _("伴严重并发症或合并症")
    CC = "CC", _("伴一般并发症或合并症")
    NONE = "none", _("不伴并发症或合并症")
    ANY = "any", _("不区分并发症")


class DrgMdc(models.Model):
    """A Major Diagnostic Category (主要诊断大类): the main diagnosis prefixes (ICD-10 医保版) it takes."""

    table = models.ForeignKey("casemix.GroupingTable", on_delete=models.PROTECT, related_name="drg_mdcs",
                              verbose_name=_("分组表"))
    code = models.CharField(_("MDC编码"), max_length=3)
    name = models.CharField(_("MDC名称"), max_length=200)
    diag_prefixes = models.JSONField(_("主要诊断编码前缀"), default=list)

    class Meta:
        verbose_name = _("DRG主要诊断大类")
        verbose_name_plural = _("DRG主要诊断大类")
        ordering = ["table", "code"]
        triggers = [append_only()]
        constraints = [models.UniqueConstraint(fields=["table", "code"], name="%(app_label)s_%(class)s_code_uniq")]

    def __str__(self) -> str:
        return f"MDC{self.code} {self.name}"


class DrgAdrg(models.Model):
    """A base DRG (核心疾病诊断相关组) of an MDC: surgical by the main procedure prefixes (ICD-9-CM-3 医保版),
    medical by the main diagnosis prefixes."""

    table = models.ForeignKey("casemix.GroupingTable", on_delete=models.PROTECT, related_name="drg_adrgs",
                              verbose_name=_("分组表"))
    mdc = models.ForeignKey(DrgMdc, on_delete=models.PROTECT, related_name="adrgs", verbose_name=_("MDC"))
    code = models.CharField(_("ADRG编码"), max_length=6)
    name = models.CharField(_("ADRG名称"), max_length=200)
    kind = models.CharField(_("ADRG类型"), max_length=10, choices=AdrgKind.choices)
    prefixes = models.JSONField(_("编码前缀"), default=list,
                                help_text=_("手术操作组：主要手术操作编码前缀；内科组：主要诊断编码前缀"))

    class Meta:
        verbose_name = _("DRG核心疾病诊断相关组")
        verbose_name_plural = _("DRG核心疾病诊断相关组")
        ordering = ["table", "code"]
        triggers = [append_only()]
        constraints = [models.UniqueConstraint(fields=["table", "code"], name="%(app_label)s_%(class)s_code_uniq")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DrgCc(models.Model):
    """An entry of the complication and comorbidity list: a secondary diagnosis prefix, its level, and the main
    diagnosis prefixes that exclude it (a facet of the main diagnosis is not a complication)."""

    table = models.ForeignKey("casemix.GroupingTable", on_delete=models.PROTECT, related_name="drg_ccs",
                              verbose_name=_("分组表"))
    diag_prefix = models.CharField(_("其他诊断编码前缀"), max_length=20)
    level = models.CharField(_("并发症级别"), max_length=3, choices=CcLevel.choices)
    excluded_main_prefixes = models.JSONField(_("排除的主要诊断编码前缀"), default=list, blank=True)

    class Meta:
        verbose_name = _("DRG并发症或合并症")
        verbose_name_plural = _("DRG并发症或合并症")
        ordering = ["table", "diag_prefix"]
        triggers = [append_only()]
        constraints = [models.UniqueConstraint(fields=["table", "diag_prefix"],
                                               name="%(app_label)s_%(class)s_prefix_uniq")]

    def __str__(self) -> str:
        return f"{self.diag_prefix} {self.level}"


class DrgGroup(models.Model):
    """A DRG: its ADRG, the severity it takes (MCC, CC, none, or any: every case of the ADRG), the relative weight
    (RW) and the reference average cost at each institution level (null: none, the case stays paid by items)."""

    table = models.ForeignKey("casemix.GroupingTable", on_delete=models.PROTECT, related_name="drg_groups",
                              verbose_name=_("分组表"))
    adrg = models.ForeignKey(DrgAdrg, on_delete=models.PROTECT, related_name="drgs", verbose_name=_("ADRG"))
    code = models.CharField(_("DRG编码"), max_length=8)
    name = models.CharField(_("DRG名称"), max_length=200)
    severity = models.CharField(_("并发症情况"), max_length=4, choices=DrgSeverity.choices)
    rw = models.DecimalField(_("相对权重"), **RW)
    ref_cost_0 = models.DecimalField(_("一级以下次均费用"), null=True, blank=True, **DRG_MONEY)
    ref_cost_1 = models.DecimalField(_("一级次均费用"), null=True, blank=True, **DRG_MONEY)
    ref_cost_2 = models.DecimalField(_("二级次均费用"), null=True, blank=True, **DRG_MONEY)
    ref_cost_3 = models.DecimalField(_("三级次均费用"), null=True, blank=True, **DRG_MONEY)

    class Meta:
        verbose_name = _("DRG组")
        verbose_name_plural = _("DRG组")
        ordering = ["table", "code"]
        triggers = [append_only()]
        constraints = [
            models.UniqueConstraint(fields=["table", "code"], name="%(app_label)s_%(class)s_code_uniq"),
            models.UniqueConstraint(fields=["table", "adrg", "severity"],
                                    name="%(app_label)s_%(class)s_severity_uniq"),
            models.CheckConstraint(condition=Q(rw__gt=0), name="%(app_label)s_%(class)s_rw_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def points(self) -> Decimal:
        """The base points of 点数法: RW × 100 (the DIP pages read a group's `points`)."""
        return self.rw * POINTS_PER_RW
