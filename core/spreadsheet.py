"""Cells of the CSV and XLSX files the platform writes, made inert (CSV/formula injection).

A spreadsheet program runs a cell that begins with = + - @ (or a tab or carriage return before one) as a
formula: a feedetl_sn of `=1+cmd|' /C calc'!A0` sent in an upload would run on the caseworker's machine when
the error report is opened. Such a text is written with a leading apostrophe (OWASP's advice); numbers,
dates and every other value are written as they are. Every writer of CSV or XLSX cells goes through here.
"""
from __future__ import annotations

from collections.abc import Iterable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value, with a text that a spreadsheet would take for a formula quoted by a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    return [safe_cell(v) for v in values]
