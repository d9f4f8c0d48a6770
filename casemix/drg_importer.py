"""Import a CHS-DRG grouping table (docs/drg.md section 1) as a GroupingTable of kind drg: every value is checked
at the edge, and nothing is stored unless all are good. Errors name the file, the sheet, the row and the field.

Sources, all read into the same four sheets:
- JSON: {"mdc": [...], "adrg": [...], "cc": [...], "drg": [...]} as docs/drg.md (a record's row is its
  position in its list, from 1);
- XLSX: one workbook with the sheets mdc, adrg, cc, drg (the header is row 1 of each);
- CSV: a directory holding mdc.csv, adrg.csv, cc.csv, drg.csv (the header is row 1 of each).

Columns (a list in a cell: codes separated by | , ; or spaces):
  mdc   code, name, diag_prefixes
  adrg  code, mdc, name, kind (surgical | medical), oprn_prefixes (surgical), diag_prefixes (medical)
  cc    diag_prefix, level (MCC | CC), excluded_main_prefixes
  drg   code, adrg, name (optional), severity (MCC | CC | none | any), rw, ref_cost_0 .. ref_cost_3
A DRG's code is its ADRG's code and one digit by severity, as CHS-DRG: 1 MCC, 3 CC, 5 none, 9 any.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import pandas as pd
from django.db import transaction
from django.utils.translation import gettext as _

from claims.errors import ServiceError
from policy_rules.catalog_import import _read_bytes, _read_frame
from policy_rules.engine.dip import POINT_SCALE, DipInputError, decimal_scaled
from policy_rules.engine.money import FEN

from .importer import OPRN_PREFIX, table_errors
from .models import (
    LEVELS,
    AdrgKind,
    CcLevel,
    DrgAdrg,
    DrgCc,
    DrgGroup,
    DrgMdc,
    DrgSeverity,
    GroupingTable,
    TableKind,
)

SHEETS = {
    "mdc": ("code", "name", "diag_prefixes"),
    "adrg": ("code", "mdc", "name", "kind", "oprn_prefixes", "diag_prefixes"),
    "cc": ("diag_prefix", "level", "excluded_main_prefixes"),
    "drg": ("code", "adrg", "name", "severity", "rw", *(f"ref_cost_{lv}" for lv in LEVELS)),
}
REQUIRED = {"mdc": ("code", "name", "diag_prefixes"), "adrg": ("code", "mdc", "name", "kind"),
            "cc": ("diag_prefix", "level"), "drg": ("code", "adrg", "severity", "rw")}
LIST_COLUMNS = {"diag_prefixes", "oprn_prefixes", "excluded_main_prefixes"}
# a diagnosis prefix as far as a chapter letter: K, K2, K25, K25.0, K25.000
DIAG_PREFIX = re.compile(r"^[A-Z]([0-9]|[0-9]{2}(\.[0-9A-Z]{1,4})?)?$")
MDC_CODE = re.compile(r"^[A-Z0-9]{1,3}$")
ADRG_CODE = re.compile(r"^[A-Z][A-Z0-9]{2}$")
SUFFIX = {DrgSeverity.MCC: "1", DrgSeverity.CC: "3", DrgSeverity.NONE: "5", DrgSeverity.ANY: "9"}
SPLIT = re.compile(r"[|,;、\s]+")

Row = tuple[str, int, dict]  # (file, row, {column: value})


class _Sheet:
    """Errors of one sheet's rows, each naming the file, the sheet, the row and the field."""

    def __init__(self, name: str, errors: list[dict]):
        self.name, self.errors = name, errors

    def error(self, where: Row, field: str, code: str, message) -> None:
        self.errors.append({"file": where[0], "sheet": self.name, "line": where[1], "field": f"{self.name}.{field}",
                            "code": code, "message": str(message)})


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _codes(value) -> list[str]:
    items = value if isinstance(value, list | tuple) else SPLIT.split(_text(value))
    return [_text(v).upper() for v in items if _text(v)]


