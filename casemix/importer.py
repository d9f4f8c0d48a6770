"""Import a DIP grouping table (CSV or XLSX) and a year's DIP parameters: every row is checked, and nothing is
stored unless all are good. Errors name the file's row (the header is row 1) and the column.

Columns: code, name, diag (main diagnosis prefix, ICD-10 医保版), oprn (main procedure prefix, ICD-9-CM-3 医保版;
empty or 保守治疗 for conservative treatment), points, ref_cost_0 .. ref_cost_3 (reference average cost at each
institution level; empty: none at that level).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from claims.errors import ServiceError
from core import bounds
from policy_rules.catalog_import import _read_bytes, _read_frame
from policy_rules.engine.dip import POINT_SCALE, VALUE_SCALE, DipInputError, DipParams, decimal_scaled
from policy_rules.engine.money import FEN, RATIO_SCALE

from .models import LEVELS, DipGroup, DipYearParameters, GroupingTable, PaymentMethod

COLUMNS = ("code", "name", "diag", "oprn", "points", *(f"ref_cost_{lv}" for lv in LEVELS))
REQUIRED_COLUMNS = ("code", "name", "diag", "points")
CONSERVATIVE = ("", "保守治疗", "-")
# prefixes of codes, as a group names them: K35, K35.8, K35.800; 47, 47.0, 47.0100
DIAG_PREFIX = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{0,4})?$")
OPRN_PREFIX = re.compile(r"^[0-9]{2}(\.[0-9]{0,4})?$")


def _error(row: int | None, field: str, code: str, message) -> dict:
    return {"line": row, "field": field, "code": code, "message": str(message)}


def _decimal(text: str, scale: int, row: int, field: str, errors: list[dict]) -> Decimal | None:
    try:
        return Decimal(decimal_scaled(text, scale, field)) / scale
    except DipInputError as exc:
        errors.append(_error(row, field, "INVALID_VALUE", exc))
        return None


def check_group(row: int, values: Mapping[str, str], errors: list[dict]) -> DipGroup | None:
    """One row → an unsaved DipGroup, or None with its errors appended."""
    before = len(errors)
    text = {c: str(values.get(c) or "").strip() for c in COLUMNS}
    for column in REQUIRED_COLUMNS:
        if not text[column]:
            errors.append(_error(row, column, "REQUIRED", _("必填。")))
    code, diag, oprn = text["code"], text["diag"].upper(), text["oprn"].upper()
    if code and (len(code) > 30 or any(ord(ch) < 32 for ch in code)):
        errors.append(_error(row, "code", "INVALID_VALUE", _("编码最长30位，不能含控制字符。")))
    if diag and not DIAG_PREFIX.match(diag):
        errors.append(_error(row, "diag", "INVALID_CODE", _("不是ICD-10医保版编码或其前缀：%(v)s") % {"v": diag}))
    oprn = "" if oprn in CONSERVATIVE else oprn
    if oprn and not OPRN_PREFIX.match(oprn):
        errors.append(_error(row, "oprn", "INVALID_CODE", _("不是ICD-9-CM-3医保版编码或其前缀：%(v)s") % {"v": oprn}))
    points = _decimal(text["points"], POINT_SCALE, row, "points", errors) if text["points"] else None
    if points is not None and points <= 0:
        errors.append(_error(row, "points", "INVALID_VALUE", _("分值必须大于0。")))
    refs = {lv: _decimal(text[f"ref_cost_{lv}"], FEN, row, f"ref_cost_{lv}", errors) if text[f"ref_cost_{lv}"]
            else None for lv in LEVELS}
    for lv, ref in refs.items():
        if ref is not None and ref <= 0:
            errors.append(_error(row, f"ref_cost_{lv}", "INVALID_VALUE", _("次均费用必须大于0。")))
    if len(errors) > before:
        return None
    return DipGroup(code=code, name=text["name"][:200], diag=diag, oprn=oprn, points=points,
                    **{f"ref_cost_{lv}": refs[lv] for lv in LEVELS})


def table_errors(code: str, region: str, effective_from: dt.date, effective_to: dt.date | None) -> list[dict]:
    """What is wrong with a new table's version code, region and period (DIP and DRG tables alike)."""
    errors: list[dict] = []
    if not code or len(code) > 50:
        errors.append(_error(None, "code", "INVALID_VALUE", _("分组版本编码必填，最长50位。")))
    elif GroupingTable.objects.filter(code=code).exists():
        errors.append(_error(None, "code", "DUPLICATE", _("分组版本编码已存在：%(v)s") % {"v": code}))
    if not re.fullmatch(r"[0-9]{6}", region or ""):
        errors.append(_error(None, "region", "INVALID_VALUE", _("统筹区为6位行政区划代码。")))
    for field, day in (("effective_from", effective_from), ("effective_to", effective_to)):
        try:
            bounds.check_date(day)
        except ValidationError as exc:
            errors.append(_error(None, field, "INVALID_VALUE", exc.messages[0]))
    if effective_to is not None and effective_from and effective_to < effective_from:
        errors.append(_error(None, "effective_to", "INVALID_VALUE", _("失效日期早于生效日期。")))
    return errors


