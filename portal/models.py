"""The portal's records: the files an institution attaches to an appeal (病历 …) and the trail of its API
tokens (issued, revoked). Both are append-only: a trigger refuses UPDATE and DELETE."""
from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.storage import get_private_storage

_USER = settings.AUTH_USER_MODEL


def _append_only() -> pgtrigger.Protect:
    return pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


def attachment_path(instance: AppealAttachment, filename: str) -> str:
    """appeals/<appeal id>/<sha256>: the stored name never carries the uploader's file name."""
    return f"appeals/{instance.appeal_id}/{instance.sha256}"


class AppealAttachment(models.Model):
    """One file attached to an appeal, kept in the private store; its type was checked by its content."""

    appeal = models.ForeignKey("review.Appeal", on_delete=models.PROTECT, related_name="attachments",
                               verbose_name=_("申诉"))
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小(字节)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(_("文件"), storage=get_private_storage, upload_to=attachment_path, max_length=200)
    uploaded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申诉附件")
        verbose_name_plural = _("申诉附件")
        ordering = ["appeal", "pk"]
        triggers = [_append_only()]
        constraints = [models.UniqueConstraint(fields=["appeal", "sha256"], name="portal_attachment_once")]

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.original_name}"


class TokenAction(models.TextChoices):
    ISSUED = "issued", _("签发")
    REVOKED = "revoked", _("吊销")


class ApiTokenEvent(models.Model):
    """Who issued or revoked which API token of an institution, when and why. The token itself is DRF's
    authtoken (one per API user, as manage.py create_institution_token makes it); revoking deletes it,
    so this trail is what remembers it. Only the key's last four characters are kept."""

    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("医药机构"))
    api_user = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("接口用户"))
    key_suffix = models.CharField(_("令牌末四位"), max_length=4)
    action = models.CharField(_("操作"), max_length=10, choices=TokenAction.choices)
    actor = models.ForeignKey(_USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("操作人"))
    at = models.DateTimeField(_("操作时间"), auto_now_add=True)
    reason = models.TextField(_("原因"), blank=True)

    class Meta:
        verbose_name = _("接口令牌记录")
        verbose_name_plural = _("接口令牌记录")
        ordering = ["-at", "-pk"]
        triggers = [_append_only()]
        indexes = [models.Index(fields=["institution", "at"])]
        constraints = [models.CheckConstraint(condition=models.Q(action__in=TokenAction.values),
                                              name="portal_apitokenevent_action")]

    def __str__(self) -> str:
        return f"{self.api_user_id} {self.action} …{self.key_suffix}"
