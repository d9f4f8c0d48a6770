"""Validators for identity and code fields shared by the domain apps.

The resident identity number (公民身份号码) follows GB 11643-1999: 6 digits of administrative
division, 8 digits of birth date (YYYYMMDD), 3 digits of sequence (odd = male, even = female) and
one check character computed with ISO 7064 MOD 11-2.
"""
import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

CERTNO_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CERTNO_CHECK_CHARS = "10X98765432"
_CERTNO_RE = re.compile(r"^\d{17}[\dX]$")
_EARLIEST_BIRTH = datetime.date(1800, 1, 1)


def certno_check_digit(first17: str) -> str:
    """Check character (0-9 or X) for the first 17 digits of an identity number."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("first17 must be exactly 17 decimal digits")
    total = sum(int(ch) * w for ch, w in zip(first17, CERTNO_WEIGHTS, strict=True))
    return CERTNO_CHECK_CHARS[total % 11]


def normalize_certno(value: str) -> str:
    """Strip surrounding blanks and upper-case a trailing x."""
    return (value or "").strip().upper()


def certno_birth_date(certno: str) -> datetime.date | None:
    """Birth date encoded in an 18-character identity number, or None when it is not a date."""
    try:
        return datetime.datetime.strptime(certno[6:14], "%Y%m%d").date()
    except ValueError:
        return None


def certno_gender(certno: str) -> str:
    """"1" (male) when the sequence digit is odd, "2" (female) when it is even."""
    return "1" if int(certno[16]) % 2 else "2"


def validate_certno(value: str) -> None:
    """Django validator for an 18-character identity number; a lower-case x is accepted."""
    certno = normalize_certno(value)
    if len(certno) != 18:
        raise ValidationError(_("身份证号码应为18位。"), code="certno_length")
    if not _CERTNO_RE.match(certno):
        raise ValidationError(_("身份证号码前17位应为数字，最后一位为数字或X。"), code="certno_format")
    birth = certno_birth_date(certno)
    if birth is None or not (_EARLIEST_BIRTH <= birth <= datetime.date.today()):
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="certno_birth_date")
    if certno_check_digit(certno[:17]) != certno[17]:
        raise ValidationError(_("身份证号码校验位错误。"), code="certno_check_digit")


validate_fixmedins_code = RegexValidator(
    r"^H\d{11}$", _("定点医药机构编码应为H加11位数字。"), code="fixmedins_code"
)
validate_region_code = RegexValidator(r"^\d{6}$", _("统筹区编码应为6位数字。"), code="region")
validate_year_month = RegexValidator(
    r"^\d{4}-(0[1-9]|1[0-2])$", _("应为YYYY-MM格式的年月，例如2026-03。"), code="year_month"
)
validate_med_type = RegexValidator(r"^\d{2,4}$", _("医疗类别应为2至4位数字代码。"), code="med_type")


def mask_certno(certno: str | None) -> str:
    """410802********1234: enough to recognise a person, not enough to impersonate them."""
    if not certno:
        return ""
    return certno[:6] + "*" * (len(certno) - 10) + certno[-4:] if len(certno) > 10 else "*" * len(certno)