def create_grouping_table(rows: Iterable[tuple[int, Mapping[str, str]]], *, code: str, name: str, region: str,
                          effective_from: dt.date, effective_to: dt.date | None = None, source_name: str = "",
                          user=None) -> GroupingTable:
    """The table and its groups from (row number, {column: text}); ServiceError listing every bad row."""
    errors = table_errors(code, region, effective_from, effective_to)
    groups, seen_codes, seen_keys = [], {}, {}
    for row, values in rows:
        group = check_group(row, values, errors)
        if group is None:
            continue
        if group.code in seen_codes:
            errors.append(_error(row, "code", "DUPLICATE", _("与第%(r)s行病种编码重复。") % {"r": seen_codes[group.code]}))
        if (group.diag, group.oprn) in seen_keys:
            errors.append(_error(row, "diag", "DUPLICATE",
                                 _("与第%(r)s行的诊断和手术前缀相同。") % {"r": seen_keys[group.diag, group.oprn]}))
        seen_codes.setdefault(group.code, row)
        seen_keys.setdefault((group.diag, group.oprn), row)
        groups.append(group)
    if not groups and not errors:
        errors.append(_error(None, "file", "EMPTY_FILE", _("分组表没有任何病种。")))
    if errors:
        raise ServiceError(errors)
    with transaction.atomic():
        table = GroupingTable.objects.create(code=code, name=name or code, region=region,
                                             effective_from=effective_from, effective_to=effective_to,
                                             source_name=source_name[:255], imported_by=user)
        for group in groups:
            group.table = table
        DipGroup.objects.bulk_create(groups)
    return table


