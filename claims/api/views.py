"""Provider API views: parse, call one service, answer. No rule lives here (see claims.intake.services and claims.settlement.services)."""
from __future__ import annotations

import json
import logging

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from claims import tasks
from claims.api import examples as ex
from claims.api import serializers as s
from claims.api.answers import institution_visit_answer, settlement_answer, settlement_queryset, visit_answer
from claims.api.exceptions import exception_handler
from claims.api.filters import FeeLineFilter, SettlementFilter, VisitFilter
from claims.api.parsers import BoundedJSONParser
from claims.api.permissions import IsInstitutionUser, institution_of, may_choose_setl_time
from claims.api.throttles import PersonLookupDayRate, PersonLookupRate
from claims.errors import ServiceError
from claims.intake import files as bulk_upload
from claims.intake import lookups
from claims.intake import services as intake_services
from claims.models import FeeLine, UploadJob, Visit
from claims.settlement import reconciliation
from claims.settlement import services as settlement_services
from core.prepared import Prepared
from insurance.models import Person
from insurance.validators import mask_certno, normalize_certno

ERRORS = OpenApiResponse(s.ErrorResponseSerializer, description="输入错误，未写入任何数据")
NOT_FOUND = OpenApiResponse(s.ErrorResponseSerializer,
                            description="不存在，或属于其他机构(机构只能看到自己的数据)")
FORBIDDEN = OpenApiResponse(s.ErrorResponseSerializer, description="用户未关联定点医药机构")
COMMON = {401: OpenApiResponse(s.ErrorResponseSerializer, description="未提供或无效的令牌"), 403: FORBIDDEN}


# one of the institution's visits by its mdtrt_id, compiled once (core.prepared): the verbs on a visit read it first
_VISIT = Prepared(Visit, lambda institution_id, mdtrt_id: Visit.objects.filter(
    institution_id=institution_id, mdtrt_id=mdtrt_id).order_by())


def institution_visit(institution, mdtrt_id: str) -> Visit:
    """The institution's visit with this mdtrt_id (unique), or 404: another institution's visit is not found."""
    found = _VISIT(institution.pk, mdtrt_id)
    if not found:
        raise Http404
    return found[0]


class APIPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


class InstitutionAPIMixin:
    """Token (or session) user linked to one institution; one error shape; Decimal JSON."""

    permission_classes = [IsAuthenticated, IsInstitutionUser]
    parser_classes = [BoundedJSONParser]
    pagination_class = APIPagination

    def get_exception_handler(self):
        return exception_handler

    @property
    def institution(self):
        return institution_of(self.request.user)

    def validated(self, serializer_class, data=None):
        serializer = serializer_class(data=self.request.data if data is None else data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def chosen_setl_time(self, data):
        setl_time = data.get("setl_time")
        if setl_time is not None and not may_choose_setl_time(self.request.user):
            raise ServiceError.one("setl_time", "SETL_TIME_NOT_ALLOWED", _("只有工作人员账户可以指定结算时间。"))
        return setl_time


# --- persons ---------------------------------------------------------------------------------------

# Who looked up whom: one line per person look-up (docs/security.md), ID numbers masked.
lookup_log = logging.getLogger("yibao.lookups")
TOO_MANY = OpenApiResponse(s.ErrorResponseSerializer,
                           description="查询过于频繁(THROTTLED)；Retry-After 给出可再次查询的秒数")


@extend_schema_view(
    retrieve=extend_schema(
        summary="人员信息获取 [1101] 与累计信息 [5206]", tags=["persons"],
        description="按人员编号查询参保人：今天有效的参保登记、个人账户余额和本年度累计。"
                    "任何机构用户都可以查询任一参保人(办理登记需要)；每个用户的查询次数有限(429)，每次查询都记录在日志中。",
        responses={200: s.PersonStatusSerializer, 404: NOT_FOUND, 429: TOO_MANY, **COMMON}, examples=[ex.PERSON],
    ),
    search=extend_schema(
        summary="按身份证号码查询参保人 [1101]", tags=["persons"],
        description="身份证号码放在请求体中(不放在URL中，以免进入访问日志)。必须提供完整的18位身份证号码；"
                    "不支持模糊或部分查询。返回0或1个参保人。查询次数与按人员编号查询合计限制。",
        request=s.PersonSearchSerializer,
        responses={200: s.PersonStatusSerializer(many=True), 400: ERRORS, 429: TOO_MANY, **COMMON},
        examples=[ex.PERSON],
    ),
)
class PersonViewSet(InstitutionAPIMixin, viewsets.GenericViewSet):
    queryset = Person.objects.all()
    serializer_class = s.PersonStatusSerializer
    lookup_field = "psn_no"
    lookup_value_regex = "[^/]+"
    filter_backends = []
    pagination_class = None
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, PersonLookupRate, PersonLookupDayRate]

    def retrieve(self, request, psn_no=None):
        person = Person.objects.filter(psn_no=psn_no).first()
        self.log_lookup("psn_no", psn_no, person)
        if person is None:
            raise Http404
        return Response(s.PersonStatusSerializer(lookups.insured_status(person)).data)

    @action(detail=False, methods=["post"])
    def search(self, request):
        certno = self.validated(s.PersonSearchSerializer)["certno"]
        person = lookups.person_by_certno(certno)
        self.log_lookup("certno", mask_certno(normalize_certno(certno)), person)
        found = [] if person is None else [lookups.insured_status(person)]
        return Response(s.PersonStatusSerializer(found, many=True).data)

    def log_lookup(self, by: str, key: str, person: Person | None) -> None:
        lookup_log.info("person lookup by %s=%r user=%s institution=%s found=%s", by, key,
                        self.request.user.get_username(), self.institution.fixmedins_code,
                        person.psn_no if person is not None else "-")


