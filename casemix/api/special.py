"""Provider API of the special-case review (特病单议, docs/dip.md): the institution asks that a high case of its own
be paid by items [4111], reads its requests [4112] and withdraws an open one [4113]. The interface numbers are
this project's. Parse, call one verb of casemix.special_cases, answer; another institution's settlement or
request is a 404 (scoped queries), bad input a 400 naming the field."""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from casemix import special_cases, special_selectors
from casemix.models import DipCaseResult
from casemix.special_models import SpecialCaseRequest, SpecialCaseState
from claims.api.serializers import code, money
from claims.api.views import COMMON, ERRORS, NOT_FOUND, InstitutionAPIMixin
from claims.errors import ServiceError
from claims.models import Settlement
from core import bounds

STATE_PARAM = OpenApiParameter("stas", str, OpenApiParameter.QUERY, enum=SpecialCaseState.values,
                               description="按状态过滤：open 待初审、proposed 待复核、approved 已同意、rejected 未同意、"
                                           "withdrawn 已撤回、lapsed 逾期未决")


def _text(**kwargs) -> serializers.CharField:
    return serializers.CharField(validators=[bounds.check_text], max_length=special_cases.REASON_MAX, **kwargs)


class AskSerializer(serializers.Serializer):
    setl_id = code(max_length=30, help_text=gettext_lazy("结算ID：本机构的住院结算，最近一次DIP运行中为高倍率病例"))
    appy_rea = _text(allow_blank=True, help_text=gettext_lazy("申请理由(必填)"))
    evid_desc = _text(allow_blank=True, required=False, default="", help_text=gettext_lazy("佐证说明：病历所示情况"))


class WithdrawSerializer(serializers.Serializer):
    appy_rea = _text(allow_blank=True, help_text=gettext_lazy("撤回理由(必填)"))


class StepSerializer(serializers.Serializer):
    action = serializers.CharField(help_text=gettext_lazy("proposed 初审意见、decided 复核决定、withdrawn 机构撤回"))
    approve = serializers.BooleanField(allow_null=True, help_text=gettext_lazy("是否同意按项目付费；撤回为 null"))
    reason = serializers.CharField()
    at = serializers.DateTimeField()


class SpecialCaseSerializer(serializers.ModelSerializer):
    setl_id = serializers.CharField(source="settlement.setl_id")
    mdtrt_id = serializers.CharField(source="settlement.visit.mdtrt_id")
    psn_no = serializers.CharField(source="settlement.person.psn_no")
    fixmedins_code = serializers.CharField(source="institution.fixmedins_code")
    setl_year = serializers.IntegerField(source="year")
    medfee_sumamt = money(source="settlement.medfee_sumamt")
    fund_pay_sumamt = money(source="settlement.fund_pay_sumamt")
    dise_grp_code = serializers.SerializerMethodField(help_text=gettext_lazy("提出申请时的病种编码"))
    points = serializers.SerializerMethodField(help_text=gettext_lazy("提出申请时的点数(高倍率)"))
    appy_rea = serializers.CharField(source="reason")
    evid_desc = serializers.CharField(source="evidence")
    stas = serializers.SerializerMethodField(help_text=gettext_lazy("状态"))
    crte_time = serializers.DateTimeField(source="created_at")
    steps = StepSerializer(many=True, source="steps.all")

    class Meta:
        model = SpecialCaseRequest
        fields = ["id", "setl_id", "mdtrt_id", "psn_no", "fixmedins_code", "setl_year", "dise_grp_code", "points",
                  "medfee_sumamt", "fund_pay_sumamt", "appy_rea", "evid_desc", "stas", "crte_time", "steps"]

    def _result(self, obj) -> DipCaseResult | None:
        return DipCaseResult.objects.filter(run_id=obj.run_id, settlement_id=obj.settlement_id).first()

    def get_dise_grp_code(self, obj) -> str:
        result = self._result(obj)
        return result.group_code if result else ""

    def get_points(self, obj) -> str | None:
        result = self._result(obj)
        return None if result is None or result.points is None else f"{result.points:.4f}"

    def get_stas(self, obj) -> str:
        return special_selectors.state_of(obj).value


@extend_schema_view(
    list=extend_schema(summary="[4112] 特病单议申请查询", tags=["special-cases"], parameters=[STATE_PARAM],
                       description="本机构的特病单议申请与办理步骤(初审、复核、撤回)。",
                       responses={200: SpecialCaseSerializer, 400: ERRORS, **COMMON}),
    retrieve=extend_schema(summary="[4112] 特病单议申请详情", tags=["special-cases"],
                           description="其他机构的申请返回 404。",
                           responses={200: SpecialCaseSerializer, 404: NOT_FOUND, **COMMON}),
    create=extend_schema(
        summary="[4111] 特病单议申请", tags=["special-cases"], request=AskSerializer,
        description="申请将本机构一个高倍率病例按项目付费。只有最近一次DIP运行中为高倍率(high)的入组病例可以申请"
                    "(否则 400 NOT_HIGH_CASE，field=setl_id)；每个病例同时只能有一个未办结的申请(OPEN_REQUEST)；"
                    "已同意的病例不能再申请(ALREADY_APPROVED)；年度最终清算后不能申请(YEAR_FINAL)。"
                    "缺少理由返回 400 REQUIRED(field=appy_rea)。其他机构的结算返回 404。"
                    "经办人员初审、另一位经办人员复核(四眼原则)；同意后该病例在下一次运行中不计点数、按项目付费，"
                    "其基金支付先从DIP预算中扣除。",
        responses={201: SpecialCaseSerializer, 400: ERRORS, 404: NOT_FOUND, **COMMON}),
)
class SpecialCaseViewSet(InstitutionAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = SpecialCaseSerializer
    filter_backends = []
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return special_selectors.institution_requests(self.institution.pk)

    def list(self, request, *args, **kwargs):
        wanted = request.query_params.get("stas")
        if wanted is not None and wanted not in SpecialCaseState.values:
            raise ServiceError.one("stas", "INVALID_VALUE", _("状态无效：%(v)s") % {"v": wanted})
        rows = list(self.get_queryset())
        if wanted:
            rows = [r for r in rows if special_selectors.state_of(r) == wanted]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request, *args, **kwargs):
        data = self.validated(AskSerializer)
        settlement = get_object_or_404(Settlement.objects.filter(institution=self.institution)
                                       .select_related("institution"), setl_id=data["setl_id"])
        created = special_cases.ask(settlement, user=request.user, reason=data["appy_rea"],
                                    evidence=data["evid_desc"])
        return Response(self.get_serializer(self.get_queryset().get(pk=created.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="[4113] 特病单议申请撤回", tags=["special-cases"], request=WithdrawSerializer,
        description="撤回本机构未办结的申请(待初审或待复核)，须填写理由(field=appy_rea)。已办结返回 400 CLOSED。",
        responses={200: SpecialCaseSerializer, 400: ERRORS, 404: NOT_FOUND, **COMMON})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        data = self.validated(WithdrawSerializer)
        special_cases.withdraw(obj, user=request.user, reason=data["appy_rea"])
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data)
