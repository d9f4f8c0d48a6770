"""Provider API of DIP: the settlement list of a settlement [4101] and the institution's grouped cases.
Parse, call one service, answer (casemix.lists, casemix.selectors)."""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from casemix import lists, selectors
from casemix.api import serializers as s
from claims.api.views import COMMON, ERRORS, NOT_FOUND, InstitutionAPIMixin
from claims.errors import ServiceError
from claims.models import Settlement

SETL_ID_PARAM = OpenApiParameter("setl_id", str, OpenApiParameter.PATH, description="结算ID")
YEAR_PARAM = OpenApiParameter("year", int, OpenApiParameter.QUERY, description="清算年度，默认今年")


@extend_schema_view(
    get=extend_schema(
        summary="[4101] 医保结算清单查询", tags=["setl-list"], parameters=[SETL_ID_PARAM],
        description="本结算当前有效的结算清单(最新版本)。没有上传过清单时返回 404。",
        responses={200: s.StoredListSerializer, 404: NOT_FOUND, **COMMON},
    ),
    post=extend_schema(
        summary="[4101] 医保结算清单上传", tags=["setl-list"], parameters=[SETL_ID_PARAM],
        description="住院结算后上传医疗保障基金结算清单：诊断(diseinfo，有且只有一个主诊断)、手术操作(oprninfo，"
                    "有手术时有且只有一个主手术，日期在住院期间)、离院方式、重症监护与呼吸机时长、新生儿体重、主诊医师。"
                    "诊断代码按ICD-10医保版、手术操作代码按ICD-9-CM-3医保版的格式检查，并与参保人的性别、年龄核对。"
                    "有错时返回 400 并指出字段，不写入任何数据。内容相同的重复上传不改变任何数据(200)；内容不同时"
                    "生成新版本替换原清单(201)，直到该病例的分组在年终清算中确定(400 LIST_FINAL)。",
        request=s.SettlementListSerializer,
        responses={200: s.StoredListSerializer, 201: s.StoredListSerializer, 400: ERRORS, 404: NOT_FOUND, **COMMON},
    ),
)
class SettlementListView(InstitutionAPIMixin, GenericAPIView):
    serializer_class = s.SettlementListSerializer

    def get_settlement(self) -> Settlement:
        return get_object_or_404(Settlement.objects.filter(institution=self.institution)
                                 .select_related("visit", "person"), setl_id=self.kwargs["setl_id"])

    def get(self, request, setl_id=None):
        current = lists.current_list(self.get_settlement())
        if current is None:
            return Response({"errors": [{"line": None, "field": "", "code": "NOT_FOUND",
                                         "message": _("未上传结算清单。")}]}, status=status.HTTP_404_NOT_FOUND)
        return Response(s.StoredListSerializer(current).data)

    def post(self, request, setl_id=None):
        settlement = self.get_settlement()
        data = self.validated(s.SettlementListSerializer)
        setl_list, created = lists.upload_settlement_list(settlement, data, user=request.user)
        return Response(s.StoredListSerializer(setl_list).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(
        summary="本机构的DIP入组病例", tags=["setl-list"], parameters=[YEAR_PARAM],
        description="本机构某年度最近一次DIP运行中每个病例的病种、病例类型(normal/low/high，special 为特病单议按项目付费，"
                    "空为未入组)与点数。",
        responses={200: s.DipCaseSerializer, 400: ERRORS, **COMMON},
    ),
)
class DipCaseViewSet(InstitutionAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.DipCaseSerializer
    filter_backends = []

    def get_queryset(self):
        raw = self.request.query_params.get("year") or str(timezone.localdate().year)
        if not raw.isdigit() or not 1900 < int(raw) < 2200:
            raise ServiceError.one("year", "INVALID_VALUE", _("年度无效。"))
        return (selectors.institution_cases(self.institution, int(raw))
                .select_related("settlement__visit", "settlement__person", "run"))
