"""Serializers of the provider API. Input serializers check only shape and type; every business
rule (amounts, fee times, states, catalog splits) is the services' (claims.intake.services, claims.settlement.services), which report
every problem in the same {"line", "field", "code", "message"} form."""
from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_attribute

from claims.api.plain import PlainRowsMixin
from claims.intake.files import ERROR_COLUMNS
from claims.models import SETTLEMENT_AMOUNT_FIELDS, FeeLine, Settlement, SettlementLine, UploadJob, Visit
from claims.selectors import inscp_copay, line_reason_label
from claims.settlement.reconciliation import MONEY_FIELDS
from core import bounds
from insurance.models import Insutype, PsnType
from insurance.validators import mask_certno, validate_med_type

MAX_DIAGNOSES = 50
# a method field that answers a text or null
CENT = Decimal("0.01")
NULLABLE_STR = {"type": "string", "nullable": True}


def money(**kwargs) -> serializers.DecimalField:
    """Yuan as a string with 2 decimals ("1920.64"), as wide as the settlement's amount columns."""
    max_digits, places = bounds.decimal_limits(Settlement._meta.get_field("medfee_sumamt"))
    return serializers.DecimalField(max_digits=max_digits, decimal_places=places, coerce_to_string=True, **kwargs)


def column_decimal(model, name: str, **kwargs) -> serializers.DecimalField:
    """A decimal input as wide as the model column it is stored in (core.bounds), and within the engine's range."""
    field = model._meta.get_field(name)
    max_digits, places = bounds.decimal_limits(field)
    return serializers.DecimalField(max_digits=max_digits, decimal_places=places, coerce_to_string=True,
                                    validators=[lambda v: bounds.check_decimal(v, field)], **kwargs)


def bounded_datetime(**kwargs) -> serializers.DateTimeField:
    """A time whose local date lies in the settings' window (core.bounds.check_date)."""
    return serializers.DateTimeField(validators=[bounds.check_date], **kwargs)


def code(**kwargs) -> serializers.CharField:
    """A code or identifier: no control characters (core.bounds.check_code)."""
    return serializers.CharField(validators=[bounds.check_code], **kwargs)


def prop(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=5, decimal_places=4, coerce_to_string=True, allow_null=True,
                                    **kwargs)


class ErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True, help_text=_("请求中明细的序号(从0开始)；与明细无关时为 null"))
    field = serializers.CharField(help_text=_("出错的字段名，整体错误时为空"))
    code = serializers.CharField(help_text=_("机器可读的错误代码，如 AMOUNT_MISMATCH、ALREADY_SETTLED"))
    message = serializers.CharField(help_text=_("中文说明"))


class ErrorResponseSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)


# --- persons (1101, 5206) ------------------------------------------------------------------------

class InsuinfoSerializer(serializers.Serializer):
    insutype = serializers.ChoiceField(choices=Insutype.choices, help_text=_("险种类型：310 职工，390 居民"))
    psn_type = serializers.ChoiceField(choices=PsnType.choices, help_text=_("人员类别"))
    enrolled_from = serializers.DateField()
    enrolled_to = serializers.DateField(allow_null=True)
    paid_through = serializers.CharField(help_text=_("缴费至年月 YYYY-MM"))
    assistance_category = serializers.CharField(allow_blank=True, help_text=_("医疗救助类别，空表示无"))


class AccumulationSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=_("累计项，如 cap_paid、deductible_used、admissions"))
    key = serializers.CharField(allow_blank=True, help_text=_("封顶线组、医疗类别或空"))
    amount = money()


class PersonStatusSerializer(serializers.Serializer):
    psn_no = serializers.CharField(source="person.psn_no")
    psn_name = serializers.CharField(source="person.name")
    gend = serializers.CharField(source="person.gender", help_text=_("1 男，2 女"))
    brdy = serializers.DateField(source="person.birth_date")
    certno = serializers.SerializerMethodField(help_text=_("身份证号码(脱敏：前6位与后4位)"))
    as_of = serializers.DateField(help_text=_("参保状态的查询日期(今天)"))
    insuinfo = InsuinfoSerializer(allow_null=True, help_text=_("今天有效的参保登记；没有时为 null"))
    balc = money(allow_null=True, help_text=_("个人账户余额；没有账户时为 null"))
    year = serializers.IntegerField(help_text=_("累计信息的年度"))
    accumulations = AccumulationSerializer(many=True, help_text=_("本年度累计(5206)"))

    @extend_schema_field(OpenApiTypes.STR)
    def get_certno(self, obj) -> str:
        return mask_certno(obj["person"].certno)


