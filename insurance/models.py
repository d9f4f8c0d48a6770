"""Insured persons, their enrollments and personal accounts, and medical institutions."""
import datetime

import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext_lazy as _

from core.ledger import append_only, history_meta
from insurance.qualifications import (  # noqa: F401  (registered with the app: the 门慢特 models)
    ChronicDecision,
    ChronicDisease,
    ChronicEvidence,
    ChronicQualification,
    DecisionOutcome,
    QualificationState,
)
from insurance.validators import (
    certno_birth_date,
    certno_gender,
    normalize_certno,
    validate_certno,
    validate_fixmedins_code,
    validate_region_code,
    validate_year_month,
)

MONEY = {"max_digits": 14, "decimal_places": 2}


class Gender(models.TextChoices):
    MALE = "1", _("男")
    FEMALE = "2", _("女")


class Insutype(models.TextChoices):
    EMPLOYEE = "310", _("职工基本医疗保险")
    CIVIL_SERVANT = "320", _("公务员医疗补助")
    VETERAN = "340", _("离休人员医疗保障")
    DISABLED_VETERAN = "350", _("一至六级残疾军人医疗补助")
    RESIDENT = "390", _("城乡居民基本医疗保险")
    MATERNITY = "510", _("生育保险")


# A person holds one basic enrollment (310 or 390) at a time and may hold parallel ones beside it
# (docs/benefit-layers.md "Parallel enrollments"); a veteran's 340/350 is the visit's own enrollment when no
# basic one is in force (policy_rules.engine.frames.enrollments_in_force prefers the basic one).
BASIC_INSUTYPES = (Insutype.EMPLOYEE.value, Insutype.RESIDENT.value)
PARALLEL_INSUTYPES = (Insutype.CIVIL_SERVANT.value, Insutype.VETERAN.value, Insutype.DISABLED_VETERAN.value,
                      Insutype.MATERNITY.value)


class PsnType(models.TextChoices):
    IN_SERVICE = "in_service", _("在职职工")
    RETIREE = "retiree", _("退休人员")
    RESIDENT_ADULT = "resident_adult", _("成年居民")
    STUDENT_CHILD = "student_child", _("学生儿童")
    ELDERLY = "elderly", _("老年居民")


class AssistanceCategory(models.TextChoices):
    """The medical-assistance categories an enrollment may carry (Enrollment.assistance_category stays free
    text, as the civil-affairs registers send it; these are the labels of the known codes)."""

    TEKUN = "tekun", _("特困人员")
    DIBAO = "dibao", _("低保对象")
    DIBIAN = "dibian", _("低保边缘人员")


class InstitutionLevel(models.IntegerChoices):
    UNGRADED = 0, _("未定级(村卫生室/社区服务站)")
    LEVEL_1 = 1, _("一级")
    LEVEL_2 = 2, _("二级")
    LEVEL_3 = 3, _("三级")


class InstitutionKind(models.TextChoices):
    HOSPITAL = "hospital", _("医疗机构")
    PHARMACY = "pharmacy", _("零售药店")