# --- visits and their fee lines ----------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="本机构的就诊列表", tags=["visits"], responses={200: s.VisitSerializer, **COMMON}),
    retrieve=extend_schema(summary="就诊信息", tags=["visits"],
                           responses={200: s.VisitSerializer, 404: NOT_FOUND, **COMMON}, examples=[ex.VISIT]),
)
class VisitViewSet(InstitutionAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.VisitSerializer
    filterset_class = VisitFilter
    lookup_field = "mdtrt_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return (Visit.objects.filter(institution=self.institution).select_related("person", "institution")
                .prefetch_related("settlements").order_by("-begntime", "mdtrt_id"))

    def get_visit(self) -> Visit:
        return institution_visit(self.institution, self.kwargs["mdtrt_id"])

    def retrieve(self, request, mdtrt_id=None):
        if request.query_params:  # the list's filters apply to a detail request too: DRF's get_object then
            return super().retrieve(request, mdtrt_id=mdtrt_id)
        found = institution_visit_answer(self.institution.pk, mdtrt_id)
        if found is None:
            raise Http404
        return Response(found)

    def answer(self, visit: Visit, code=status.HTTP_200_OK) -> Response:
        return Response(visit_answer(visit.pk), status=code)

    @extend_schema(
        summary="就诊登记 [2401 入院登记 / 2201 门诊挂号]", tags=["visits"],
        description="为本机构登记一次就诊。就诊ID(mdtrt_id)由平台分配并在应答中返回；请求中不能带 mdtrt_id。"
                    "人员编号不存在时返回 400 UNKNOWN_PERSON。",
        request=s.VisitCreateSerializer, responses={201: s.VisitSerializer, 400: ERRORS, **COMMON},
        examples=[ex.REGISTER, ex.VISIT],
    )
    def create(self, request):
        data = self.validated(s.VisitCreateSerializer)
        visit = intake_services.register_visit(institution=self.institution, psn_no=data["psn_no"],
                                        med_type=data["med_type"], begntime=data["begntime"],
                                        diagnoses=data.get("diagnoses", []), dise_codg=data.get("dise_codg", ""),
                                        matn_type=data.get("matn_type", ""), user=request.user)
        return self.answer(visit, status.HTTP_201_CREATED)

    @extend_schema(
        summary="出院办理 [2402]", tags=["visits"],
        description="结束时间不能早于开始时间，也不能早于已上传的任何费用发生时间；已结算的就诊不能办理。",
        request=s.DischargeSerializer, responses={200: s.VisitSerializer, 400: ERRORS, 404: NOT_FOUND, **COMMON},
        examples=[ex.DISCHARGE],
    )
    @action(detail=True, methods=["post"])
    def discharge(self, request, mdtrt_id=None):
        data = self.validated(s.DischargeSerializer)
        return self.answer(intake_services.discharge_visit(self.get_visit(), endtime=data["endtime"],
                                                           matn_type=data.get("matn_type") or None))

    @extend_schema(
        summary="费用明细撤销 [2302]", tags=["fee-lines"],
        description="撤销指定流水号的明细，或以 {\"all\": true} 撤销本就诊全部未结算明细。撤销的明细保留，状态为 cancelled。",
        request=s.FeeLineCancelSerializer,
        responses={200: s.FeeLineCancelResultSerializer, 400: ERRORS, 404: NOT_FOUND, **COMMON},
        examples=[ex.CANCEL_SOME, ex.CANCEL_ALL],
    )
    @action(detail=True, methods=["post"], url_path="fee-lines/cancel")
    def cancel_fee_lines(self, request, mdtrt_id=None):
        data = self.validated(s.FeeLineCancelSerializer)
        visit = self.get_visit()
        n = intake_services.cancel_fee_lines(visit, None if data.get("all") else data["feedetl_sns"], user=request.user)
        return Response(s.FeeLineCancelResultSerializer({"mdtrt_id": visit.mdtrt_id, "cancelled": n}).data)

    @extend_schema(
        summary="预结算 [2303 住院 / 2206 门诊]", tags=["settlement"],
        description="按当前累计计算结算结果，不写入任何数据。setl_time 的规则同结算。",
        request=s.SettleRequestSerializer,
        responses={200: s.PresettleResultSerializer, 400: ERRORS, 404: NOT_FOUND, **COMMON},
        examples=[ex.SETTLE_REQUEST, ex.PRESETTLE_RESULT],
    )
    @action(detail=True, methods=["post"])
    def presettle(self, request, mdtrt_id=None):
        data = self.validated(s.SettleRequestSerializer)
        result = settlement_services.presettle_visit(self.get_visit(), setl_time=self.chosen_setl_time(data))
        return Response(s.PresettleResultSerializer(result).data)

    @extend_schema(
        summary="结算 [2304 住院 / 2207 门诊]", tags=["settlement"],
        description="结算并记账：统筹、大额、大病、救助、个人账户与年度累计。结算年度为结算时间所在年度"
                    "(跨年度住院按结算时的年度累计和政策一次结算)。重复结算返回 400 ALREADY_SETTLED；"
                    "没有有效明细返回 400 NO_LINES。setl_time 只有工作人员账户(is_staff)或开启 "
                    "CLAIMS_API_ALLOW_SETL_TIME 设置(测试回放)时可以指定。",
        request=s.SettleRequestSerializer,
        responses={201: s.SettlementResultSerializer, 400: ERRORS, 404: NOT_FOUND, **COMMON},
        examples=[ex.SETTLE_REQUEST, ex.SETTLE_REPLAY, ex.SETTLEMENT, ex.ALREADY_SETTLED],
    )
    @action(detail=True, methods=["post"])
    def settle(self, request, mdtrt_id=None):
        data = self.validated(s.SettleRequestSerializer)
        settlement = settlement_services.settle_visit(self.get_visit(), setl_time=self.chosen_setl_time(data), user=request.user)
        return Response(settlement_answer(settlement.pk), status=status.HTTP_201_CREATED)