class PersonSearchSerializer(serializers.Serializer):
    """The body of a search by identity number: the number travels in the body, never in a URL (access logs)."""

    certno = serializers.CharField(max_length=32, allow_blank=True,
                                   help_text=_("完整的18位身份证号码(末位X不区分大小写)"))


# --- visits (2401/2201, 2402) ----------------------------------------------------------------------

@extend_schema_field({
    "oneOf": [
        {"type": "string", "maxLength": 30, "description": "诊断代码", "example": "I21.900"},
        {"type": "object", "required": ["diag_code"], "properties": {
            "diag_code": {"type": "string", "maxLength": 30, "example": "I21.900"},
            "diag_name": {"type": "string", "maxLength": 100, "example": "急性心肌梗死"}}},
    ]
})
class DiagnosisField(serializers.Field):
    """A diagnosis as a code ("I21.900") or {"diag_code", "diag_name"}; stored as the object."""

    default_error_messages = {
        "invalid": _("诊断应为诊断代码或 {{diag_code, diag_name}} 对象。"),
        "blank": _("诊断代码不能为空。"),
        "too_long": _("诊断代码不能超过30个字符，诊断名称不能超过100个字符。"),
    }

    def to_internal_value(self, data):
        if isinstance(data, str):
            code, name = data, ""
        elif isinstance(data, dict) and isinstance(data.get("diag_code", ""), str) and isinstance(
                data.get("diag_name", ""), str):
            code, name = data.get("diag_code", ""), data.get("diag_name", "")
        else:
            self.fail("invalid")
        code, name = code.strip(), name.strip()
        if not code:
            self.fail("blank")
        if len(code) > 30 or len(name) > 100:
            self.fail("too_long")
        bounds.check_code(code)
        bounds.check_text(name)
        return {"diag_code": code, "diag_name": name}

    def to_representation(self, value):
        return value


class VisitCreateSerializer(serializers.Serializer):
    psn_no = code(max_length=30, help_text=_("人员编号"))
    med_type = serializers.CharField(max_length=4, validators=[validate_med_type],
                                     help_text=_("医疗类别：政策包定义的代码，如 11 普通门诊，14 门诊慢特病，21 普通住院"))
    begntime = bounded_datetime(help_text=_("入院/就诊开始时间，本地时间 (Asia/Shanghai)；须有生效的政策包"))
    diagnoses = serializers.ListField(child=DiagnosisField(), required=False, max_length=MAX_DIAGNOSES,
                                      help_text=_("诊断信息"))
    dise_codg = code(max_length=30, required=False, allow_blank=True, help_text=_("病种编码（门诊慢特病就诊）"))
    matn_type = serializers.ChoiceField(choices=bounds.MATN_TYPES, required=False, allow_blank=True,
                                        help_text=_("生育类别：1 正常产，2 助娩产，3 剖宫产，4 难产，5 流产（生育住院必填）"))

    def validate(self, attrs):
        if "mdtrt_id" in self.initial_data:
            raise serializers.ValidationError({"mdtrt_id": serializers.ErrorDetail(
                _("就诊ID由平台分配，登记时不能指定。"), code="not_allowed")})
        return attrs


class VisitSerializer(serializers.ModelSerializer):
    psn_no = serializers.CharField(source="person.psn_no")
    psn_name = serializers.CharField(source="person.name")
    fixmedins_code = serializers.CharField(source="institution.fixmedins_code")
    diagnoses = serializers.ListField(child=DiagnosisField())
    setl_id = serializers.SerializerMethodField(help_text=_("当前有效结算的结算ID；未结算时为 null"))
    matn_type = serializers.CharField(help_text=_("生育类别；非生育住院为空"))

    class Meta:
        model = Visit
        fields = ["mdtrt_id", "psn_no", "psn_name", "fixmedins_code", "med_type", "begntime", "endtime",
                  "diagnoses", "dise_codg", "matn_type", "status", "setl_id", "created_at"]
        read_only_fields = fields

    @extend_schema_field(NULLABLE_STR)
    def get_setl_id(self, visit) -> str | None:
        for s in visit.settlements.all():
            if s.kind == "settlement" and s.status == "settled":
                return s.setl_id
        return None


