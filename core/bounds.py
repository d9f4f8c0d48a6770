"""Bounds at the edge: the one place that says which dates, amounts, quantities, texts and codes the platform
accepts from outside (the API's serializers, bulk files, the admin's model clean()).

A value outside these bounds would be stored and later stop the night (a date pandas cannot hold, an amount
wider than its column or the engine's int64 fen) or be read wrongly (a control character in a code). Each check
raises django's ValidationError with a machine-readable code (DRF turns it into the API's {"errors": [...]},
model clean() into a form error, the bulk reader into a row of its report).

The policy-aware checks (a visit's dates within a pack in force, its med_type among the pack's) take the pack
the caller looked up (policy_rules.services.policy_in_force): core depends on no app.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# the engine carries money and scaled quantities as int64; 2**62 is its "no upper bound" (engine.money.UNBOUNDED)
ENGINE_INT_MAX = 2**62 - 1
# C0 and C1 control characters (NUL, tab, CR, LF, ESC, DEL, ...)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# free text may break lines; nothing else
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def date_window() -> tuple[dt.date, dt.date]:
    return settings.CLAIMS_DATE_MIN, settings.CLAIMS_DATE_MAX


def _local_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            return value.date()
        try:
            return timezone.localtime(value).date()
        except (OverflowError, ValueError):  # 9999-12-31T23:59-12:00 has no local date
            return dt.date.max if value.year > 1 else dt.date.min
    return value


def check_date(value: dt.date | dt.datetime | None) -> None:
    """A date or time (its local date) within [CLAIMS_DATE_MIN, CLAIMS_DATE_MAX]."""
    if value is None:
        return
    lo, hi = date_window()
    if not lo <= _local_date(value) <= hi:
        raise ValidationError(_("日期须在 %(lo)s 至 %(hi)s 之间。") % {"lo": lo, "hi": hi}, code="date_out_of_range")


def decimal_limits(field) -> tuple[int, int]:
    """(max_digits, decimal_places) of a DecimalField (a model's or a serializer's)."""
    return field.max_digits, field.decimal_places


def check_decimal(value: Decimal | None, field) -> None:
    """A finite Decimal that fits the column of `field` (its max_digits and decimal_places) and the engine's
    integer range once scaled to its places (fen for amounts, 10^-4 for quantities and prices)."""
    if value is None:
        return
    max_digits, places = decimal_limits(field)
    if not value.is_finite():
        raise ValidationError(_("不是有效的数。"), code="invalid")
    whole_digits = value.adjusted() + 1 if value and abs(value) >= 1 else 0
    if whole_digits > max_digits - places or abs(value).scaleb(places) > ENGINE_INT_MAX:
        limit = Decimal(10) ** (max_digits - places) - Decimal(1).scaleb(-places)
        raise ValidationError(_("超出范围：绝对值不能超过 %(max)s。") % {"max": limit}, code="out_of_range")
    if value.as_tuple().exponent < -places and value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError(_("最多 %(n)d 位小数。") % {"n": places}, code="too_many_decimals")


def check_code(value: str | None) -> None:
    """A code or identifier (feedetl_sn, med_list_codg, psn_no, ...): no control character at all."""
    if value and _CONTROL.search(value):
        raise ValidationError(_("不能包含控制字符。"), code="control_character")


def check_text(value: str | None) -> None:
    """Free text (a reason, a name): line breaks allowed, no other control character."""
    if value and _CONTROL_IN_TEXT.search(value):
        raise ValidationError(_("不能包含控制字符。"), code="control_character")


# --- vocabularies of a policy pack (policy-pack.md) ----------------------------------------------------------

def pack_med_types(document: dict) -> set[str]:
    """The med_type codes a pack defines: its benefits' and those its other funds name."""
    out = {str(b.get("med_type")) for b in document.get("benefits") or () if b.get("med_type") is not None}
    for section in ("critical_illness", "medical_assistance", "personal_account", "civil_servant", "veterans",
                    "chronic"):
        out.update(str(m) for m in (document.get(section) or {}).get("med_types") or ())
    out.update(maternity_med_types(document, "delivery") | maternity_med_types(document, "prenatal"))
    return out


def maternity_med_types(document: dict, kind: str) -> set[str]:
    """The med_types of a pack's maternity layer of this kind ("delivery" or "prenatal"; docs/benefit-layers.md)."""
    med_types = (document.get("maternity") or {}).get("med_types") or {}
    if not isinstance(med_types, dict):
        return set()
    return {str(m) for m in med_types.get(kind) or ()}


# 生育类别 (docs/benefit-layers.md "Codes used"): the kinds of delivery the national dictionary names
MATN_TYPES = ("1", "2", "3", "4", "5")


def check_matn_type(med_type: str, matn_type: str, pack, *, required: bool) -> None:
    """A delivery's kind: one of MATN_TYPES, given only for a delivery visit of the pack's maternity layer, and
    (required: at discharge) given for every such visit."""
    delivery = maternity_med_types(pack.document or {}, "delivery") if pack is not None else set()
    if matn_type and matn_type not in MATN_TYPES:
        raise ValidationError(_("生育类别 %(code)s 无效（可选 %(known)s）。")
                              % {"code": matn_type, "known": ", ".join(MATN_TYPES)}, code="invalid_choice")
    if matn_type and med_type not in delivery:
        raise ValidationError(_("只有生育住院就诊可填写生育类别。"), code="not_allowed")
    if required and not matn_type and med_type in delivery:
        raise ValidationError(_("生育住院就诊须填写生育类别。"), code="required")


def check_in_pack(pack, when: dt.date | dt.datetime, *, region: str) -> None:
    """`pack` is the version in force for the region on `when` (policy_in_force), None when there is none."""
    if pack is None:
        raise ValidationError(_("统筹区 %(region)s 在 %(day)s 没有生效的政策包。")
                              % {"region": region or "-", "day": _local_date(when)}, code="no_policy")


def check_med_type(med_type: str, pack) -> None:
    """The visit's med_type is one the pack in force defines (an unknown code is refused, not settled as
    NO_BENEFIT)."""
    known = pack_med_types(pack.document or {})
    if med_type not in known:
        raise ValidationError(_("医疗类别 %(code)s 不在政策包 %(pack)s 的医疗类别中(%(known)s)。")
                              % {"code": med_type, "pack": pack.code, "known": ", ".join(sorted(known))},
                              code="unknown_med_type")