MDTRT_ID_PARAM = OpenApiParameter("mdtrt_id", str, OpenApiParameter.PATH, description="就诊ID")


@extend_schema_view(
    get=extend_schema(
        summary="就诊的费用明细", tags=["fee-lines"], parameters=[MDTRT_ID_PARAM],
        description="分页列出本就诊的全部明细(含已撤销的，status=cancelled)及上传时的分类结果；page_size 最大1000。",
        responses={200: s.FeeLineSerializer, 404: NOT_FOUND, **COMMON},
    ),
    post=extend_schema(
        summary="费用明细上传 [2301 住院 / 2204 门诊]", tags=["fee-lines"], parameters=[MDTRT_ID_PARAM],
        description="每次1至10000条。任何一条有错时整批不写入，应答列出所有错误(line 为请求中的序号)。"
                    "以相同的 (mdtrt_id, feedetl_sn) 和相同内容重发是幂等的(计入 unchanged)；内容不同返回 SN_CONFLICT。"
                    "目录外编码不是错误：该条按全自费处理(reason NOT_IN_CATALOG)。已结算的就诊返回 400 VISIT_SETTLED。",
        request=s.FeeLineUploadDocSerializer,
        responses={200: s.FeeLineUploadResultSerializer, 400: ERRORS, 404: NOT_FOUND, **COMMON},
        examples=[ex.UPLOAD, ex.UPLOAD_RESULT, ex.UPLOAD_ERROR],
    ),
)
class VisitFeeLinesView(InstitutionAPIMixin, mixins.ListModelMixin, GenericAPIView):
    # GET: the visit's fee lines (paginated); POST: upload lines to it.

    serializer_class = s.FeeLineSerializer
    filterset_class = FeeLineFilter

    def get_visit(self) -> Visit:
        return institution_visit(self.institution, self.kwargs["mdtrt_id"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FeeLine.objects.none()
        return FeeLine.objects.filter(visit=self.get_visit()).order_by("pk")

    def get(self, request, mdtrt_id=None):
        return self.list(request)

    def post(self, request, mdtrt_id=None):
        data = self.validated(s.FeeLineUploadSerializer)
        visit = self.get_visit()
        result = intake_services.upload_fee_lines(visit, data["lines"], source="api", user=request.user)
        return Response(s.FeeLineUploadResultSerializer(
            {"mdtrt_id": visit.mdtrt_id, "created": result["created"], "unchanged": result["unchanged"],
             "lines": result["lines"], "warnings": result.get("warnings", [])}).data)


# --- settlements -------------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="本机构的结算与冲销记录", tags=["settlement"],
                       responses={200: s.SettlementResultSerializer, **COMMON}),
    retrieve=extend_schema(summary="结算信息", tags=["settlement"],
                           responses={200: s.SettlementResultSerializer, 404: NOT_FOUND, **COMMON},
                           examples=[ex.SETTLEMENT]),
)
class SettlementViewSet(InstitutionAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        viewsets.GenericViewSet):
    serializer_class = s.SettlementResultSerializer
    filterset_class = SettlementFilter
    lookup_field = "setl_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return settlement_queryset().filter(institution=self.institution).order_by("-setl_time", "setl_id")

    @extend_schema(
        summary="结算撤销 [2305 住院 / 2208 门诊]", tags=["settlement"],
        description="冲销一笔结算：生成金额相同的冲销记录(kind=reversal)，退回个人账户支出并扣回每一项年度累计；"
                    "就诊回到出院(或登记)状态，可以修改明细后重新结算。已撤销的结算或冲销记录返回 400 NOT_CANCELLABLE。",
        request=s.SettlementCancelSerializer,
        responses={201: s.SettlementResultSerializer, 400: ERRORS, 404: NOT_FOUND, **COMMON},
        examples=[ex.CANCEL_SETTLEMENT, ex.REVERSAL],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, setl_id=None):
        data = self.validated(s.SettlementCancelSerializer)
        reversal = settlement_services.cancel_settlement(self.get_object(), user=request.user, reason=data["reason"])
        return Response(settlement_answer(reversal.pk), status=status.HTTP_201_CREATED)


