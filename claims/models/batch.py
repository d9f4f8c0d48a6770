"""The nightly job's state, its plan and what it reports (claims.batch)."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.models.common import AMOUNT, JobStatus, _gte_zero


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
    visits_quarantined = models.PositiveIntegerField(_("隔离就诊"), default=0,
                                                     help_text=_("本批处理无法结算而隔离的就诊（QuarantinedVisit）"))
    error = models.TextField(_("错误信息"), blank=True)
    # When the job was created: a chunk never sent to a worker is re-sent by the sweeper once this is old enough.
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
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
    """One share of a daily job, split by person; a worker takes it as a lease (core.leases, claims.batch.jobs):
    a conditional update gives it an owner token and an expiry that the worker's heartbeat moves forward; a chunk
    whose lease lapsed (its worker died) is taken again by the next worker or by the sweeper."""

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
    lease_owner = models.CharField(_("租约持有者"), max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(_("租约到期"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    enqueued_at = models.DateTimeField(_("入队时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批处理分片")
        verbose_name_plural = _("批处理分片")
        ordering = ["job", "chunk_no"]
        constraints = [
            models.UniqueConstraint(fields=["job", "chunk_no"], name="%(app_label)s_%(class)s_job_chunk_uniq"),
            models.CheckConstraint(
                condition=~Q(status=JobStatus.RUNNING) | Q(lease_expires_at__isnull=False),
                name="%(app_label)s_%(class)s_running_leased",
            ),
        ]
        indexes = [  # the sweeper's look-up: the chunks not finished
            models.Index(fields=["status"], name="claims_chunk_open_idx",
                         condition=Q(status__in=[JobStatus.PENDING, JobStatus.RUNNING])),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.chunk_no} {self.status}"


class InstitutionAuditStats(models.Model):
    """An institution's statistics for the outlier rules as of the start of a day, read once and kept.

    The settlements of the HISTORY_DAYS before the day, per medical type: their number and their average
    medical fee total (claims.audit.pipeline.institution_stats, the window a daily job's plan uses). A settlement
    during the day reads this row instead of averaging up to 90 days of the institution's settlements
    again, which grows with the hospital's volume. Like a job's plan, the
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




class QuarantineReason(models.TextChoices):
    DATE_OUT_OF_RANGE = "DATE_OUT_OF_RANGE", _("日期超出可处理范围")
    AMOUNT_OUT_OF_RANGE = "AMOUNT_OUT_OF_RANGE", _("金额超出可处理范围")
    ENGINE_ERROR = "ENGINE_ERROR", _("结算引擎无法处理")


class QuarantinedVisit(models.Model):
    """A visit the nightly job set aside instead of letting it stop its chunk (claims.batch.quarantine).

    One row per job (or per classification run, job empty) that set the visit aside, with the reason and the
    field or error that caused it; the rest of the chunk settles. The visit itself is left as it was
    (discharged, unsettled): every later night tries it again, and the night that settles or classifies it
    marks the row resolved. Written in the chunk's transaction: it lands with the chunk or not at all."""

    visit = models.ForeignKey("claims.Visit", on_delete=models.PROTECT, related_name="quarantines",
                              verbose_name=_("就诊"))
    job = models.ForeignKey(DailyJob, on_delete=models.CASCADE, null=True, blank=True, related_name="quarantined",
                            verbose_name=_("批处理"))
    chunk_no = models.PositiveIntegerField(_("分片号"))
    reason = models.CharField(_("原因"), max_length=30, choices=QuarantineReason.choices)
    field = models.CharField(_("字段"), max_length=40, blank=True)
    detail = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("隔离时间"), default=timezone.now)
    resolved_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("隔离就诊")
        verbose_name_plural = _("隔离就诊")
        ordering = ["-created_at", "visit"]
        constraints = [
            models.UniqueConstraint(fields=["job", "visit"], name="%(app_label)s_%(class)s_job_visit_uniq"),
            models.CheckConstraint(condition=Q(reason__in=QuarantineReason.values),
                                   name="%(app_label)s_%(class)s_reason"),
        ]
        indexes = [models.Index(fields=["visit", "resolved_at"], name="claims_quarantine_open_idx")]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.reason}"