def _number(sheet: _Sheet, where: Row, field: str, scale: int) -> Decimal | None:
    """A positive decimal with at most log10(scale) places, or None when empty; bad values are errors."""
    text = _text(where[2].get(field))
    if not text:
        return None
    try:
        value = Decimal(decimal_scaled(text, scale, field)) / scale
    except DipInputError as exc:
        sheet.error(where, field, "INVALID_VALUE", exc)
        return None
    if value <= 0:
        sheet.error(where, field, "INVALID_VALUE", _("必须大于0。"))
        return None
    return value


def _prefixes(sheet: _Sheet, where: Row, field: str, pattern: re.Pattern, label: str) -> list[str]:
    values = _codes(where[2].get(field))
    for value in values:
        if not pattern.match(value):
            sheet.error(where, field, "INVALID_CODE", _("不是%(l)s编码或其前缀：%(v)s") % {"l": label, "v": value})
    if len(set(values)) != len(values):
        sheet.error(where, field, "DUPLICATE", _("前缀重复。"))
    return values


def _first(sheet: _Sheet, where: Row, field: str, seen: dict, key, what) -> None:
    """Record key's first row; a later row with the same key is a DUPLICATE naming the first."""
    if key in seen:
        sheet.error(where, field, "DUPLICATE", _("与第%(r)s行%(w)s重复。") % {"r": seen[key], "w": what})
    else:
        seen[key] = where[1]


def _check_required(sheets: Mapping[str, list[Row]], errors: list[dict]) -> None:
    for name, rows in sheets.items():
        sheet = _Sheet(name, errors)
        for where in rows:
            for field in REQUIRED[name]:
                empty = not _codes(where[2].get(field)) if field in LIST_COLUMNS else not _text(where[2].get(field))
                if empty:
                    sheet.error(where, field, "REQUIRED", _("必填。"))


def _check_mdc(rows: list[Row], errors: list[dict], out: list[dict]) -> set[str]:
    """The MDC rows; their codes."""
    mdc_seen, prefix_seen = {}, {}
    sheet = _Sheet("mdc", errors)
    for where in rows:
        code = _text(where[2].get("code")).upper()
        if code and not MDC_CODE.match(code):
            sheet.error(where, "code", "INVALID_CODE", _("MDC编码为1至3位字母或数字。"))
        if code:
            _first(sheet, where, "code", mdc_seen, code, _("MDC编码"))
        for p in _prefixes(sheet, where, "diag_prefixes", DIAG_PREFIX, _("ICD-10医保版")):
            _first(sheet, where, "diag_prefixes", prefix_seen, p, _("主要诊断前缀 %(p)s") % {"p": p})
        out.append({"code": code, "name": _text(where[2].get("name"))[:200],
                    "diag_prefixes": _codes(where[2].get("diag_prefixes"))})
    return set(mdc_seen)


def _check_adrg(rows: list[Row], mdcs: set[str], errors: list[dict], out: list[dict]) -> set[str]:
    """The ADRG rows; their codes."""
    adrg_seen, adrg_prefix_seen = {}, {}
    sheet = _Sheet("adrg", errors)
    for where in rows:
        code, mdc, kind = (_text(where[2].get(f)) for f in ("code", "mdc", "kind"))
        code, mdc = code.upper(), mdc.upper()
        if code and not ADRG_CODE.match(code):
            sheet.error(where, "code", "INVALID_CODE", _("ADRG编码为3位：字母开头的字母或数字。"))
        if code:
            _first(sheet, where, "code", adrg_seen, code, _("ADRG编码"))
        if mdc and mdc not in mdcs:
            sheet.error(where, "mdc", "UNKNOWN_MDC", _("MDC表中没有该编码：%(v)s") % {"v": mdc})
        if kind and kind not in AdrgKind.values:
            sheet.error(where, "kind", "INVALID_VALUE", _("ADRG类型为 surgical 或 medical。"))
        field, other = ("oprn_prefixes", "diag_prefixes") if kind == AdrgKind.SURGICAL else (
            "diag_prefixes", "oprn_prefixes")
        if kind in AdrgKind.values:
            pattern, label = ((OPRN_PREFIX, _("ICD-9-CM-3医保版")) if kind == AdrgKind.SURGICAL
                              else (DIAG_PREFIX, _("ICD-10医保版")))
            prefixes = _prefixes(sheet, where, field, pattern, label)
            if not prefixes:
                sheet.error(where, field, "REQUIRED", _("该类型的ADRG必须列出编码前缀。"))
            if _codes(where[2].get(other)):
                sheet.error(where, other, "INVALID_VALUE", _("该类型的ADRG不使用此列。"))
            for p in prefixes:
                _first(sheet, where, field, adrg_prefix_seen, (mdc, kind, p), _("同一MDC内的前缀 %(p)s") % {"p": p})
            out.append({"code": code, "mdc": mdc, "name": _text(where[2].get("name"))[:200], "kind": kind,
                        field: prefixes})
    return set(adrg_seen)


