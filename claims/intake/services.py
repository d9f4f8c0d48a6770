"""Visit registration, discharge and fee-line upload (national interface 2401/2201, 2402, 2301/2204, 2302)."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.audit.pipeline import audit_visits, warnings_of
from claims.errors import ServiceError
from claims.models import FeeLine, FeeLineStatus, Upload, Visit, VisitStatus
from claims.settlement.loading import line_split_records, load_inputs
from core import bounds
from core.pgcopy import insert_rows
from insurance.models import Enrollment, Institution, Person
from policy_rules.engine import classify
from policy_rules.services import policy_in_force

MAX_LINES_PER_UPLOAD = 10_000
CLASSIFY_BATCH = 1000
CENT = Decimal("0.01")
LINE_TEXT_FIELDS = {"feedetl_sn": 30, "med_list_codg": 50, "medins_list_codg": 50, "bilg_dept_codg": 30,
                    "bilg_dr_codg": 30}
REQUIRED = ("feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt")
COMPARED = ("med_list_codg", "cnt", "pric", "det_item_fee_sumamt")


def new_mdtrt_id(institution: Institution, begntime: dt.datetime) -> str:
    day = timezone.localtime(begntime).strftime("%Y%m%d") if timezone.is_aware(begntime) else begntime.strftime("%Y%m%d")
    return f"M{day}{uuid.uuid4().hex[:16].upper()}"


def aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def register_visit(*, institution: Institution, psn_no: str, med_type: str, begntime: dt.datetime,
                   diagnoses=(), mdtrt_id: str | None = None, dise_codg: str = "", matn_type: str = "",
                   user=None) -> Visit:
    """Register an admission or an outpatient visit; the platform assigns mdtrt_id unless given. dise_codg (a
    门慢特 visit's disease) and matn_type (a delivery's kind) are the project's layers' visit fields
    (docs/benefit-layers.md); matn_type may also come at discharge."""
    person = Person.objects.filter(psn_no=psn_no).first()
    if person is None:
        raise ServiceError.one("psn_no", "UNKNOWN_PERSON", _("人员编号 %(psn_no)s 不存在。") % {"psn_no": psn_no})
    begntime = aware(begntime)
    if mdtrt_id and Visit.objects.filter(mdtrt_id=mdtrt_id).exists():
        raise ServiceError.one("mdtrt_id", "DUPLICATE_VISIT", _("就诊ID %(id)s 已存在。") % {"id": mdtrt_id})
    enrollment = Enrollment.objects.in_force(person, timezone.localtime(begntime).date()).first()
    visit = Visit(
        mdtrt_id=mdtrt_id or new_mdtrt_id(institution, begntime), person=person, institution=institution,
        enrollment=enrollment, med_type=med_type, begntime=begntime, diagnoses=list(diagnoses),
        dise_codg=dise_codg or "", matn_type=matn_type or "",
    )
    try:
        visit.full_clean(exclude=["mdtrt_id"] if not mdtrt_id else None)
    except ValidationError as exc:
        raise ServiceError([
            {"line": None, "field": "" if field == NON_FIELD_ERRORS else field, "code": (err.code or "INVALID").upper(),
             "message": " ".join(err.messages)}
            for field, errs in exc.error_dict.items() for err in errs
        ]) from exc
    _check_policy(visit)
    visit.save()
    return visit


def _check_policy(visit: Visit) -> None:
    """A visit's begntime lies in the years of a pack in force for its institution's region, and its med_type is
    one that pack defines (core.bounds): the model accepts any national code, the service only a settleable one."""
    region = visit.institution.region
    pack = policy_in_force(region, visit.begntime)
    try:
        bounds.check_in_pack(pack, visit.begntime, region=region)
    except ValidationError as exc:
        raise ServiceError([_bound_error(None, "begntime", exc)]) from exc
    try:
        bounds.check_med_type(visit.med_type, pack)
    except ValidationError as exc:
        raise ServiceError([_bound_error(None, "med_type", exc)]) from exc
    try:
        bounds.check_matn_type(visit.med_type, visit.matn_type, pack, required=False)
    except ValidationError as exc:
        raise ServiceError([_bound_error(None, "matn_type", exc)]) from exc


def discharge_visit(visit: Visit, *, endtime: dt.datetime, matn_type: str | None = None) -> Visit:
    """The end time; a delivery's kind (matn_type) when given, required by then for a delivery visit."""
    endtime = aware(endtime)
    with transaction.atomic():
        visit = Visit.objects.select_for_update(of=("self",)).select_related("institution").get(pk=visit.pk)
        if visit.status == VisitStatus.SETTLED:
            raise ServiceError.one("mdtrt_id", "VISIT_SETTLED", _("就诊已结算，不能办理出院。"))
        if endtime < visit.begntime:
            raise ServiceError.one("endtime", "ENDTIME_BEFORE_BEGNTIME", _("结束时间不能早于开始时间。"))
        region = visit.institution.region
        pack = policy_in_force(region, endtime)
        try:
            bounds.check_date(endtime)
            bounds.check_in_pack(pack, endtime, region=region)
        except ValidationError as exc:
            raise ServiceError([_bound_error(None, "endtime", exc)]) from exc
        if matn_type is not None:
            visit.matn_type = matn_type
        try:
            bounds.check_matn_type(visit.med_type, visit.matn_type, pack, required=True)
        except ValidationError as exc:
            raise ServiceError([_bound_error(None, "matn_type", exc)]) from exc
        if visit.lines.filter(status=FeeLineStatus.ACTIVE, fee_ocur_time__gt=endtime).exists():
            raise ServiceError.one("endtime", "FEES_AFTER_ENDTIME", _("存在晚于出院时间的费用明细。"))
        visit.endtime = endtime
        visit.status = VisitStatus.DISCHARGED
        visit.save(update_fields=["endtime", "status", "matn_type"])
    return visit


