"""A logging filter that masks personal numbers in every message: 18-character resident ID numbers (身份证号) and
11-digit mainland mobile numbers, wherever they appear (a URL, an exception, a record's arguments).

Pure text work, no Django: the logging configuration loads it before the apps are ready."""
from __future__ import annotations

import logging
import re

# 17 digits and a digit or X, not inside a longer run of digits: 110105199001011234 -> 110105********1234
CERTNO = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
# 1[3-9] and nine digits, not inside a longer run: 13812345678 -> 138****5678
MOBILE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d)\d{4}(\d{4})(?![0-9A-Za-z])")


def mask_personal_data(text: str) -> str:
    """The text with ID numbers kept to their first six and last four characters and mobile numbers to their
    first three and last four digits (the masking the API's answers use for certno)."""
    return MOBILE.sub(r"\1****\2", CERTNO.sub(r"\1********\2", text))


class MaskPersonalData(logging.Filter):
    """Rewrites the record's message (with its arguments merged) and any formatted traceback, masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's to report, not this filter's
            return True
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        return True