def _check_cc(rows: list[Row], errors: list[dict], out: list[dict]) -> None:
    cc_seen = {}
    sheet = _Sheet("cc", errors)
    for where in rows:
        prefix, level = _text(where[2].get("diag_prefix")).upper(), _text(where[2].get("level")).upper()
        if prefix and not DIAG_PREFIX.match(prefix):
            sheet.error(where, "diag_prefix", "INVALID_CODE", _("不是ICD-10医保版编码或其前缀：%(v)s") % {"v": prefix})
        if prefix:
            _first(sheet, where, "diag_prefix", cc_seen, prefix, _("其他诊断前缀"))
        if level and level not in CcLevel.values:
            sheet.error(where, "level", "INVALID_VALUE", _("并发症级别为 MCC 或 CC。"))
        excluded = _prefixes(sheet, where, "excluded_main_prefixes", DIAG_PREFIX, _("ICD-10医保版"))
        out.append({"diag_prefix": prefix, "level": level, "excluded_main_prefixes": excluded})


def _check_drg(rows: list[Row], adrgs: set[str], errors: list[dict], out: list[dict]) -> None:
    drg_seen, severity_seen = {}, {}
    sheet = _Sheet("drg", errors)
    for where in rows:
        code, adrg, severity = (_text(where[2].get(f)) for f in ("code", "adrg", "severity"))
        code, adrg = code.upper(), adrg.upper()
        severity = severity.upper() if severity.upper() in ("MCC", "CC") else severity.lower()
        if code:
            _first(sheet, where, "code", drg_seen, code, _("DRG编码"))
        if adrg and adrg not in adrgs:
            sheet.error(where, "adrg", "UNKNOWN_ADRG", _("ADRG表中没有该编码：%(v)s") % {"v": adrg})
        if severity and severity not in DrgSeverity.values:
            sheet.error(where, "severity", "INVALID_VALUE", _("并发症情况为 MCC、CC、none 或 any。"))
        elif code and adrg and severity and code != adrg + SUFFIX[severity]:
            expected = adrg + SUFFIX[severity]
            sheet.error(where, "code", "INVALID_CODE", _("DRG编码应为 %(v)s（ADRG编码加并发症位：1 MCC、3 CC、5 无、9 不区分）。")
                        % {"v": expected})
        if adrg and severity:
            _first(sheet, where, "severity", severity_seen, (adrg, severity), _("同一ADRG的并发症情况"))
        rw = _number(sheet, where, "rw", POINT_SCALE)
        refs = {lv: _number(sheet, where, f"ref_cost_{lv}", FEN) for lv in LEVELS}
        out.append({"code": code, "adrg": adrg, "name": _text(where[2].get("name"))[:200],
                    "severity": severity, "rw": rw, **{f"ref_cost_{lv}": refs[lv] for lv in LEVELS}})


def _check_rows(sheets: Mapping[str, list[Row]], errors: list[dict]) -> dict[str, list[dict]]:
    """Every row checked: required fields, code formats, decimals, references and duplicates. The good rows as
    clean records per sheet (to be stored only when no error was found)."""
    out: dict[str, list[dict]] = {name: [] for name in SHEETS}
    before = len(errors)
    _check_required(sheets, errors)
    mdcs = _check_mdc(sheets.get("mdc", []), errors, out["mdc"])
    adrgs = _check_adrg(sheets.get("adrg", []), mdcs, errors, out["adrg"])
    _check_cc(sheets.get("cc", []), errors, out["cc"])
    _check_drg(sheets.get("drg", []), adrgs, errors, out["drg"])
    if not sheets.get("drg") and len(errors) == before:
        errors.append({"file": "", "sheet": "drg", "line": None, "field": "drg", "code": "EMPTY_FILE",
                       "message": _("分组表没有任何DRG。")})
    return out