# --- reconciliation ----------------------------------------------------------------------------------

class ReconciliationView(InstitutionAPIMixin, GenericAPIView):
    serializer_class = s.ReconciliationRequestSerializer

    @extend_schema(
        summary="医药机构对总账 [3201]", tags=["reconciliation"],
        description="机构申报某期间的医疗费总额、基金支付总额、个人账户支出和结算笔数；平台按结算时间(本地日期)"
                    "汇总本机构该期间的结算减冲销(上月的结算在本月撤销，计入本月的负数)，逐项比较。"
                    "stmt_rslt 为 match(平) 或 mismatch(不平)，differences 为 申报 − 平台。",
        request=s.ReconciliationRequestSerializer,
        responses={200: s.ReconciliationResultSerializer, 400: ERRORS, **COMMON},
        examples=[ex.RECONCILE, ex.RECONCILE_RESULT],
    )
    def post(self, request):
        data = dict(self.validated(s.ReconciliationRequestSerializer))
        result = reconciliation.reconcile(self.institution, stmt_begndate=data.pop("stmt_begndate"),
                                          stmt_enddate=data.pop("stmt_enddate"), declared=data)
        return Response(s.ReconciliationResultSerializer(result).data)


# --- upload jobs -------------------------------------------------------------------------------------

class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        return json.dumps(data, ensure_ascii=False)


