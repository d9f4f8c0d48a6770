"""Serializers of the institution's side of the smart-audit review: its suspect items and appeals."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from claims.api.serializers import money
from review.models import Appeal, AuditHit, SuspectItem
from review.services import appeal_deadline


class AuditHitSerializer(serializers.ModelSerializer):
    amount = money(help_text=_("该处命中涉及的金额"))
    evidence = serializers.CharField(help_text=_("命中依据(中文)"))

    class Meta:
        model = AuditHit
        fields = ["feedetl_sns", "amount", "evidence", "related_mdtrt_id"]


class AppealSerializer(serializers.ModelSerializer):
    class Meta:
        model = Appeal
        fields = ["explanation", "state", "filed_at", "decided_at", "decision_reason"]


class SuspectItemSerializer(serializers.ModelSerializer):
    mdtrt_id = serializers.CharField(source="visit.mdtrt_id")
    setl_id = serializers.CharField(source="settlement.setl_id")
    fixmedins_code = serializers.CharField(source="institution.fixmedins_code")
    rule_code = serializers.CharField(source="rule.code")
    rule_name = serializers.CharField(source="rule.name")
    rule_type = serializers.CharField(source="rule.rule_type")
    amount_at_stake = money(help_text=_("疑点金额"))
    confirmed_amount = money(allow_null=True, help_text=_("确认扣款金额；未确认时为 null"))
    appeal_deadline = serializers.SerializerMethodField(help_text=_("申诉截止时间；未确认时为 null"))
    hits = AuditHitSerializer(many=True, read_only=True)
    appeal = AppealSerializer(read_only=True, allow_null=True, help_text=_("申诉；未申诉时为 null"))

    class Meta:
        model = SuspectItem
        fields = ["id", "mdtrt_id", "setl_id", "fixmedins_code", "rule_code", "rule_name", "rule_type",
                  "amount_at_stake", "state", "confirmed_amount", "confirmed_at", "review_reason", "appeal_deadline",
                  "created_at", "hits", "appeal"]

    def get_appeal_deadline(self, item) -> str | None:
        deadline = appeal_deadline(item)
        return serializers.DateTimeField().to_representation(deadline) if deadline else None


class AppealCreateSerializer(serializers.Serializer):
    explanation = serializers.CharField(max_length=5000, allow_blank=True, trim_whitespace=True,
                                        help_text=_("申诉说明(必填)"))