def create_drg_table(sheets: Mapping[str, list[Row]], *, code: str, name: str, region: str,
                     effective_from: dt.date, effective_to: dt.date | None = None, source_name: str = "",
                     user=None) -> GroupingTable:
    """The table (kind drg) and its MDCs, ADRGs, CC list and DRGs from the sheets' rows; ServiceError listing every
    bad row, nothing stored."""
    errors = table_errors(code, region, effective_from, effective_to)
    clean = _check_rows(sheets, errors)
    if errors:
        raise ServiceError(errors)
    with transaction.atomic():
        table = GroupingTable.objects.create(code=code, name=name or code, region=region, kind=TableKind.DRG,
                                             effective_from=effective_from, effective_to=effective_to,
                                             source_name=source_name[:255], imported_by=user)
        mdcs = {m.code: m for m in DrgMdc.objects.bulk_create([DrgMdc(table=table, **m) for m in clean["mdc"]])}
        adrgs = {a.code: a for a in DrgAdrg.objects.bulk_create([
            DrgAdrg(table=table, mdc=mdcs[a["mdc"]], code=a["code"], name=a["name"], kind=a["kind"],
                    prefixes=a.get("oprn_prefixes") or a.get("diag_prefixes")) for a in clean["adrg"]])}
        DrgCc.objects.bulk_create([DrgCc(table=table, **c) for c in clean["cc"]])
        DrgGroup.objects.bulk_create([
            DrgGroup(table=table, **{**d, "adrg": adrgs[d["adrg"]], "name": d["name"] or _drg_name(
                adrgs[d["adrg"]].name, d["severity"])}) for d in clean["drg"]])
    return table


def _drg_name(adrg_name: str, severity: str) -> str:
    """A DRG without a name of its own: its ADRG's, with the severity as CHS-DRG names it."""
    if severity == DrgSeverity.ANY:
        return adrg_name
    return f"{adrg_name}，{DrgSeverity(severity).label}"[:200]


# --- reading the sources ----------------------------------------------------------------------------------------


def _frame_rows(file: str, sheet: str, frame: pd.DataFrame, errors: list[dict]) -> list[Row]:
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for column in frame.columns:
        if column not in SHEETS[sheet]:
            errors.append({"file": file, "sheet": sheet, "line": 1, "field": f"{sheet}.{column}",
                           "code": "UNKNOWN_COLUMN",
                           "message": _("未知的列；允许的列：%(c)s") % {"c": ", ".join(SHEETS[sheet])}})
    return [(file, i + 2, {c: str(v) for c, v in record.items()}) for i, record in enumerate(frame.to_dict("records"))
            if any(str(v).strip() for v in record.values())]


def _unreadable(file: str, exc) -> ServiceError:
    return ServiceError([{"file": file, "sheet": "", "line": None, "field": "file", "code": "UNREADABLE_FILE",
                          "message": _("无法读取文件：%(e)s") % {"e": exc}}])


def read_drg_json(data: bytes, file: str) -> dict[str, list[Row]]:
    """The four lists of a JSON table (a record's row: its position in its list, from 1)."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _unreadable(file, exc) from exc
    return doc_sheets(doc, file)


def doc_sheets(doc, file: str) -> dict[str, list[Row]]:
    """The four lists of a table in docs/drg.md's shape (a JSON file's, or a DRG case file's `drg_table`)."""
    if not isinstance(doc, dict):
        raise _unreadable(file, _("JSON应为对象 {mdc, adrg, cc, drg}。"))
    sheets: dict[str, list[Row]] = {}
    errors: list[dict] = []
    for name in SHEETS:
        records = doc.get(name) or []
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise _unreadable(file, _("%(s)s 应为对象的列表。") % {"s": name})
        sheets[name] = [(file, i + 1, _flat_record(name, file, i + 1, r, errors)) for i, r in enumerate(records)]
    if errors:
        raise ServiceError(errors)
    return sheets


