"""The institution's side of the smart-audit review: its suspect items (疑点) and appeals (申诉).

An institution sees its own items — pending, confirmed, under appeal or reversed; dismissed ones are
closed and not listed — and another institution's item answers 404. The rules live in review.services.
Mounted under /api/v1/ next to the claims API (config/urls.py), with its authentication and errors.
"""
from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from claims.api.views import COMMON, ERRORS, NOT_FOUND, InstitutionAPIMixin
from review import services as review
from review.api import serializers as rs
from review.models import SuspectItem
from review.selectors import INSTITUTION_VISIBLE_STATES, items_for


class SuspectItemFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[(s.value, s.label) for s in INSTITUTION_VISIBLE_STATES], label=_("状态"))
    mdtrt_id = django_filters.CharFilter(field_name="visit__mdtrt_id", label=_("就诊ID"))

    class Meta:
        model = SuspectItem
        fields = ["state", "mdtrt_id"]


@extend_schema_view(
    list=extend_schema(
        summary="本机构的审核疑点", tags=["audit"],
        description="智能审核在结算后发现的本机构疑点：待审核(pending)、已确认扣款(confirmed)、申诉中(appealed)、"
                    "申诉成立已退还(reversed)。已排除的疑点不列出。可按 state、mdtrt_id 过滤。",
        responses={200: rs.SuspectItemSerializer, **COMMON},
    ),
    retrieve=extend_schema(
        summary="审核疑点详情", tags=["audit"],
        description="疑点的规则、命中的费用明细、依据、金额、审核意见与申诉情况。其他机构的疑点返回 404。",
        responses={200: rs.SuspectItemSerializer, 404: NOT_FOUND, **COMMON},
    ),
)
class SuspectItemViewSet(InstitutionAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    serializer_class = rs.SuspectItemSerializer
    filterset_class = SuspectItemFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        # items_for() scopes an institution user to its own institution and its visible states
        return (items_for(self.request.user)
                .filter(institution=self.institution, state__in=INSTITUTION_VISIBLE_STATES)
                .prefetch_related("hits").order_by("-created_at", "-pk"))

    @extend_schema(
        summary="对已确认扣款的疑点提出申诉", tags=["audit"],
        description="确认扣款后 APPEAL_WINDOW_DAYS(默认15)天内可申诉一次，须填写申诉说明。"
                    "申诉由确认人以外的申诉复核员复核；申诉成立的扣款在下一期月度结算中退还。"
                    "未确认的疑点返回 400 NOT_CONFIRMED，已申诉过返回 400 ALREADY_APPEALED，"
                    "超过期限返回 400 APPEAL_WINDOW_CLOSED，缺少说明返回 400 REQUIRED(field=explanation)。",
        request=rs.AppealCreateSerializer,
        responses={201: rs.SuspectItemSerializer, 400: ERRORS, 404: NOT_FOUND, **COMMON},
    )
    @action(detail=True, methods=["post"])
    def appeal(self, request, pk=None):
        item = get_object_or_404(self.get_queryset(), pk=pk)
        data = self.validated(rs.AppealCreateSerializer)
        review.file_appeal(item, user=request.user, explanation=data["explanation"])
        item = self.get_queryset().get(pk=item.pk)
        return Response(rs.SuspectItemSerializer(item).data, status=status.HTTP_201_CREATED)