class DischargeSerializer(serializers.Serializer):
    endtime = bounded_datetime(help_text=_("出院/结束时间，不早于开始时间，不早于任何费用发生时间"))
    matn_type = serializers.ChoiceField(choices=bounds.MATN_TYPES, required=False, allow_blank=True,
                                        help_text=_("生育类别（出院时确定；不填则保留登记时的值）"))


# --- fee lines (2301/2204, 2302) --------------------------------------------------------------------

class PassThroughField(serializers.Field):
    """Hands a fee line to the service untouched: validate_lines checks every field of every line."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


class FeeLineUploadSerializer(serializers.Serializer):
    lines = serializers.ListField(child=PassThroughField(), allow_empty=True)


class FeeLineInSerializer(serializers.Serializer):
    """Documentation of one uploaded line (the checks themselves are claims.intake.services.validate_lines)."""

    feedetl_sn = code(max_length=30, help_text=_("费用明细流水号，同一就诊内唯一"))
    med_list_codg = code(max_length=50, help_text=_("医疗目录编码；不在目录内的编码按全自费处理"))
    medins_list_codg = code(max_length=50, required=False, help_text=_("医药机构目录编码"))
    fee_ocur_time = bounded_datetime(required=False, help_text=_("费用发生时间，须在就诊期间内"))
    cnt = column_decimal(FeeLine, "cnt", help_text=_("数量，大于0，最多4位小数"))
    pric = column_decimal(FeeLine, "pric", help_text=_("单价，最多4位小数"))
    det_item_fee_sumamt = column_decimal(FeeLine, "det_item_fee_sumamt",
                                         help_text=_("明细项目费用总额，与 数量×单价 相差不得超过0.01"))
    bilg_dept_codg = code(max_length=30, required=False, help_text=_("开单科室编码"))
    bilg_dr_codg = code(max_length=30, required=False, help_text=_("开单医生编码"))


class FeeLineUploadDocSerializer(serializers.Serializer):
    lines = FeeLineInSerializer(many=True, help_text=_("1 至 10000 条明细"))


class LineSplitSerializer(PlainRowsMixin, serializers.Serializer):
    """A line's split (national 2301 output names: overlmt_amt is the amount above the price limit)."""

    feedetl_sn = serializers.CharField()
    det_item_fee_sumamt = money()
    fulamt_ownpay_amt = money(help_text=_("全自费金额"))
    overlmt_amt = money(source="overlmt_selfpay", help_text=_("超限价自费金额"))
    preselfpay_amt = money(help_text=_("先行自付金额"))
    inscp_scp_amt = money(help_text=_("符合政策范围金额"))
    chrgitm_lv = serializers.CharField(allow_blank=True, help_text=_("收费项目等级：01 甲，02 乙，03 丙"))
    selfpay_prop = prop(help_text=_("先行自付比例"))
    reason = serializers.CharField(allow_blank=True,
                                   help_text=_("NOT_IN_CATALOG、CLASS_C、RESTRICTED 或空"))


class AuditWarningSerializer(serializers.Serializer):
    """A smart-audit hit told to the institution at upload and pre-settlement (事前、事中提醒)."""

    rule_code = serializers.CharField()
    rule_type = serializers.CharField()
    severity = serializers.CharField(help_text=_("warn 提醒 / suspect 疑点"))
    feedetl_sns = serializers.ListField(child=serializers.CharField())
    amount = money(help_text=_("涉及金额"))
    evidence = serializers.CharField(help_text=_("依据"))


class FeeLineUploadResultSerializer(serializers.Serializer):
    mdtrt_id = serializers.CharField()
    created = serializers.IntegerField(help_text=_("新增明细条数"))
    unchanged = serializers.IntegerField(help_text=_("重复上传且内容相同、未改变的明细条数"))
    lines = LineSplitSerializer(many=True)
    warnings = AuditWarningSerializer(many=True, required=False, help_text=_("智能审核提醒"))