@pghistory.track(meta=history_meta())
class Person(models.Model):
    psn_no = models.CharField(_("人员编号"), max_length=30, unique=True)
    certno = models.CharField(
        _("身份证号码"), max_length=18, unique=True, null=True, blank=True, validators=[validate_certno]
    )
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))

    class Meta:
        verbose_name = _("参保人")
        verbose_name_plural = _("参保人")
        ordering = ["psn_no"]
        # caseworker search by name: exact or by its beginning (LIKE '张伟%'), whatever the collation
        indexes = [models.Index(fields=["name"], name="insurance_person_name_idx", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.CheckConstraint(condition=Q(gender__in=Gender.values), name="%(app_label)s_%(class)s_gender"),
        ]

    def __str__(self) -> str:
        return f"{self.psn_no} {self.name}"

    def save(self, *args, **kwargs):
        self.certno = normalize_certno(self.certno) or None
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.certno = normalize_certno(self.certno) or None
        if not self.certno or len(self.certno) != 18 or certno_birth_date(self.certno) is None:
            return  # format errors are reported by the field validator
        if self.birth_date and certno_birth_date(self.certno) != self.birth_date:
            raise ValidationError({"certno": _("身份证号码中的出生日期与出生日期字段不一致。")})
        if self.gender in Gender.values and self.certno[16].isdigit() and certno_gender(self.certno) != self.gender:
            raise ValidationError({"certno": _("身份证号码中的性别位与性别字段不一致。")})

    def age_on(self, on_date: datetime.date) -> int:
        """Age in full years on a date (周岁)."""
        before_birthday = (on_date.month, on_date.day) < (self.birth_date.month, self.birth_date.day)
        return on_date.year - self.birth_date.year - int(before_birthday)


class EnrollmentQuerySet(models.QuerySet):
    def in_force(self, person, on_date: datetime.date):
        """Enrollments of a person (any person when None) covering on_date: the basic ones (310, 390) first,
        then the latest start (frames.enrollments_in_force's order: the first is the one a visit registers
        under)."""
        qs = self.filter(enrolled_from__lte=on_date).filter(
            Q(enrolled_to__isnull=True) | Q(enrolled_to__gte=on_date)
        )
        if person is not None:
            qs = qs.filter(person=person)
        basic_first = Case(When(insutype__in=BASIC_INSUTYPES, then=Value(0)), default=Value(1))
        return qs.order_by(basic_first, "-enrolled_from", "-pk")


@pghistory.track(meta=history_meta())
class Enrollment(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("参保人")
    )
    insutype = models.CharField(_("险种类型"), max_length=6, choices=Insutype.choices)
    psn_type = models.CharField(_("人员类别"), max_length=20, choices=PsnType.choices)
    enrolled_from = models.DateField(_("参保开始日期"))
    enrolled_to = models.DateField(_("参保终止日期"), null=True, blank=True, help_text=_("为空表示持续参保"))
    paid_through = models.CharField(
        _("缴费至年月"), max_length=7, validators=[validate_year_month], help_text=_("YYYY-MM")
    )
    assistance_category = models.CharField(
        _("医疗救助类别"), max_length=20, blank=True, help_text=_("如 tekun 特困、dibao 低保、dibian 低边；为空表示无")
    )

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("参保登记")
        verbose_name_plural = _("参保登记")
        ordering = ["person", "-enrolled_from"]
        indexes = [models.Index(fields=["person", "enrolled_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(enrolled_to__isnull=True) | Q(enrolled_to__gte=F("enrolled_from")),
                name="%(app_label)s_%(class)s_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.insutype} {self.enrolled_from}~{self.enrolled_to or ''}"

    @property
    def assistance_category_label(self) -> str:
        """The category by its label ("" for none; an unknown code as itself)."""
        code = self.assistance_category
        return AssistanceCategory(code).label if code in AssistanceCategory.values else code

    def clean(self) -> None:
        super().clean()
        if self.enrolled_from and self.enrolled_to and self.enrolled_to < self.enrolled_from:
            raise ValidationError({"enrolled_to": _("参保终止日期不能早于参保开始日期。")})
        if self.person_id and self.enrolled_from:
            # one basic enrollment at a time; a parallel one (320, 340, 350, 510) may run beside it, but not
            # beside another of its own insutype
            overlapping = Enrollment.objects.filter(person_id=self.person_id).exclude(pk=self.pk)
            if self.insutype in PARALLEL_INSUTYPES:
                overlapping = overlapping.filter(insutype=self.insutype)
            else:
                overlapping = overlapping.exclude(insutype__in=PARALLEL_INSUTYPES)
            if self.enrolled_to:
                overlapping = overlapping.filter(enrolled_from__lte=self.enrolled_to)
            overlapping = overlapping.filter(Q(enrolled_to__isnull=True) | Q(enrolled_to__gte=self.enrolled_from))
            if overlapping.exists():
                raise ValidationError({"enrolled_from": _("该参保人在此期间已有其他参保登记。")})


@pghistory.track(meta=history_meta())
class EmployerWage(models.Model):
    """The average monthly wage of a person's employer (用人单位上年度职工月平均工资), effective-dated: the base of
    the maternity allowance (docs/benefit-layers.md §M), read as of the visit's admission. Kept per person,
    as the employer declares it for the insured; a new figure starts a new row (the old one ends the day
    before), so every allowance paid can be traced to the wage it was computed from."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="employer_wages", verbose_name=_("参保人")
    )
    emp_name = models.CharField(_("单位名称"), max_length=200, blank=True)
    avg_monthly_wage = models.DecimalField(
        _("单位职工月平均工资"), validators=[MinValueValidator(0)], **MONEY
    )
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True, help_text=_("为空表示持续有效"))

    class Meta:
        verbose_name = _("单位平均工资")
        verbose_name_plural = _("单位平均工资")
        ordering = ["person", "-effective_from"]
        indexes = [models.Index(fields=["person", "effective_from"], name="ins_employerwage_person_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="%(app_label)s_%(class)s_period",
            ),
            models.CheckConstraint(condition=Q(avg_monthly_wage__gte=0),
                                   name="%(app_label)s_%(class)s_wage_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.avg_monthly_wage} {self.effective_from}~{self.effective_to or ''}"

    def clean(self) -> None:
        super().clean()
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("失效日期不能早于生效日期。")})
        if self.person_id and self.effective_from:
            overlapping = EmployerWage.objects.filter(person_id=self.person_id).exclude(pk=self.pk).filter(
                Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from))
            if self.effective_to:
                overlapping = overlapping.filter(effective_from__lte=self.effective_to)
            if overlapping.exists():
                raise ValidationError({"effective_from": _("该参保人在此期间已有单位平均工资。")})


class PersonalAccount(models.Model):
    person = models.OneToOneField(
        Person, on_delete=models.PROTECT, related_name="account", verbose_name=_("参保人")
    )
    balance = models.DecimalField(_("账户余额"), default=0, validators=[MinValueValidator(0)], **MONEY)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("个人账户")
        verbose_name_plural = _("个人账户")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="%(app_label)s_%(class)s_balance_gte_0"),
        ]
        triggers = [append_only()]  # the balance moves with the settlement writers and cancellations only

    def __str__(self) -> str:
        return f"{self.person_id}: {self.balance}"


class MovementKind(models.TextChoices):
    CREDIT = "credit", _("划入")
    SETTLEMENT = "settlement", _("结算支出")
    REVERSAL = "reversal", _("结算冲销")
    ADJUSTMENT = "adjustment", _("调整")


class AccountMovement(models.Model):
    """Append-only ledger of a personal account; on PostgreSQL a trigger refuses UPDATE and DELETE."""

    account = models.ForeignKey(
        PersonalAccount, on_delete=models.PROTECT, related_name="movements", verbose_name=_("个人账户")
    )
    amount = models.DecimalField(_("发生额"), help_text=_("正数划入，负数支出"), **MONEY)
    balance_after = models.DecimalField(_("发生后余额"), validators=[MinValueValidator(0)], **MONEY)
    kind = models.CharField(_("类型"), max_length=20, choices=MovementKind.choices)
    settlement = models.ForeignKey(
        "claims.Settlement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account_movements",
        verbose_name=_("结算记录"),
    )
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)
    created_by = models.ForeignKey(  # indexed where set only (partial index below): the batch leaves it empty
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("经办人"), db_index=False,
    )
    reason = models.TextField(_("原因"), blank=True)

    class Meta:
        verbose_name = _("个人账户流水")
        verbose_name_plural = _("个人账户流水")
        ordering = ["account", "created_at", "pk"]
        indexes = [models.Index(fields=["created_by"], condition=Q(created_by__isnull=False),
                                name="ins_movement_created_by_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="%(app_label)s_%(class)s_balance_after_gte_0"
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="%(app_label)s_%(class)s_amount_nonzero"),
            models.CheckConstraint(
                condition=~Q(kind__in=[MovementKind.SETTLEMENT, MovementKind.REVERSAL])
                | Q(settlement__isnull=False),
                name="%(app_label)s_%(class)s_settlement_required",
            ),
            models.UniqueConstraint(
                fields=["settlement"],
                condition=Q(settlement__isnull=False),
                name="%(app_label)s_%(class)s_one_per_settlement",
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.amount}"


@pghistory.track(meta=history_meta())
class Institution(models.Model):
    fixmedins_code = models.CharField(
        _("定点医药机构编码"), max_length=12, unique=True, validators=[validate_fixmedins_code]
    )
    name = models.CharField(_("机构名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("医院等级"), choices=InstitutionLevel.choices)
    kind = models.CharField(
        _("机构类型"), max_length=10, choices=InstitutionKind.choices, default=InstitutionKind.HOSPITAL
    )
    designated = models.BooleanField(_("定点机构"), default=True)
    region = models.CharField(
        _("统筹区"), max_length=6, blank=True, validators=[validate_region_code], help_text=_("6位行政区划代码")
    )

    class Meta:
        verbose_name = _("医药机构")
        verbose_name_plural = _("医药机构")
        ordering = ["fixmedins_code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=0) & Q(level__lte=3), name="%(app_label)s_%(class)s_level_0_3"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=InstitutionKind.values), name="%(app_label)s_%(class)s_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fixmedins_code} {self.name}"


class InstitutionUser(models.Model):
    """The one institution a login (site user or API token) acts for; provider API access needs it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="institution_link", verbose_name=_("用户")
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="users", verbose_name=_("医药机构")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("机构用户")
        verbose_name_plural = _("机构用户")
        ordering = ["institution", "user"]

    def __str__(self) -> str:
        return f"{self.user} → {self.institution_id}"