def _bound_error(index, field, exc: ValidationError) -> dict:
    return {"line": index, "field": field, "code": (exc.code or "invalid").upper(), "message": " ".join(exc.messages)}


def _decimal(value, field, index, errors, lo=Decimal(0), *, positive: bool = False) -> Decimal | None:
    """The value as a Decimal that fits the FeeLine column `field` (core.bounds), or None and an error."""
    if value in (None, ""):
        errors.append({"line": index, "field": field, "code": "REQUIRED", "message": _("必填。")})
        return None
    try:
        if isinstance(value, bool) or isinstance(value, float):
            raise InvalidOperation
        d = Decimal(str(value).strip())
        if not d.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.append({"line": index, "field": field, "code": "NOT_DECIMAL",
                       "message": _("不是有效的十进制数：%(v)r") % {"v": value}})
        return None
    try:
        bounds.check_decimal(d, FeeLine._meta.get_field(field))
    except ValidationError as exc:
        errors.append(_bound_error(index, field, exc))
        return None
    if d < lo:
        errors.append({"line": index, "field": field, "code": "NEGATIVE", "message": _("不能为负数。")})
        return None
    if positive and d <= 0:
        errors.append({"line": index, "field": field, "code": "NOT_POSITIVE", "message": _("必须大于0。")})
        return None
    return d