def read_grouping_file(file_or_path, fmt: str | None = None) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: text}) of every non-blank data row of a CSV or XLSX file."""
    name = str(file_or_path) if isinstance(file_or_path, str | Path) else getattr(file_or_path, "name", "") or ""
    fmt = (fmt or Path(name).suffix.lstrip(".") or "csv").lower()
    if fmt not in ("csv", "xlsx"):
        raise ServiceError([_error(None, "file", "UNSUPPORTED_FILE", _("只接受CSV或XLSX文件。"))])
    try:
        frame = _read_frame(_read_bytes(file_or_path), fmt)
    except Exception as exc:  # pandas and openpyxl raise many types for an unreadable file
        raise ServiceError([_error(None, "file", "UNREADABLE_FILE", _("无法读取文件：%(e)s") % {"e": exc})]) from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    errors = [_error(1, c, "MISSING_COLUMN", _("缺少必需的列。")) for c in REQUIRED_COLUMNS if c not in frame.columns]
    errors += [_error(1, c, "UNKNOWN_COLUMN", _("未知的列；允许的列：%(c)s") % {"c": ", ".join(COLUMNS)})
               for c in frame.columns if c not in COLUMNS]
    if errors:
        raise ServiceError(errors)
    return [(i + 2, {c: str(v) for c, v in record.items()})
            for i, record in enumerate(frame.to_dict("records")) if any(str(v).strip() for v in record.values())]


def import_grouping_table(file_or_path, *, fmt: str | None = None, **table) -> GroupingTable:
    """Read and import a grouping table file (see create_grouping_table for the keywords)."""
    rows = read_grouping_file(file_or_path, fmt)
    table.setdefault("source_name", str(file_or_path) if isinstance(file_or_path, str | Path)
                     else getattr(file_or_path, "name", "") or "")
    return create_grouping_table(rows, **table)


def spec_rows(groups: Iterable[Mapping]) -> list[tuple[int, dict[str, str]]]:
    """The spec's group records (shared/spec/dip.md section 1: ref_cost {level: amount}) as importer rows."""
    return [(i, {"code": g.get("code"), "name": g.get("name") or g.get("code"), "diag": g.get("diag"),
                 "oprn": g.get("oprn") or "", "points": g.get("points"),
                 **{f"ref_cost_{lv}": (g.get("ref_cost") or {}).get(str(lv)) or "" for lv in LEVELS}})
            for i, g in enumerate(groups)]


def _method_and_rate(doc: Mapping) -> tuple[str, Decimal | None]:
    """The year's payment method (dip, drg_points, drg_rate; docs/drg.md section 3) and, for drg_rate, the rate
    in yuan per point (> 0, at most 6 decimals)."""
    method = str(doc.get("method") or PaymentMethod.DIP)
    if method not in PaymentMethod.values:
        raise ServiceError([_error(None, "method", "INVALID_VALUE",
                                   _("付费方式为 %(m)s 之一。") % {"m": ", ".join(PaymentMethod.values)})])
    if method != PaymentMethod.DRG_RATE:
        return method, None
    try:
        rate = Decimal(decimal_scaled(doc.get("rate"), VALUE_SCALE, "rate")) / VALUE_SCALE
    except DipInputError as exc:
        raise ServiceError([_error(None, "rate", "INVALID_VALUE", exc)]) from exc
    if rate <= 0:
        raise ServiceError([_error(None, "rate", "INVALID_VALUE", _("费率法的费率必须大于0。"))])
    return method, rate.quantize(Decimal("0.000001"))


def set_year_parameters(*, region: str, year: int, doc: Mapping, user=None, reason: str = "") -> DipYearParameters:
    """A new row of the year's parameters from the spec's `params` {low, high, coef {level: ratio}, budget}, with
    the payment method (`method`: dip by default, drg_points or drg_rate with its `rate`)."""
    try:
        params = DipParams.from_doc(doc)
    except DipInputError as exc:
        raise ServiceError([_error(None, "params", "INVALID_VALUE", exc)]) from exc
    method, rate = _method_and_rate(doc)
    unknown = sorted(set(params.coef_e6) - set(LEVELS))
    if unknown:
        raise ServiceError([_error(None, f"coef.{unknown[0]}", "INVALID_VALUE", _("医院等级为0至3。"))])
    if not 1900 < int(year) < 2200:
        raise ServiceError([_error(None, "year", "INVALID_VALUE", _("年度无效。"))])
    def ratio(e6: int) -> Decimal:
        return (Decimal(e6) / RATIO_SCALE).quantize(Decimal("0.000001"))

    coef = {f"coef_{lv}": ratio(params.coef_e6[lv]) if lv in params.coef_e6 else None for lv in LEVELS}
    return DipYearParameters.objects.create(
        region=region, year=year, low=ratio(params.low_e6), high=ratio(params.high_e6), method=method, rate=rate,
        budget=(Decimal(params.budget_fen) / FEN).quantize(Decimal("0.01")), reason=reason, created_by=user, **coef)