class FeeLineSerializer(serializers.ModelSerializer):
    overlmt_amt = money(source="overlmt_selfpay", allow_null=True)
    fulamt_ownpay_amt = money(allow_null=True)
    preselfpay_amt = money(allow_null=True)
    inscp_scp_amt = money(allow_null=True)
    det_item_fee_sumamt = money()
    selfpay_prop = prop()

    class Meta:
        model = FeeLine
        fields = ["feedetl_sn", "med_list_codg", "medins_list_codg", "fee_ocur_time", "cnt", "pric",
                  "det_item_fee_sumamt", "bilg_dept_codg", "bilg_dr_codg", "status", "cancelled_at",
                  "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt", "chrgitm_lv",
                  "selfpay_prop", "reason"]
        read_only_fields = fields


class FeeLineCancelSerializer(serializers.Serializer):
    feedetl_sns = serializers.ListField(child=code(max_length=30), required=False,
                                        allow_empty=False, max_length=10_000, help_text=_("要撤销的明细流水号"))
    all = serializers.BooleanField(required=False, help_text=_("true：撤销本就诊全部未结算明细"))

    def validate(self, attrs):
        if bool(attrs.get("feedetl_sns")) == bool(attrs.get("all")):
            raise serializers.ValidationError(serializers.ErrorDetail(
                _("请提供 feedetl_sns 或 all=true 之一。"), code="one_of"))
        return attrs


class FeeLineCancelResultSerializer(serializers.Serializer):
    mdtrt_id = serializers.CharField()
    cancelled = serializers.IntegerField(help_text=_("撤销的明细条数"))


# --- settlement (2303/2206, 2304/2207, 2305/2208) --------------------------------------------------

class SettleRequestSerializer(serializers.Serializer):
    setl_time = bounded_datetime(
        required=False,
        help_text=_("结算时间，默认为当前时间。仅限工作人员账户(is_staff)或开启 CLAIMS_API_ALLOW_SETL_TIME "
                    "设置时(测试回放)指定；其他用户指定时返回 400 SETL_TIME_NOT_ALLOWED。"),
    )


class SettlementCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, validators=[bounds.check_text], help_text=_("撤销原因"))


class SetlinfoBase(serializers.Serializer):
    mdtrt_id = serializers.CharField()
    psn_no = serializers.CharField()
    setl_time = serializers.DateTimeField()
    balc = money(allow_null=True, help_text=_("结算后个人账户余额"))
    ineligible_reason = serializers.CharField(allow_blank=True, help_text=_("无待遇原因，如 NOT_ENROLLED；有待遇时为空"))
    policy_code = serializers.CharField(help_text=_("所用政策包编码"))
    medfee_sumamt = money(help_text=_("医疗费总额"))
    fulamt_ownpay_amt = money(help_text=_("全自费金额"))
    overlmt_selfpay = money(help_text=_("超限价自费费用"))
    preselfpay_amt = money(help_text=_("先行自付金额"))
    inscp_scp_amt = money(help_text=_("符合政策范围金额"))
    act_pay_dedc = money(help_text=_("实际支付起付线"))
    hifp_pay = money(help_text=_("基本医疗保险统筹基金支出"))
    hifob_pay = money(help_text=_("职工大额医疗费用补助基金支出"))
    hifmi_pay = money(help_text=_("居民大病保险资金支出"))
    maf_pay = money(help_text=_("医疗救助基金支出"))
    fund_pay_sumamt = money(help_text=_("基金支付总额"))
    psn_part_amt = money(help_text=_("个人负担总金额"))
    acct_pay = money(help_text=_("个人账户支出"))
    psn_cash_pay = money(help_text=_("个人现金支出"))
    cvlserv_pay = money(help_text=_("公务员医疗补助资金支出"))
    hifdm_pay = money(help_text=_("伤残人员医疗保障基金支出"))
    oth_pay = money(help_text=_("其他支出（离休人员医疗保障基金）"))
    matn_pay = money(help_text=_("生育医疗费用支付（生育基金）"))
    matn_alwn_amt = money(help_text=_("生育津贴：支付给参保人，不计入基金支付总额"))


assert set(SETTLEMENT_AMOUNT_FIELDS) <= set(SetlinfoBase._declared_fields)


