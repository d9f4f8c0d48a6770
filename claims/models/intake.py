"""Visits, fee lines and uploads: what institutions send (claims.intake)."""

import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.models.common import (
    AMOUNT,
    LINE_PART_FIELDS,
    QUANTITY,
    JobStatus,
    _append_only,
    _gte_zero,
    _history,
)
from core import bounds
from core.ledger import frozen_when
from insurance.validators import validate_med_type


class MedType(models.TextChoices):
    """The medical types by their labels (the same as the audit engine's MED_TYPE_LABELS, which cannot import
    Django); the field accepts any national code, and one not listed here shows as its code."""

    GENERAL_OUTPATIENT = "11", _("普通门诊")
    OUTPATIENT_REGISTRATION = "12", _("门诊挂号")
    EMERGENCY = "13", _("急诊")
    CHRONIC_OUTPATIENT = "14", _("门诊慢特病")
    INPATIENT = "21", _("普通住院")
    INJURY_INPATIENT = "22", _("外伤住院")
    PHARMACY = "41", _("定点药店购药")
    MATERNITY_OUTPATIENT = "51", _("生育门诊")
    MATERNITY_INPATIENT = "52", _("生育住院")


class MatnType(models.TextChoices):
    """生育类别: the kind of a delivery (a visit field, required for a maternity inpatient visit)."""

    NORMAL = "1", _("正常产")
    ASSISTED = "2", _("助娩产")
    CAESAREAN = "3", _("剖宫产")
    DYSTOCIA = "4", _("难产")
    ABORTION = "5", _("流产")


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


# History: every insert, and every update as its old row and its new row (labels before_update, update), so the
# values before a change are kept even for rows inserted before the tracking began.
def _old_and_new() -> tuple:
    """Fresh trackers for each model (pghistory fills a tracker's condition with its model's fields)."""
    return pghistory.UpdateEvent("before_update", row=pghistory.Old), pghistory.UpdateEvent()


@_history(trackers=(pghistory.InsertEvent(), *_old_and_new()))
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
    # the project's layers (docs/benefit-layers.md): a 门慢特 visit's disease, a delivery's kind
    # (db_default: the bulk writers of the synthetic city and the benchmarks name the national columns only)
    dise_codg = models.CharField(_("病种编码"), max_length=30, blank=True, default="", db_default="",
                                 help_text=_("门诊慢特病病种编码"))
    matn_type = models.CharField(_("生育类别"), max_length=6, blank=True, default="", db_default="",
                                 choices=MatnType.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.REGISTERED
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("就诊")
        verbose_name_plural = _("就诊")
        ordering = ["-begntime", "mdtrt_id"]
        triggers = [
            # the institution is fixed at registration (claims.intake.services.register_visit), on every path
            pgtrigger.Protect(name="institution_fixed", operation=pgtrigger.Update,
                              condition=pgtrigger.Q(old__institution_id__df=pgtrigger.F("new__institution_id"))),
            # a settled visit (or one being marked settled) changes only through the services (core.ledger)
            frozen_when("settled_frozen", "OLD.status = 'settled' OR NEW.status = 'settled'", "a settled visit"),
        ]
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

    @property
    def matn_type_label(self) -> str:
        return self.get_matn_type_display() if self.matn_type else ""

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.diagnoses, list):
            raise ValidationError({"diagnoses": _("诊断应为列表。")})
        errors = {}
        for name in ("begntime", "endtime"):
            try:
                bounds.check_date(getattr(self, name))
            except ValidationError as exc:
                errors[name] = exc
        for name in ("mdtrt_id", "med_type", "dise_codg"):
            if not getattr(self, name) and name == "dise_codg":
                continue
            try:
                bounds.check_code(getattr(self, name))
            except ValidationError as exc:
                errors[name] = exc
        if errors:
            raise ValidationError(errors)
        if self.begntime and self.endtime and self.endtime < self.begntime:
            raise ValidationError({"endtime": _("结束时间不能早于开始时间。")})


class FeeLineStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    CANCELLED = "cancelled", _("已撤销")


# Fee lines are inserted by the hundred thousand at upload: their history is their updates only, each as the old
# row and the new row (the inserted row is the first old row).
@_history(trackers=_old_and_new())
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
        # a settled visit's lines change only through the services (core.ledger): a lookup of the visit per
        # changed row outside the services; the services' own updates skip the trigger in its WHEN clause
        triggers = [*_append_only(), frozen_when(
            "settled_visit_frozen", "EXISTS (SELECT 1 FROM claims_visit v WHERE v.id IN (OLD.visit_id, NEW.visit_id) "
            "AND v.status = 'settled')", "a fee line of a settled visit")]
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
        errors = {}
        for name in ("cnt", "pric", "det_item_fee_sumamt"):
            try:
                bounds.check_decimal(getattr(self, name), self._meta.get_field(name))
            except ValidationError as exc:
                errors[name] = exc
        for name in ("feedetl_sn", "med_list_codg", "medins_list_codg", "bilg_dept_codg", "bilg_dr_codg"):
            try:
                bounds.check_code(getattr(self, name))
            except ValidationError as exc:
                errors[name] = exc
        try:
            bounds.check_date(self.fee_ocur_time)
        except ValidationError as exc:
            errors["fee_ocur_time"] = exc
        if self.cnt is not None and self.cnt <= 0:
            errors.setdefault("cnt", ValidationError(_("必须大于0。"), code="not_positive"))
        if errors:
            raise ValidationError(errors)
        if (self.status == FeeLineStatus.CANCELLED) != (self.cancelled_at is not None):
            raise ValidationError({"cancelled_at": _("撤销状态的明细必须有撤销时间，有效明细不能有撤销时间。")})



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
    # A lease (core.leases): the worker importing the file, until when, and how many workers have taken it.
    lease_owner = models.CharField(_("租约持有者"), max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(_("租约到期"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    # When its task was last sent to the broker (null: never, e.g. the broker was down); the sweeper re-sends.
    enqueued_at = models.DateTimeField(_("入队时间"), null=True, blank=True)

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
            models.CheckConstraint(
                condition=~Q(status=JobStatus.RUNNING) | Q(lease_expires_at__isnull=False),
                name="%(app_label)s_%(class)s_running_leased",
            ),
        ]
        indexes = [  # the sweeper's look-up: the jobs not finished
            models.Index(fields=["status"], name="claims_uploadjob_open_idx",
                         condition=Q(status__in=[JobStatus.PENDING, JobStatus.RUNNING])),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.institution_id} {self.status}"

