"""The settlement list (医疗保障基金结算清单) of an inpatient settlement [4101]: checked, then stored as a new
version; the same list sent again changes nothing, and a list whose case a final DIP run has grouped is fixed.

What is checked here (the serializer has parsed the types): the codes' formats (ICD-10 医保版 for diagnoses,
ICD-9-CM-3 医保版 for operations), exactly one main diagnosis, one main operation when there are operations,
operation dates inside the stay, gender- and age-specific codes against the person, newborn weights for a
newborn only. Errors name the field (`diseinfo.2.diag_code`); nothing is written unless all is good.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.errors import ServiceError
from claims.models import Settlement, SettlementKind, SettlementStatus
from core import bounds

from .models import DipCaseResult, ListDiagnosis, ListOperation, SettlementList

INPATIENT_MED_TYPES = ("21", "22", "52")
ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,4})?([xX+*][0-9]{3})?$")
ICD9CM3 = re.compile(r"^[0-9]{2}(\.[0-9]{1,4})?([xX][0-9]{2,3})?$")
# codes for one sex only (ICD-10 chapters and blocks; ICD-9-CM-3 chapters of the genital organs and obstetrics)
FEMALE_DIAG = re.compile(r"^(O|N7|N8|N9[0-8]|C5[1-8]|D06|D2[5-8])")
MALE_DIAG = re.compile(r"^(N4[0-9]|N5[01]|C6[0-3])")
FEMALE_OPRN = re.compile(r"^(6[5-9]|7[0-5])\.")
MALE_OPRN = re.compile(r"^6[0-4]\.")
# perinatal conditions and live births: under one year of age only
NEWBORN_DIAG = re.compile(r"^(P[0-8]|P9[0-6]|Z38)")
MALE, FEMALE = "1", "2"


def _err(field: str, code: str, message) -> dict:
    return {"line": None, "field": field, "code": code, "message": str(message)}


def _local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()


def check_list(settlement: Settlement, data: dict) -> list[dict]:
    """Every error of `data` (the serializer's validated data) for `settlement`."""
    errors: list[dict] = []
    visit, person = settlement.visit, settlement.person
    if settlement.kind != SettlementKind.SETTLEMENT or settlement.status != SettlementStatus.SETTLED:
        errors.append(_err("setl_id", "NOT_SETTLED", _("只有有效的结算(未撤销)可以上传结算清单。")))
    if visit.med_type not in INPATIENT_MED_TYPES:
        errors.append(_err("setl_id", "NOT_INPATIENT", _("结算清单只适用于住院结算。")))
    admitted = _local_date(visit.begntime)
    age = person.age_on(admitted)
    for i, d in enumerate(data["diseinfo"]):
        field, code = f"diseinfo.{i}.diag_code", d["diag_code"].strip()
        if not ICD10.match(code):
            errors.append(_err(field, "INVALID_CODE", _("不是ICD-10医保版诊断代码：%(v)s") % {"v": code}))
        elif person.gender == MALE and FEMALE_DIAG.match(code) or person.gender == FEMALE and MALE_DIAG.match(code):
            errors.append(_err(field, "GENDER_MISMATCH", _("诊断与参保人性别不符：%(v)s") % {"v": code}))
        elif age >= 1 and NEWBORN_DIAG.match(code):
            errors.append(_err(field, "AGE_MISMATCH", _("新生儿诊断只适用于1岁以下：%(v)s") % {"v": code}))
    mains = sum(1 for d in data["diseinfo"] if d["maindiag_flag"])
    if mains != 1:
        errors.append(_err("diseinfo", "MAIN_DIAGNOSIS", _("必须有且只有一个主要诊断(现有%(n)d个)。") % {"n": mains}))
    ends = _local_date(visit.endtime or settlement.setl_time)
    for i, o in enumerate(data.get("oprninfo") or []):
        code = o["oprn_oprt_code"].strip()
        if not ICD9CM3.match(code):
            errors.append(_err(f"oprninfo.{i}.oprn_oprt_code", "INVALID_CODE",
                               _("不是ICD-9-CM-3医保版手术操作代码：%(v)s") % {"v": code}))
        elif person.gender == MALE and FEMALE_OPRN.match(code) or person.gender == FEMALE and MALE_OPRN.match(code):
            errors.append(_err(f"oprninfo.{i}.oprn_oprt_code", "GENDER_MISMATCH",
                               _("手术操作与参保人性别不符：%(v)s") % {"v": code}))
        if not admitted <= o["oprn_oprt_date"] <= ends:
            errors.append(_err(f"oprninfo.{i}.oprn_oprt_date", "OUTSIDE_STAY",
                               _("手术操作日期须在住院期间(%(a)s 至 %(b)s)。") % {"a": admitted, "b": ends}))
    main_ops = sum(1 for o in data.get("oprninfo") or [] if o["main_oprn_flag"])
    if data.get("oprninfo") and main_ops != 1:
        errors.append(_err("oprninfo", "MAIN_OPERATION", _("有手术操作时必须有且只有一个主要手术操作。")))
    if (data.get("nwb_bir_wt") or data.get("nwb_adm_wt")) and age >= 1:
        errors.append(_err("nwb_bir_wt", "NOT_NEWBORN", _("新生儿体重只适用于1岁以下的参保人。")))
    for field in ("chfpdr_code",):
        try:
            bounds.check_code(data.get(field))
        except ValidationError as exc:
            errors.append(_err(field, "CONTROL_CHARACTER", exc.messages[0]))
    return errors


def _canonical(data: dict) -> dict:
    def norm(value):
        if isinstance(value, dict):
            return {k: norm(v) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return [norm(v) for v in value]
        if isinstance(value, dt.date | Decimal):
            return str(value.normalize() if isinstance(value, Decimal) else value.isoformat())
        if isinstance(value, str):
            return value.strip()
        return value

    return norm(data)


def content_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(_canonical(data), ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def current_list(settlement: Settlement) -> SettlementList | None:
    return settlement.setl_lists.order_by("-version").first()


def upload_settlement_list(settlement: Settlement, data: dict, *, user=None) -> tuple[SettlementList, bool]:
    """(the list in force, whether this call stored a new version). ServiceError when anything is wrong."""
    errors = check_list(settlement, data)
    if errors:
        raise ServiceError(errors)
    digest = content_hash(data)
    with transaction.atomic():
        # one writer per settlement at a time: the version numbers follow each other
        Settlement.objects.select_for_update().filter(pk=settlement.pk).first()
        current = current_list(settlement)
        if current is not None and current.content_hash == digest:
            return current, False
        if DipCaseResult.objects.filter(settlement=settlement, run__final=True).exists():
            raise ServiceError([_err("setl_id", "LIST_FINAL", _("该病例的分组已确定，结算清单不能再更改。"))])
        setl_list = SettlementList.objects.create(
            settlement=settlement, institution_id=settlement.institution_id,
            version=(current.version + 1) if current else 1, dscg_way=data["dscg_way"],
            chfpdr_code=data["chfpdr_code"], scs_cutd_sum_dura=data.get("scs_cutd_sum_dura") or 0,
            vent_used_dura=data.get("vent_used_dura") or 0, nwb_bir_wt=list(data.get("nwb_bir_wt") or []),
            nwb_adm_wt=data.get("nwb_adm_wt"), content_hash=digest, uploaded_by=user)
        ListDiagnosis.objects.bulk_create([
            ListDiagnosis(setl_list=setl_list, seq=i + 1, diag_code=d["diag_code"].strip(),
                          diag_name=d["diag_name"], maindiag_flag=d["maindiag_flag"],
                          adm_cond_type=d.get("adm_cond_type") or "")
            for i, d in enumerate(data["diseinfo"])])
        ListOperation.objects.bulk_create([
            ListOperation(setl_list=setl_list, seq=i + 1, oprn_oprt_code=o["oprn_oprt_code"].strip(),
                          oprn_oprt_name=o["oprn_oprt_name"], main_oprn_flag=o["main_oprn_flag"],
                          oprn_oprt_date=o["oprn_oprt_date"], anst_way=o.get("anst_way") or "",
                          oper_dr_code=o.get("oper_dr_code") or "")
            for i, o in enumerate(data.get("oprninfo") or [])])
    return setl_list, True