class PresetlinfoSerializer(SetlinfoBase):
    pass


class LineSplitAnswerSerializer(LineSplitSerializer):
    """The schema of a pre-settlement answer's line: LineSplitSerializer's fields and the reason in words
    (added to the plain rows by PresettleResultSerializer, so the many-row path stays plain)."""

    reason_desc = serializers.CharField(allow_blank=True, help_text=_("不予报销原因的文字说明；无原因时为空"))


def with_reason_desc(rows):
    """Each serialized line with its reason in words next to its code (claims.selectors.LINE_REASONS); each code
    translated once per answer (the lines share a few codes)."""
    labels = {}
    for row in rows:
        code = row["reason"]
        label = labels.get(code)
        if label is None:
            label = labels[code] = line_reason_label(code)
        row["reason_desc"] = label
    return rows


class PresettleResultSerializer(serializers.Serializer):
    setlinfo = PresetlinfoSerializer(source="*")
    setldetail = serializers.SerializerMethodField()
    warnings = AuditWarningSerializer(many=True, required=False, help_text=_("智能审核提醒"))

    @extend_schema_field(LineSplitAnswerSerializer(many=True))
    def get_setldetail(self, obj):
        return with_reason_desc(LineSplitSerializer(get_attribute(obj, ["lines"]), many=True).data)


class SettlementLineSerializer(PlainRowsMixin, serializers.ModelSerializer):
    det_item_fee_sumamt = money()
    fulamt_ownpay_amt = money()
    overlmt_amt = money(source="overlmt_selfpay")
    preselfpay_amt = money()
    inscp_scp_amt = money()
    selfpay_prop = prop()

    class Meta:
        model = SettlementLine
        fields = ["feedetl_sn", "det_item_fee_sumamt", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt",
                  "inscp_scp_amt", "chrgitm_lv", "selfpay_prop", "reason"]
        read_only_fields = fields


class SetlinfoSerializer(SetlinfoBase):
    setl_id = serializers.CharField()
    mdtrt_id = serializers.CharField(source="visit.mdtrt_id")
    psn_no = serializers.CharField(source="person.psn_no")
    fixmedins_code = serializers.CharField(source="institution.fixmedins_code")
    med_type = serializers.CharField(help_text=_("医疗类别"))
    policy_code = serializers.CharField(source="policy_version.code")
    kind = serializers.CharField(help_text=_("settlement 结算，reversal 冲销(金额为被冲销结算的金额)"))
    status = serializers.CharField(help_text=_("settled 有效，cancelled 已撤销"))
    reverses = serializers.CharField(source="reverses.setl_id", allow_null=True, help_text=_("冲销记录所冲销的结算ID"))
    reversed_by = serializers.SerializerMethodField(help_text=_("已撤销结算的冲销记录结算ID"))
    reason = serializers.CharField(allow_blank=True)
    # no field of the national 2207 answer names it (glossary: none), so a name of the same shape
    inscp_copay_amt = serializers.SerializerMethodField(
        help_text=_("统筹内自付：政策范围内费用中起付线以上由个人负担的部分 = inscp_scp_amt − act_pay_dedc − hifp_pay − hifob_pay"))

    @extend_schema_field(money())
    def get_inscp_copay_amt(self, obj) -> str:
        return str(inscp_copay(obj).quantize(CENT))

    @extend_schema_field(NULLABLE_STR)
    def get_reversed_by(self, obj) -> str | None:
        try:
            return obj.reversal.setl_id
        except Settlement.reversal.RelatedObjectDoesNotExist:
            return None


class SettlementLineAnswerSerializer(SettlementLineSerializer):
    """The schema of a settle answer's line: SettlementLineSerializer's fields and the reason in words (added
    to the plain rows by SettlementResultSerializer, so the many-row path stays plain)."""

    reason_desc = serializers.CharField(allow_blank=True, help_text=_("不予报销原因的文字说明；无原因时为空"))

    class Meta(SettlementLineSerializer.Meta):
        fields = [*SettlementLineSerializer.Meta.fields, "reason_desc"]
        read_only_fields = fields