@extend_schema_view(
    list=extend_schema(summary="本机构的明细文件导入任务", tags=["upload-jobs"],
                       responses={200: s.UploadJobSerializer, **COMMON}),
    retrieve=extend_schema(summary="导入任务状态与进度", tags=["upload-jobs"],
                           responses={200: s.UploadJobSerializer, 404: NOT_FOUND, **COMMON},
                           examples=[ex.UPLOAD_JOB]),
)
class UploadJobViewSet(InstitutionAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    serializer_class = s.UploadJobSerializer
    parser_classes = [MultiPartParser]
    filter_backends = []

    def get_queryset(self):
        return UploadJob.objects.filter(institution=self.institution).order_by("-created_at", "-pk")

    @extend_schema(
        summary="明细文件批量导入", tags=["upload-jobs"],
        description="multipart 上传一个 CSV(UTF-8 或 GBK)或 XLSX 文件，首行为列名：mdtrt_id, feedetl_sn, "
                    "med_list_codg, cnt, pric, det_item_fee_sumamt，可选 medins_list_codg, fee_ocur_time, "
                    "bilg_dept_codg, bilg_dr_codg。文件类型和列名当场检查(400)，内容在后台逐就诊导入，"
                    "每行与接口上传使用相同的校验。某就诊有任何一行错误时，该就诊的所有行都不导入；其他就诊照常导入。"
                    "应答 202 与任务资源，用 GET 查询进度，errors.csv 下载逐行错误报告。",
        request={"multipart/form-data": s.UploadJobCreateSerializer},
        responses={202: s.UploadJobSerializer, 400: ERRORS, **COMMON}, examples=[ex.UPLOAD_JOB],
    )
    def create(self, request):
        data = self.validated(s.UploadJobCreateSerializer)
        job = tasks.submit_upload_job(institution=self.institution, uploaded_file=data["file"], user=request.user)
        job.refresh_from_db()
        body = s.UploadJobSerializer(job, context={"request": request}).data
        location = request.build_absolute_uri(f"{job.pk}/")
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})

    @extend_schema(
        summary="导入错误报告(CSV)", tags=["upload-jobs"], operation_id="v1_upload_jobs_errors_csv",
        description="逐行错误：row(文件行号，首行列名为第1行), mdtrt_id, feedetl_sn, field, code, message。"
                    "UTF-8 带 BOM，可直接用 Excel 打开。",
        responses={(200, "text/csv"): OpenApiTypes.STR, 404: NOT_FOUND, **COMMON},
    )
    def errors_csv(self, request, pk=None):
        job = self.get_object()
        response = HttpResponse(bulk_upload.errors_csv(job), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="upload-job-{job.pk}-errors.csv"'
        return response

    def get_renderers(self):
        if getattr(self, "action", None) == "errors_csv":
            return [JSONRenderer(), CSVRenderer()]
        return super().get_renderers()
