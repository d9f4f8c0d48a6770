"""Cells of the CSV and XLSX files the platform writes, made inert (CSV/formula injection).

A spreadsheet program runs a cell that begins with = + - @ (or a tab or carriage return before one) as a
formula: a feedetl_sn of `=1+cmd|' /C calc'!A0` sent in an upload would run on the caseworker's machine when
the error report is opened. Such a text is written with a leading apostrophe (OWASP's advice); numbers,
dates and every other value are written as they are. Every writer of CSV or XLSX cells goes through here.
"""
from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.styles import Font

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value, with a text that a spreadsheet would take for a formula quoted by a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    return [safe_cell(v) for v in values]


# --- XLSX (openpyxl) -------------------------------------------------------------------------------------

MONEY_FORMAT = "#,##0.00"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def finish_sheet(sheet, money_columns: Iterable[int] = ()) -> None:
    """The house style of a data sheet whose first row is the header: the header bold and frozen, and the
    given columns (1-based) shown as money — numbers with two decimals and thousands separators."""
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for col in money_columns:
        for row in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
            for cell in row:
                cell.number_format = MONEY_FORMAT


def workbook_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