def _flat_record(sheet: str, file: str, row: int, record: dict, errors: list[dict]) -> dict:
    """A JSON record as a sheet's row: a DRG's ref_cost {level: amount} as ref_cost_<level>; unknown keys are
    errors."""
    record = dict(record)
    ref = record.pop("ref_cost", None) if sheet == "drg" else None
    if ref is not None and not isinstance(ref, dict):
        errors.append({"file": file, "sheet": sheet, "line": row, "field": "drg.ref_cost", "code": "INVALID_VALUE",
                       "message": _("ref_cost 应为 {医院等级: 次均费用}。")})
    for level, amount in (ref.items() if isinstance(ref, dict) else ()):
        if str(level) in {str(lv) for lv in LEVELS}:
            record[f"ref_cost_{level}"] = amount
        else:
            errors.append({"file": file, "sheet": sheet, "line": row, "field": f"drg.ref_cost.{level}",
                           "code": "INVALID_VALUE", "message": _("医院等级为0至3。")})
    for key in record:
        if key not in SHEETS[sheet]:
            errors.append({"file": file, "sheet": sheet, "line": row, "field": f"{sheet}.{key}",
                           "code": "UNKNOWN_COLUMN",
                           "message": _("未知的字段；允许的字段：%(c)s") % {"c": ", ".join(SHEETS[sheet])}})
    return record


def read_drg_workbook(data: bytes, file: str) -> dict[str, list[Row]]:
    """The four sheets of an XLSX workbook (the header is row 1 of each); a missing sheet is an error."""
    try:
        book = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=str, keep_default_na=False, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for an unreadable file
        raise _unreadable(file, exc) from exc
    book = {str(k).strip().lower(): v for k, v in book.items()}
    errors: list[dict] = []
    sheets = {}
    for name in SHEETS:
        if name not in book:
            errors.append({"file": file, "sheet": name, "line": None, "field": name, "code": "MISSING_SHEET",
                           "message": _("工作簿缺少工作表 %(s)s。") % {"s": name}})
            continue
        sheets[name] = _frame_rows(file, name, book[name], errors)
    if errors:
        raise ServiceError(errors)
    return sheets


def read_drg_csv_dir(path: Path) -> dict[str, list[Row]]:
    """mdc.csv, adrg.csv, cc.csv and drg.csv of a directory (the header is row 1 of each)."""
    errors: list[dict] = []
    sheets = {}
    for name in SHEETS:
        file = path / f"{name}.csv"
        if not file.exists():
            errors.append({"file": str(file), "sheet": name, "line": None, "field": name, "code": "MISSING_SHEET",
                           "message": _("缺少文件 %(f)s。") % {"f": file.name}})
            continue
        try:
            frame = _read_frame(_read_bytes(file), "csv")
        except Exception as exc:  # pandas raises many types for an unreadable file
            raise _unreadable(str(file), exc) from exc
        sheets[name] = _frame_rows(file.name, name, frame, errors)
    if errors:
        raise ServiceError(errors)
    return sheets


def read_drg_source(file_or_path, fmt: str | None = None) -> dict[str, list[Row]]:
    """A JSON file, an XLSX workbook or a directory of CSV files (a path or an uploaded file)."""
    if isinstance(file_or_path, str | Path) and Path(file_or_path).is_dir():
        return read_drg_csv_dir(Path(file_or_path))
    name = str(file_or_path) if isinstance(file_or_path, str | Path) else getattr(file_or_path, "name", "") or ""
    fmt = (fmt or Path(name).suffix.lstrip(".")).lower()
    if fmt not in ("json", "xlsx"):
        raise ServiceError([{"file": name, "sheet": "", "line": None, "field": "file", "code": "UNSUPPORTED_FILE",
                             "message": _("DRG分组表只接受JSON文件、XLSX工作簿或CSV文件目录。")}])
    data = _read_bytes(file_or_path)
    return read_drg_json(data, Path(name).name) if fmt == "json" else read_drg_workbook(data, Path(name).name)


def import_drg_table(file_or_path, *, fmt: str | None = None, **table) -> GroupingTable:
    """Read and import a DRG table (see create_drg_table for the keywords)."""
    sheets = read_drg_source(file_or_path, fmt)
    table.setdefault("source_name", str(file_or_path) if isinstance(file_or_path, str | Path)
                     else getattr(file_or_path, "name", "") or "")
    return create_drg_table(sheets, **table)