class SettlementResultSerializer(serializers.Serializer):
    setlinfo = SetlinfoSerializer(source="*")
    setldetail = serializers.SerializerMethodField()

    @extend_schema_field(SettlementLineAnswerSerializer(many=True))
    def get_setldetail(self, obj):
        # a reversal answers with the lines of the settlement it reverses
        source = obj.reverses if obj.reverses_id else obj
        return with_reason_desc(SettlementLineSerializer(source.lines.all(), many=True).data)


# --- reconciliation (3201) -------------------------------------------------------------------------

class ReconTotalsSerializer(serializers.Serializer):
    medfee_sumamt = money(help_text=_("医疗费总额"))
    fund_pay_sumamt = money(help_text=_("基金支付总额"))
    acct_pay = money(help_text=_("个人账户支出"))
    fixmedins_setl_cnt = serializers.IntegerField(help_text=_("结算笔数(结算减冲销)"))


class ReconciliationRequestSerializer(serializers.Serializer):
    medfee_sumamt = column_decimal(Settlement, "medfee_sumamt", help_text=_("医疗费总额"))
    fund_pay_sumamt = column_decimal(Settlement, "fund_pay_sumamt", help_text=_("基金支付总额"))
    acct_pay = column_decimal(Settlement, "acct_pay", help_text=_("个人账户支出"))
    # net of reversals, so a period of reversals only counts negatively
    fixmedins_setl_cnt = serializers.IntegerField(min_value=-bounds.ENGINE_INT_MAX, max_value=bounds.ENGINE_INT_MAX,
                                                  help_text=_("结算笔数(结算减冲销)"))
    stmt_begndate = serializers.DateField(validators=[bounds.check_date], help_text=_("对账开始日期(按结算时间)"))
    stmt_enddate = serializers.DateField(validators=[bounds.check_date], help_text=_("对账结束日期(含)"))


class ReconciliationResultSerializer(serializers.Serializer):
    fixmedins_code = serializers.CharField()
    stmt_begndate = serializers.DateField()
    stmt_enddate = serializers.DateField()
    stmt_rslt = serializers.ChoiceField(choices=[("match", _("平")), ("mismatch", _("不平"))])
    stmt_rslt_dscr = serializers.CharField()
    platform = ReconTotalsSerializer(help_text=_("平台的合计：结算减冲销，按结算时间计入期间"))
    declared = ReconTotalsSerializer(help_text=_("机构申报的合计"))
    differences = ReconTotalsSerializer(help_text=_("差额 = 申报 − 平台"))


assert set(MONEY_FIELDS) <= set(ReconTotalsSerializer._declared_fields)
assert set(ReconTotalsSerializer._declared_fields) <= set(ReconciliationRequestSerializer._declared_fields)


# --- upload jobs -----------------------------------------------------------------------------------

class UploadJobCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("CSV(UTF-8或GBK)或XLSX文件，首行为列名"))


class UploadJobErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text=_("文件中的行号(首行列名为第1行)"))
    mdtrt_id = serializers.CharField(allow_blank=True)
    feedetl_sn = serializers.CharField(allow_blank=True)
    field = serializers.CharField(allow_blank=True)
    code = serializers.CharField()
    message = serializers.CharField()


assert tuple(UploadJobErrorSerializer._declared_fields) == ERROR_COLUMNS

ERRORS_PREVIEW = 100


class UploadJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField(help_text=_("进度百分比 0-100"))
    error_count = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField(help_text=_("前100条错误；全部错误见 errors_url 的CSV"))
    errors_url = serializers.SerializerMethodField()

    class Meta:
        model = UploadJob
        fields = ["id", "status", "file_name", "rows_total", "rows_done", "progress", "accepted", "rejected",
                  "error_count", "errors", "errors_url", "created_at", "started_at", "finished_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_progress(self, job) -> int:
        if job.status == "done":
            return 100
        return int(job.rows_done * 100 / job.rows_total) if job.rows_total else 0

    @extend_schema_field(OpenApiTypes.INT)
    def get_error_count(self, job) -> int:
        return len(job.errors)

    @extend_schema_field(UploadJobErrorSerializer(many=True))
    def get_errors(self, job):
        return job.errors[:ERRORS_PREVIEW]

    @extend_schema_field(OpenApiTypes.URI)
    def get_errors_url(self, job) -> str:
        url = reverse("claims-api:upload-job-errors", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url
