"""The settlement list [4101] and the grouped cases in the national field names; types and widths only (the
rules are casemix.lists')."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from casemix.models import DipCaseResult, SettlementList
from claims.api.serializers import code, column_decimal, money
from core import bounds

DSCG_WAYS = [("1", _("医嘱离院")), ("2", _("医嘱转院")), ("3", _("医嘱转社区卫生服务机构/乡镇卫生院")),
             ("4", _("非医嘱离院")), ("5", _("死亡")), ("9", _("其他"))]
ADM_CONDITIONS = [("1", _("有")), ("2", _("临床未确定")), ("3", _("情况不明")), ("4", _("无"))]


def text(**kwargs) -> serializers.CharField:
    return serializers.CharField(validators=[bounds.check_text], **kwargs)


class DiagnosisSerializer(serializers.Serializer):
    diag_code = code(max_length=20, help_text=_("诊断代码(ICD-10医保版)"))
    diag_name = text(max_length=200, help_text=_("诊断名称"))
    maindiag_flag = serializers.BooleanField(help_text=_("主诊断标志：1 是，0 否"))
    adm_cond_type = serializers.ChoiceField(choices=ADM_CONDITIONS, required=False, default="",
                                            help_text=_("入院病情"))


class OperationSerializer(serializers.Serializer):
    oprn_oprt_code = code(max_length=20, help_text=_("手术操作代码(ICD-9-CM-3医保版)"))
    oprn_oprt_name = text(max_length=200, help_text=_("手术操作名称"))
    main_oprn_flag = serializers.BooleanField(help_text=_("主手术操作标志：1 是，0 否"))
    oprn_oprt_date = serializers.DateField(validators=[bounds.check_date], help_text=_("手术操作日期"))
    anst_way = code(max_length=10, required=False, allow_blank=True, default="", help_text=_("麻醉方式"))
    oper_dr_code = code(max_length=30, required=False, allow_blank=True, default="", help_text=_("术者医师代码"))


class SettlementListSerializer(serializers.Serializer):
    dscg_way = serializers.ChoiceField(choices=DSCG_WAYS, help_text=_("离院方式"))
    chfpdr_code = code(max_length=30, help_text=_("主诊医师代码"))
    scs_cutd_sum_dura = column_decimal(SettlementList, "scs_cutd_sum_dura", min_value=0, required=False,
                                       default=0, help_text=_("重症监护合计时长(小时)"))
    vent_used_dura = column_decimal(SettlementList, "vent_used_dura", min_value=0, required=False, default=0,
                                    help_text=_("呼吸机使用时长(小时)"))
    nwb_bir_wt = serializers.ListField(child=serializers.IntegerField(min_value=100, max_value=9999), max_length=9,
                                       required=False, default=list, help_text=_("新生儿出生体重(克)，多胎按顺序"))
    nwb_adm_wt = serializers.IntegerField(min_value=100, max_value=9999, required=False, allow_null=True,
                                          default=None, help_text=_("新生儿入院体重(克)"))
    diseinfo = DiagnosisSerializer(many=True, allow_empty=False, max_length=50, help_text=_("诊断信息"))
    oprninfo = OperationSerializer(many=True, required=False, default=list, max_length=50,
                                   help_text=_("手术操作信息"))


class StoredListSerializer(serializers.ModelSerializer):
    setl_id = serializers.CharField(source="settlement.setl_id")
    scs_cutd_sum_dura = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=True)
    vent_used_dura = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=True)
    diseinfo = serializers.SerializerMethodField()
    oprninfo = serializers.SerializerMethodField()

    class Meta:
        model = SettlementList
        fields = ["setl_id", "version", "dscg_way", "chfpdr_code", "scs_cutd_sum_dura", "vent_used_dura",
                  "nwb_bir_wt", "nwb_adm_wt", "uploaded_at", "diseinfo", "oprninfo"]

    def get_diseinfo(self, obj) -> list[dict]:
        return [{"diag_code": d.diag_code, "diag_name": d.diag_name, "maindiag_flag": d.maindiag_flag,
                 "adm_cond_type": d.adm_cond_type} for d in obj.diagnoses.order_by("seq")]

    def get_oprninfo(self, obj) -> list[dict]:
        return [{"oprn_oprt_code": o.oprn_oprt_code, "oprn_oprt_name": o.oprn_oprt_name,
                 "main_oprn_flag": o.main_oprn_flag, "oprn_oprt_date": o.oprn_oprt_date.isoformat(),
                 "anst_way": o.anst_way, "oper_dr_code": o.oper_dr_code} for o in obj.operations.order_by("seq")]


class DipCaseSerializer(serializers.ModelSerializer):
    setl_id = serializers.CharField(source="settlement.setl_id")
    mdtrt_id = serializers.CharField(source="settlement.visit.mdtrt_id")
    psn_no = serializers.CharField(source="settlement.person.psn_no")
    setl_time = serializers.DateTimeField(source="settlement.setl_time")
    dise_grp_code = serializers.CharField(source="group_code", help_text=_("病种编码；空为未入组"))
    mdc_code = serializers.CharField(source="mdc", help_text=_("DRG年度：主要诊断大类(MDC)编码"))
    adrg_code = serializers.CharField(source="adrg", help_text=_("DRG年度：核心疾病诊断相关组(ADRG)编码"))
    severity = serializers.CharField(help_text=_("DRG年度：并发症情况 MCC、CC、none"))
    ungrouped_reason = serializers.CharField(help_text=_("DRG年度未入组原因：NO_MDC、NO_ADRG、NO_DRG、NO_REF"))
    points = serializers.DecimalField(max_digits=16, decimal_places=4, coerce_to_string=True, allow_null=True)
    medfee_sumamt = money()
    fund_pay_sumamt = money()
    psn_part_amt = money()
    year = serializers.IntegerField(source="run.year")
    run_id = serializers.IntegerField()
    final = serializers.BooleanField(source="run.final", help_text=_("是否为年终清算的最终分组"))

    class Meta:
        model = DipCaseResult
        fields = ["setl_id", "mdtrt_id", "psn_no", "setl_time", "dise_grp_code", "mdc_code", "adrg_code", "severity",
                  "ungrouped_reason", "kind", "points",
                  "medfee_sumamt", "fund_pay_sumamt", "psn_part_amt", "year", "run_id", "final"]