def validate_lines(visit: Visit, lines: list[dict]) -> list[dict]:
    """Check every line; return cleaned lines or raise ServiceError listing every problem."""
    errors: list[dict] = []
    if not isinstance(lines, list) or not lines:
        raise ServiceError.one("lines", "EMPTY", _("至少需要一条费用明细。"))
    if len(lines) > MAX_LINES_PER_UPLOAD:
        raise ServiceError.one("lines", "TOO_MANY", _("每次最多上传 %(n)d 条明细。") % {"n": MAX_LINES_PER_UPLOAD})
    seen: dict[str, int] = {}
    cleaned = []
    # The same quantities, prices and amounts recur on many lines: a value found valid once (keyed by its
    # type and text) is not parsed again, and a (cnt, pric, amount) found consistent is not checked again.
    parsed: dict[tuple, Decimal] = {}
    consistent: set[tuple] = set()

    def decimal_of(value, field, i):
        key = (type(value), value if type(value) is str else str(value), field)
        d = parsed.get(key)
        if d is None:
            d = _decimal(value, field, i, errors, positive=field == "cnt")
            if d is not None:
                parsed[key] = d
        return d

    for i, raw in enumerate(lines):
        if not isinstance(raw, dict):
            errors.append({"line": i, "field": "", "code": "NOT_OBJECT", "message": _("明细应为对象。")})
            continue
        row: dict = {}
        for f in REQUIRED:
            if raw.get(f) in (None, ""):
                errors.append({"line": i, "field": f, "code": "REQUIRED", "message": _("必填。")})
        for f, max_len in LINE_TEXT_FIELDS.items():
            v = raw.get(f)
            if v in (None, ""):
                row[f] = ""
                continue
            v = str(v).strip()
            if not v:
                errors.append({"line": i, "field": f, "code": "BLANK", "message": _("不能为空白。")})
            elif bad := _bounded(bounds.check_code, v, i, f):
                errors.append(bad)
            elif len(v) > max_len:
                errors.append({"line": i, "field": f, "code": "TOO_LONG",
                               "message": _("长度不能超过 %(n)d。") % {"n": max_len}})
            row[f] = v
        cnt, pric, amount = raw.get("cnt"), raw.get("pric"), raw.get("det_item_fee_sumamt")
        cnt = decimal_of(cnt, "cnt", i) if cnt not in (None, "") else None
        pric = decimal_of(pric, "pric", i) if pric not in (None, "") else None
        amount = decimal_of(amount, "det_item_fee_sumamt", i) if amount not in (None, "") else None
        if None not in (cnt, pric, amount) and (cnt, pric, amount) not in consistent:
            expected = (cnt * pric).quantize(CENT, rounding=ROUND_HALF_UP)
            if abs(expected - amount) > CENT:
                errors.append({"line": i, "field": "det_item_fee_sumamt", "code": "AMOUNT_MISMATCH",
                               "message": _("金额 %(a)s 与数量×单价 %(e)s 相差超过 0.01。") % {"a": amount, "e": expected}})
            else:
                consistent.add((cnt, pric, amount))
        row.update(cnt=cnt, pric=pric, det_item_fee_sumamt=amount)
        row["fee_ocur_time"] = _fee_time(raw.get("fee_ocur_time"), visit, i, errors)
        sn = row.get("feedetl_sn")
        if sn:
            if sn in seen:
                errors.append({"line": i, "field": "feedetl_sn", "code": "DUPLICATE_IN_REQUEST",
                               "message": _("与第 %(j)d 条明细流水号重复。") % {"j": seen[sn]}})
            seen[sn] = i
        cleaned.append(row)
    if errors:
        raise ServiceError(errors)
    return cleaned


def _bounded(check, value, i, field) -> dict | None:
    """The error of a core.bounds check on a line's value, None when the value is within bounds."""
    try:
        check(value)
    except ValidationError as exc:
        return _bound_error(i, field, exc)
    return None


def _fee_time(value, visit: Visit, i: int, errors: list) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        when = value
    else:
        try:
            when = dt.datetime.fromisoformat(str(value))
        except ValueError:
            errors.append({"line": i, "field": "fee_ocur_time", "code": "NOT_DATETIME",
                           "message": _("不是有效的时间：%(v)r") % {"v": value}})
            return None
    if bad := _bounded(bounds.check_date, when, i, "fee_ocur_time"):
        errors.append(bad)
        return None
    when = aware(when)
    if when < visit.begntime.replace(hour=0, minute=0, second=0, microsecond=0) or (
        visit.endtime is not None and when > visit.endtime
    ):
        errors.append({"line": i, "field": "fee_ocur_time", "code": "OUTSIDE_VISIT",
                       "message": _("费用发生时间不在就诊期间内。")})
    return when


