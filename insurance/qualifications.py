"""门慢特 (outpatient chronic and special diseases): the disease list and a person's qualification for one of
them (鉴定 / 认定, docs/benefit-layers.md §C "Qualification").

A qualification is an application (person, disease, evidence, who applied and for which institution) and the
decisions appended to it: approved (with its validity and, where the disease requires one, the designated
institution), refused (with a reason), and later revoked (the approved validity then ends on the revocation's
date). Nothing is edited or deleted: a trigger refuses UPDATE and DELETE on the application, its evidence and
its decisions; the state is read from the decisions (insurance.chronic_selectors).

The models name Person and Institution by their labels ("insurance.Person"), so that this module does not
import insurance.models, which imports it (Django registers models of the app's models module).
"""
from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.private_storage import get_private_storage

_USER = settings.AUTH_USER_MODEL


def _append_only() -> pgtrigger.Protect:
    return pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


class ChronicDisease(models.Model):
    """One disease of the 门慢特 list (national code M + 5 digits), imported as data
    (manage.py import_chronic_diseases); the benefits are the policy pack's (chronic.diseases)."""

    code = models.CharField(_("病种编码"), max_length=20, unique=True)
    name = models.CharField(_("病种名称"), max_length=100)
    icd10_prefixes = models.JSONField(_("ICD-10 编码前缀"), default=list, blank=True)
    institution_required = models.BooleanField(_("须选定点机构"), default=False)
    validity_months = models.PositiveSmallIntegerField(_("认定有效期(月)"), default=24)

    class Meta:
        verbose_name = _("门慢特病种")
        verbose_name_plural = _("门慢特病种")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(validity_months__gte=1),
                                              name="%(app_label)s_%(class)s_validity")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class QualificationState(models.TextChoices):
    APPLIED = "applied", _("已申请")
    APPROVED = "approved", _("已认定")
    REFUSED = "refused", _("未通过")
    REVOKED = "revoked", _("已撤销")


class ChronicQualification(models.Model):
    """An application for a 门慢特 qualification; its decisions are ChronicDecision rows."""

    person = models.ForeignKey("insurance.Person", on_delete=models.PROTECT, related_name="chronic_qualifications",
                               verbose_name=_("参保人"))
    disease = models.ForeignKey(ChronicDisease, on_delete=models.PROTECT, related_name="+", verbose_name=_("病种"))
    applying_institution = models.ForeignKey(
        "insurance.Institution", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("申请机构"), help_text=_("经机构端申请时为该机构；经办窗口申请时为空"))
    designated_institution = models.ForeignKey(
        "insurance.Institution", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("选定就医机构"))
    note = models.TextField(_("申请说明"), blank=True)
    applied_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    applied_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("门慢特资格")
        verbose_name_plural = _("门慢特资格")
        ordering = ["-applied_at", "-pk"]
        triggers = [_append_only()]
        indexes = [models.Index(fields=["person", "disease"]),
                   models.Index(fields=["applying_institution", "applied_at"])]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.disease_id} #{self.pk}"

    @property
    def state_label(self) -> str:
        """The state (annotated by insurance.chronic_selectors.with_state) by its label."""
        state = getattr(self, "state", None)
        return QualificationState(state).label if state in QualificationState.values else ""


def evidence_path(instance: ChronicEvidence, filename: str) -> str:
    """chronic/<application id>/<sha256>: the stored name never carries the uploader's file name."""
    return f"chronic/{instance.qualification_id}/{instance.sha256}"


class ChronicEvidence(models.Model):
    """One file of an application's evidence (诊断证明、病历 …), in the private store; type checked by content."""

    qualification = models.ForeignKey(ChronicQualification, on_delete=models.PROTECT, related_name="evidence",
                                      verbose_name=_("门慢特资格"))
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小(字节)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(_("文件"), storage=get_private_storage, upload_to=evidence_path, max_length=200)
    uploaded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("门慢特申请材料")
        verbose_name_plural = _("门慢特申请材料")
        ordering = ["qualification", "pk"]
        triggers = [_append_only()]
        constraints = [models.UniqueConstraint(fields=["qualification", "sha256"], name="insurance_evidence_once")]

    def __str__(self) -> str:
        return f"{self.qualification_id}: {self.original_name}"


class DecisionOutcome(models.TextChoices):
    APPROVED = "approved", _("认定")
    REFUSED = "refused", _("不予认定")
    REVOKED = "revoked", _("撤销")


class ChronicDecision(models.Model):
    """A decision on an application: approved (valid_from..valid_to, institution), refused (reason), or a later
    revocation of an approval (valid_to: the day it ends, reason). One approval or refusal per application and
    at most one revocation, which needs the approval (the services check it)."""

    qualification = models.ForeignKey(ChronicQualification, on_delete=models.PROTECT, related_name="decisions",
                                      verbose_name=_("门慢特资格"))
    outcome = models.CharField(_("决定"), max_length=10, choices=DecisionOutcome.choices)
    valid_from = models.DateField(_("有效期起"), null=True, blank=True)
    valid_to = models.DateField(_("有效期止"), null=True, blank=True)
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("认定就医机构"))
    reason = models.TextField(_("理由"), blank=True)
    decided_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("决定人"))
    decided_at = models.DateTimeField(_("决定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("门慢特认定决定")
        verbose_name_plural = _("门慢特认定决定")
        ordering = ["qualification", "decided_at", "pk"]
        triggers = [_append_only()]
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=DecisionOutcome.values),
                                   name="%(app_label)s_%(class)s_outcome"),
            models.CheckConstraint(
                condition=~Q(outcome=DecisionOutcome.APPROVED)
                | (Q(valid_from__isnull=False) & Q(valid_to__isnull=False) & Q(valid_to__gte=F("valid_from"))),
                name="%(app_label)s_%(class)s_approved_period"),
            models.CheckConstraint(condition=Q(outcome=DecisionOutcome.APPROVED) | ~Q(reason=""),
                                   name="%(app_label)s_%(class)s_reason"),
            models.CheckConstraint(condition=~Q(outcome=DecisionOutcome.REVOKED) | Q(valid_to__isnull=False),
                                   name="%(app_label)s_%(class)s_revoked_end"),
            models.UniqueConstraint(fields=["qualification"], condition=~Q(outcome=DecisionOutcome.REVOKED),
                                    name="insurance_decision_once"),
            models.UniqueConstraint(fields=["qualification"], condition=Q(outcome=DecisionOutcome.REVOKED),
                                    name="insurance_revocation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.qualification_id} {self.outcome}"
