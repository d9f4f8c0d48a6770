"""Catalog (三目录) import from CSV or XLSX: every row is validated, and nothing is stored unless all are good.

Row numbers are those of the file, the header being row 1. Codes already in the catalog with an
earlier open version get that version closed the day before the new one takes effect.
"""
from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q

from insurance.models import Gender
from policy_rules.models import CatalogItem, ChrgLv, ListType

COLUMNS = (
    "med_list_codg",
    "name",
    "list_type",
    "chrg_lv",
    "selfpay_prop",
    "price_limit",
    "restrict_gender",
    "restrict_min_age",
    "restrict_max_age",
    "restrict_min_level",
    "restrict_med_types",
)
REQUIRED_COLUMNS = ("med_list_codg", "name", "chrg_lv")
NULLABLE_NUMBER_COLUMNS = ("selfpay_prop", "price_limit", "restrict_min_age", "restrict_max_age", "restrict_min_level")
INTEGER_COLUMNS = ("restrict_min_age", "restrict_max_age", "restrict_min_level")
FORMATS = ("csv", "xlsx")
BATCH_SIZE = 1000

_LABEL_ALIASES = {
    "chrg_lv": {str(label): value for value, label in ChrgLv.choices} | {"1": "01", "2": "02", "3": "03"},
    "list_type": {str(label): value for value, label in ListType.choices},
    "restrict_gender": {str(label): value for value, label in Gender.choices},
}
_INTEGRAL_FLOAT = re.compile(r"^(\d+)\.0*$")
_MED_TYPE_SPLIT = re.compile(r"[,，|、;\s]+")


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        where = "文件" if self.row is None else f"第{self.row}行"
        return f"{where} {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


@dataclass
class ImportReport:
    rows: int = 0  # data rows read (blank rows skipped)
    created: int = 0
    closed: int = 0  # earlier versions given an effective_to
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, row: int | None, column: str, message) -> None:
        self.errors.append(RowError(row, column, str(message)))


def _source_name(file_or_path) -> str:
    if isinstance(file_or_path, str | Path):
        return str(file_or_path)
    return getattr(file_or_path, "name", "") or ""


def _read_bytes(file_or_path) -> bytes:
    if isinstance(file_or_path, str | Path):
        return Path(file_or_path).read_bytes()
    if hasattr(file_or_path, "seek"):
        file_or_path.seek(0)
    data = file_or_path.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _read_frame(data: bytes, fmt: str) -> pd.DataFrame:
    if fmt == "xlsx":
        return pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False, engine="openpyxl")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")  # CSV saved by a Chinese-locale spreadsheet
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False)


def _normalise(column: str, text: str):
    """Turn a cell's text into the value given to the model field (which then validates it)."""
    text = text.strip()
    if column in _LABEL_ALIASES:
        return _LABEL_ALIASES[column].get(text, text)
    if column == "restrict_med_types":
        return [part for part in _MED_TYPE_SPLIT.split(text) if part]
    if column in NULLABLE_NUMBER_COLUMNS:
        if text == "":
            return None
        if column in INTEGER_COLUMNS and (match := _INTEGRAL_FLOAT.match(text)):
            return match.group(1)  # Excel hands whole numbers over as "14.0"
    return text


def _validate_row(values: dict, effective_from: datetime.date) -> tuple[CatalogItem, dict[str, list[str]]]:
    item = CatalogItem(effective_from=effective_from, **{c: _normalise(c, values.get(c, "")) for c in COLUMNS})
    try:
        item.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return item, exc.message_dict
    return item, {}


def _check_columns(frame: pd.DataFrame, report: ImportReport) -> None:
    names = [str(c).strip().lower() for c in frame.columns]
    frame.columns = names
    for column in REQUIRED_COLUMNS:
        if column not in names:
            report.add(1, column, "缺少必需的列。")
    for column in names:
        if column not in COLUMNS:
            report.add(1, column, f"未知的列；允许的列: {', '.join(COLUMNS)}。")


def _existing_versions(codes: set[str], effective_from: datetime.date):
    """Versions of these codes still in force on or after effective_from."""
    still_open = CatalogItem.objects.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=effective_from))
    for pk, code, start in still_open.values_list("pk", "med_list_codg", "effective_from").iterator():
        if code in codes:
            yield pk, code, start


def import_catalog(file_or_path, *, effective_from, fmt: str | None = None) -> ImportReport:
    """Read a CSV/XLSX catalog file and create its items effective from a date, all or nothing."""
    report = ImportReport()
    if isinstance(effective_from, str):
        effective_from = datetime.date.fromisoformat(effective_from)
    fmt = (fmt or Path(_source_name(file_or_path)).suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        report.add(None, "", f"不支持的文件格式“{fmt}”，请上传CSV或XLSX文件。")
        return report
    try:
        frame = _read_frame(_read_bytes(file_or_path), fmt)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's fault, reported as such
        report.add(None, "", f"无法读取文件: {exc}")
        return report
    _check_columns(frame, report)
    if report.errors:
        return report

    items: list[CatalogItem] = []
    first_row_of: dict[str, int] = {}
    for index, values in enumerate(frame.to_dict("records")):
        row = index + 2
        if all(str(v).strip() == "" for v in values.values()):
            continue
        report.rows += 1
        item, errors = _validate_row(values, effective_from)
        for column, messages in errors.items():
            for message in messages:
                report.add(row, "" if column == NON_FIELD_ERRORS else column, message)
        code = item.med_list_codg
        if code and code in first_row_of:
            report.add(row, "med_list_codg", f"编码与第{first_row_of[code]}行重复。")
        elif code:
            first_row_of[code] = row
        items.append(item)
    if report.rows == 0:
        report.add(None, "", "文件中没有数据行。")

    to_close = []
    for pk, code, start in _existing_versions(set(first_row_of), effective_from):
        if start >= effective_from:
            report.add(first_row_of[code], "med_list_codg", f"目录中已有该编码自{start}起生效的版本。")
        else:
            to_close.append(pk)
    if report.errors:
        return report

    with transaction.atomic():
        day_before = effective_from - datetime.timedelta(days=1)
        for start in range(0, len(to_close), BATCH_SIZE):
            chunk = to_close[start : start + BATCH_SIZE]
            report.closed += CatalogItem.objects.filter(pk__in=chunk).update(effective_to=day_before)
        report.created = len(CatalogItem.objects.bulk_create(items, batch_size=BATCH_SIZE))
    return report