SPLIT_FIELDS = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "chrgitm_lv",
                "selfpay_prop", "reason")
ENGINE_LINE_FIELDS = ("feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt")


def upload_fee_lines(visit: Visit, lines: list[dict], *, source: str = "api", user=None, audit: bool = True) -> dict:
    """Store a visit's fee lines and classify them; re-sending a line is idempotent.

    Returns {"upload": Upload, "created": n, "unchanged": n, "splits": {feedetl_sn: split},
    "lines": [{"feedetl_sn", "det_item_fee_sumamt", **split} in request order]}.
    Raises ServiceError (nothing written) on any bad line.

    The visit's stored lines are read once; the new lines are classified together with the visit's
    active ones before they are written, and go in with their split (COPY on PostgreSQL), so that an
    upload of thousands of lines builds no model instance and updates no row it has just inserted.
    """
    with transaction.atomic():
        visit = Visit.objects.select_for_update(of=("self",)).select_related("person", "institution").get(pk=visit.pk)
        if visit.status == VisitStatus.SETTLED:
            raise ServiceError.one("mdtrt_id", "VISIT_SETTLED", _("就诊已结算，不能再上传明细。"))
        cleaned = validate_lines(visit, lines)
        stored = list(FeeLine.objects.filter(visit=visit).order_by("pk").values(
            "pk", "status", *ENGINE_LINE_FIELDS, *SPLIT_FIELDS))
        existing = {r["feedetl_sn"]: r for r in stored}
        errors, new = [], []
        for i, row in enumerate(cleaned):
            old = existing.get(row["feedetl_sn"])
            if old is None:
                new.append(row)
            elif old["status"] == FeeLineStatus.CANCELLED:
                errors.append({"line": i, "field": "feedetl_sn", "code": "SN_CANCELLED",
                               "message": _("该流水号的明细已撤销，请使用新的流水号。")})
            elif any(old[f] != row[f] for f in COMPARED):
                errors.append({"line": i, "field": "feedetl_sn", "code": "SN_CONFLICT",
                               "message": _("该流水号已上传且内容不同；请先撤销原明细。")})
        if errors:
            raise ServiceError(errors)
        upload = Upload.objects.create(institution=visit.institution, source=source, line_count=len(new),
                                       created_by=user if getattr(user, "is_authenticated", False) else None)
        active = [r for r in stored if r["status"] == FeeLineStatus.ACTIVE]
        splits = _classify(visit, active + new)
        changed = [(r["pk"], splits[r["feedetl_sn"]]) for r in active
                   if any(r[f] != v for f, v in splits[r["feedetl_sn"]].items())]
        if changed:
            _save_splits(changed, list(SPLIT_FIELDS))
        _insert_lines(visit, upload, [{**row, **splits[row["feedetl_sn"]]} for row in new])
        warnings = (warnings_of(audit_visits([visit], stage="upload", on=visit.endtime or timezone.now()))
                    if audit else [])
    return {"upload": upload, "created": len(new), "unchanged": len(cleaned) - len(new),
            "splits": {sn: splits[sn] for sn in (r["feedetl_sn"] for r in cleaned)},
            "lines": [{"feedetl_sn": r["feedetl_sn"], "det_item_fee_sumamt": r["det_item_fee_sumamt"],
                       **splits[r["feedetl_sn"]]} for r in cleaned],
            "warnings": warnings}


def _classify(visit: Visit, rows: list[dict]) -> dict[str, dict]:
    """Step 1 of the engine on these lines of the visit (judged at its end, or now): {feedetl_sn: split}."""
    when = visit.endtime or timezone.now()
    m = visit.mdtrt_id
    line_rows = [{"mdtrt_id": m, "feedetl_sn": r["feedetl_sn"], "med_list_codg": r["med_list_codg"], "cnt": r["cnt"],
                  "pric": r["pric"], "det_item_fee_sumamt": r["det_item_fee_sumamt"]} for r in rows]
    inputs, _items = load_inputs([visit], {visit.pk: when}, with_state=False, line_rows=line_rows)
    split = classify(**inputs.engine(with_state=False))
    return {sn: rec for (_mdtrt, sn), rec in line_split_records(split).items()}


