"""The institution's visits the nightly job set aside (claims.batch.quarantine): read only, its own visits only.

A visit listed here was not settled by the night that met it and is not in that day's totals of 对总账 [3201];
every later night tries it again, and the row shows when one took it (resolved_at). The reason is given as a
code and its words; the error text behind an ENGINE_ERROR stays with the caseworker (the admin)."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from claims.api.views import COMMON, InstitutionAPIMixin
from claims.models import QuarantinedVisit


class QuarantinedVisitSerializer(serializers.ModelSerializer):
    mdtrt_id = serializers.CharField(source="visit.mdtrt_id", help_text=_("就诊ID"))
    psn_no = serializers.CharField(source="visit.person.psn_no", help_text=_("人员编号"))
    visit_status = serializers.CharField(source="visit.status", help_text=_("就诊当前状态"))
    run_date = serializers.DateField(source="job.run_date", allow_null=True, help_text=_("批处理业务日期"))
    reason_name = serializers.CharField(source="get_reason_display", help_text=_("原因说明"))

    class Meta:
        model = QuarantinedVisit
        fields = ["mdtrt_id", "psn_no", "visit_status", "run_date", "reason", "reason_name", "field", "created_at",
                  "resolved_at"]
        read_only_fields = fields


OPEN_PARAM = OpenApiParameter("open", OpenApiTypes.BOOL, description="true: 只列出尚未解除的隔离", required=False)


@extend_schema_view(
    list=extend_schema(summary="日终批处理隔离的就诊(未计入当日对总账 [3201])", tags=["settlement"],
                       parameters=[OPEN_PARAM], responses={200: QuarantinedVisitSerializer, **COMMON}),
)
class QuarantinedVisitViewSet(InstitutionAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = QuarantinedVisitSerializer
    filter_backends = []

    def get_queryset(self):
        rows = (QuarantinedVisit.objects.filter(visit__institution=self.institution)
                .select_related("visit__person", "job").order_by("-created_at", "-pk"))
        if self.request.query_params.get("open", "").lower() in ("1", "true"):
            rows = rows.filter(resolved_at__isnull=True)
        return rows
