"""The three catalogs (三目录) and the imported, effective-dated policy versions."""
import datetime

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.ledger import history_meta
from insurance.models import Gender
from insurance.validators import validate_med_type, validate_region_code
from policy_rules.engine.audit import RULE_TYPES, AuditRule, validate_rule_params


class ListType(models.TextChoices):
    DRUG = "drug", _("药品")
    SERVICE = "service", _("医疗服务项目")
    CONSUMABLE = "consumable", _("医用耗材")


class ChrgLv(models.TextChoices):
    CLASS_A = "01", _("甲类")
    CLASS_B = "02", _("乙类")
    CLASS_C = "03", _("丙类")


class CapGroup(models.TextChoices):
    """The cap groups (封顶线组) of the demo policy packs by their labels. A pack names its own groups (caps, a
    benefit's cap_group), so the accumulators' key stays free text; a group not listed here shows as its code."""

    EMPLOYEE_POOL = "employee_pool", _("职工统筹基金")
    EMPLOYEE_OUTPATIENT = "employee_outpatient", _("职工普通门诊统筹")
    RESIDENT_POOL = "resident_pool", _("居民统筹基金")
    RESIDENT_OUTPATIENT = "resident_outpatient", _("居民普通门诊统筹")


def validate_med_type_list(value) -> None:
    if not isinstance(value, list):
        raise ValidationError(_("限定医疗类别应为医疗类别代码的列表。"), code="med_types")
    for item in value:
        if not isinstance(item, str):
            raise ValidationError(_("限定医疗类别应为医疗类别代码的列表。"), code="med_types")
        validate_med_type(item)


# the catalog columns the engine and the audit read, by both readers (catalog_frame ignores the name)
CATALOG_FIELDS = ("med_list_codg", "name", "chrg_lv", "selfpay_prop", "price_limit", "restrict_gender",
                  "restrict_min_age", "restrict_max_age", "restrict_min_level", "restrict_med_types",
                  "effective_from", "effective_to")


class CatalogItemQuerySet(models.QuerySet):
    def effective_on(self, on_date: datetime.date):
        return self.filter(effective_from__lte=on_date).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on_date)
        )


@pghistory.track(meta=history_meta())
class CatalogItem(models.Model):
    med_list_codg = models.CharField(_("医疗目录编码"), max_length=50, db_index=True)
    name = models.CharField(_("名称"), max_length=200)
    list_type = models.CharField(
        _("目录类别"), max_length=12, choices=ListType.choices, blank=True, help_text=_("为空表示未分类")
    )
    chrg_lv = models.CharField(_("收费项目等级"), max_length=2, choices=ChrgLv.choices)
    selfpay_prop = models.DecimalField(
        _("先行自付比例"), max_digits=5, decimal_places=4, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("仅乙类；为空时使用政策包的默认比例"),
    )
    price_limit = models.DecimalField(
        _("限价"), max_digits=14, decimal_places=4, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    restrict_gender = models.CharField(_("限定性别"), max_length=1, choices=Gender.choices, blank=True)
    restrict_min_age = models.PositiveSmallIntegerField(_("限定最小年龄"), null=True, blank=True)
    restrict_max_age = models.PositiveSmallIntegerField(_("限定最大年龄"), null=True, blank=True)
    restrict_min_level = models.PositiveSmallIntegerField(
        _("限定最低医院等级"), null=True, blank=True, validators=[MaxValueValidator(3)]
    )
    restrict_med_types = models.JSONField(
        _("限定医疗类别"), default=list, blank=True, validators=[validate_med_type_list]
    )
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)

    objects = CatalogItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("医保目录项目")
        verbose_name_plural = _("医保目录")
        ordering = ["med_list_codg", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["med_list_codg", "effective_from"], name="%(app_label)s_%(class)s_code_from_uniq"
            ),
            models.CheckConstraint(
                condition=Q(chrg_lv__in=ChrgLv.values), name="%(app_label)s_%(class)s_chrg_lv"
            ),
            models.CheckConstraint(
                condition=Q(selfpay_prop__isnull=True) | (Q(selfpay_prop__gte=0) & Q(selfpay_prop__lte=1)),
                name="%(app_label)s_%(class)s_selfpay_prop_0_1",
            ),
            models.CheckConstraint(
                condition=Q(price_limit__isnull=True) | Q(price_limit__gte=0),
                name="%(app_label)s_%(class)s_price_limit_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(restrict_gender__in=["", *Gender.values]),
                name="%(app_label)s_%(class)s_restrict_gender",
            ),
            models.CheckConstraint(
                condition=Q(restrict_min_level__isnull=True) | Q(restrict_min_level__lte=3),
                name="%(app_label)s_%(class)s_restrict_min_level_0_3",
            ),
            models.CheckConstraint(
                condition=Q(restrict_min_age__isnull=True)
                | Q(restrict_max_age__isnull=True)
                | Q(restrict_max_age__gte=F("restrict_min_age")),
                name="%(app_label)s_%(class)s_age_range",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="%(app_label)s_%(class)s_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.med_list_codg} {self.name}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if (
            self.restrict_min_age is not None
            and self.restrict_max_age is not None
            and self.restrict_max_age < self.restrict_min_age
        ):
            errors["restrict_max_age"] = _("限定最大年龄不能小于限定最小年龄。")
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            errors["effective_to"] = _("失效日期不能早于生效日期。")
        if errors:
            raise ValidationError(errors)


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("生效")
    RETIRED = "retired", _("停用")


class PolicyVersionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=PolicyStatus.ACTIVE)

    def covering(self, on_date: datetime.date):
        return self.filter(effective_from__lte=on_date).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on_date)
        )


@pghistory.track(meta=history_meta())
class PolicyVersion(models.Model):
    """A policy pack as imported. Create, activate and export through policy_rules.services."""

    code = models.CharField(_("政策包编码"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    region = models.CharField(_("统筹区"), max_length=6, validators=[validate_region_code])
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    document = models.JSONField(_("政策包内容"), help_text=_("导入时的政策包原文，导出时原样返回"))
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("导入人"),
    )

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("政策版本")
        verbose_name_plural = _("政策版本")
        ordering = ["region", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PolicyStatus.values), name="%(app_label)s_%(class)s_status"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="%(app_label)s_%(class)s_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# --- smart-audit rule library (智能审核规则库) ------------------------------------------------------------

def audit_rule_types() -> dict:
    """{rule_type: (Chinese label, {param key: doc})}: the audit engine's RULE_TYPES, the one source of truth."""
    return RULE_TYPES


def audit_rule_type_choices() -> list[tuple[str, str]]:
    # A callable, so that a new rule type in the engine needs no migration.
    return [(code, f"{label} ({code})") for code, (label, _params) in audit_rule_types().items()]


class AuditSeverity(models.TextChoices):
    WARN = "warn", _("提醒")
    SUSPECT = "suspect", _("疑点")


class AuditRuleQuerySet(models.QuerySet):
    def in_force(self, on_date: datetime.date):
        return self.filter(enabled=True, effective_from__lte=on_date).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on_date)
        )


@pghistory.track(meta=history_meta())
class AuditRuleDefinition(models.Model):
    """One rule of the smart-audit library: a rule type of the engine with its parameters, effective-dated."""

    code = models.CharField(_("规则编码"), max_length=40, unique=True)
    name = models.CharField(_("规则名称"), max_length=200)
    rule_type = models.CharField(_("规则类型"), max_length=40, choices=audit_rule_type_choices)
    params = models.JSONField(_("参数"), default=dict, blank=True, help_text=_("JSON 对象，键由规则类型决定"))
    severity = models.CharField(_("严重程度"), max_length=10, choices=AuditSeverity.choices,
                                default=AuditSeverity.SUSPECT,
                                help_text=_("提醒只记录；疑点在结算后进入人工审核"))
    description = models.TextField(_("说明"), blank=True)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("创建人"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("更新人"),
    )

    objects = AuditRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("智能审核规则")
        verbose_name_plural = _("智能审核规则库")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=AuditSeverity.values), name="%(app_label)s_%(class)s_severity"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="%(app_label)s_%(class)s_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        # an unknown rule_type is reported by the field's choices; its params cannot be checked then
        if self.rule_type in audit_rule_types():
            problems = validate_rule_params(self.rule_type, self.params)  # each message starts with the key
            if problems:
                errors["params"] = [str(p) for p in problems]
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            errors["effective_to"] = [_("失效日期不能早于生效日期。")]
        if errors:
            raise ValidationError(errors)

    def to_engine(self):
        """The engine's dataclass for this row."""
        return AuditRule(code=self.code, rule_type=self.rule_type, params=dict(self.params or {}),
                         severity=self.severity, name=self.name, id=self.pk)