def classify_visit_lines(visit: Visit) -> dict[str, dict]:
    """Run step 1 of the engine on the visit's active lines and store the split on each line."""
    stored = list(FeeLine.objects.filter(visit=visit, status=FeeLineStatus.ACTIVE).order_by("pk").values(
        "pk", *ENGINE_LINE_FIELDS, *SPLIT_FIELDS))
    records = _classify(visit, stored)
    changed = [(r["pk"], records[r["feedetl_sn"]]) for r in stored
               if any(r[f] != v for f, v in records[r["feedetl_sn"]].items())]
    if changed:
        _save_splits(changed, list(SPLIT_FIELDS))
    return records


def _insert_lines(visit: Visit, upload: Upload, rows: list[dict]) -> None:
    """Insert new fee lines (cleaned rows with their split), by COPY on PostgreSQL (core.pgcopy.insert_rows)."""
    insert_rows(FeeLine, [{**row, "visit_id": visit.pk, "upload_id": upload.pk} for row in rows])


def _save_splits(rows: list[tuple[int, dict]], fields: list[str]) -> None:
    """Write the split fields of many lines, given as (pk, {field: value}): UPDATE ... FROM (VALUES ...) on
    PostgreSQL, where bulk_update's CASE per row takes seconds for an upload of 10 000 lines; bulk_update
    elsewhere."""
    if connection.vendor != "postgresql":
        FeeLine.objects.bulk_update([FeeLine(pk=pk, **{f: values[f] for f in fields}) for pk, values in rows], fields,
                                    batch_size=CLASSIFY_BATCH)
        return
    meta = FeeLine._meta
    columns = [meta.get_field(f).column for f in fields]
    casts = [meta.get_field(f).db_type(connection) for f in fields]
    assignments = ", ".join(f'"{c}" = v."{c}"::{t}' for c, t in zip(columns, casts, strict=True))
    names = ", ".join(f'"{c}"' for c in columns)
    row_sql = "(%s" + ", %s" * len(fields) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CLASSIFY_BATCH):
            chunk = rows[start:start + CLASSIFY_BATCH]
            params = [p for pk, values in chunk for p in (pk, *(values[f] for f in fields))]
            cursor.execute(
                f'UPDATE "{meta.db_table}" AS t SET {assignments} FROM (VALUES {", ".join([row_sql] * len(chunk))}) '
                f'AS v(id, {names}) WHERE t."{meta.pk.column}" = v.id',
                params,
            )


def cancel_fee_lines(visit: Visit, feedetl_sns: list[str] | None = None, *, user=None) -> int:
    """Cancel some lines, or all unsettled lines of the visit (2302). Lines are kept, marked cancelled."""
    with transaction.atomic():
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        if visit.status == VisitStatus.SETTLED:
            raise ServiceError.one("mdtrt_id", "VISIT_SETTLED", _("就诊已结算，不能撤销明细。"))
        qs = FeeLine.objects.filter(visit=visit, status=FeeLineStatus.ACTIVE)
        if feedetl_sns is not None:
            found = set(qs.filter(feedetl_sn__in=feedetl_sns).values_list("feedetl_sn", flat=True))
            missing = [sn for sn in feedetl_sns if sn not in found]
            if missing:
                raise ServiceError([{"line": feedetl_sns.index(sn), "field": "feedetl_sn", "code": "UNKNOWN_LINE",
                                     "message": _("没有有效的明细 %(sn)s。") % {"sn": sn}} for sn in missing])
            qs = qs.filter(feedetl_sn__in=feedetl_sns)
        return qs.update(status=FeeLineStatus.CANCELLED, cancelled_at=timezone.now())
