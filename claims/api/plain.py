"""Plain rows: answers of many rows without DRF's per-field machinery, with the output of the declared fields.

Moved out of claims.api.serializers (unchanged in what it does) so that the settle answer (claims.api.answers)
formats its lines with the same plan as the serializers of many rows."""
from __future__ import annotations

import decimal
from decimal import Decimal
from itertools import repeat

from rest_framework import serializers


def plain_plan(fields) -> list[tuple] | None:
    """(name, source, format) for each of these readable fields, or None when one of them is not plain: a
    CharField, an IntegerField or a DecimalField that answers a string (coerce_to_string, not localized, not
    normalized), each with a plain source (one attribute or key). A DecimalField's format is new on each call
    (decimal_formatter), so a plan serves one answer."""
    plan = []
    for field in fields:
        if len(field.source_attrs) != 1:
            return None
        if type(field) in (serializers.CharField, serializers.IntegerField):
            fmt = field.to_representation
        elif plain_decimal(field):
            fmt = decimal_formatter(field)
        else:
            return None
        plan.append((field.field_name, field.source_attrs[0], fmt))
    return plan


class PlainRowsMixin:
    """to_representation without DRF's per-field machinery, for serializers of many plain rows (an
    upload answers with up to 10,000 lines): the same output as the declared fields give.

    Used only when every readable field is plain (plain_plan); otherwise, and for a row lacking a field, DRF's
    own to_representation runs."""

    def _plain_plan(self):
        try:
            return self.__dict__["_plain_plan_cache"]
        except KeyError:
            pass
        plan = plain_plan(self._readable_fields)
        self.__dict__["_plain_plan_cache"] = plan
        return plan

    def to_representation(self, instance):
        plan = self._plain_plan()
        if plan is None:
            return super().to_representation(instance)
        ret = {}
        try:
            if isinstance(instance, dict):
                for name, source, fmt in plan:
                    value = instance[source]
                    ret[name] = None if value is None else fmt(value)
            else:
                for name, source, fmt in plan:
                    value = getattr(instance, source)
                    if callable(value):
                        return super().to_representation(instance)
                    ret[name] = None if value is None else fmt(value)
        except (KeyError, AttributeError):
            return super().to_representation(instance)
        return ret


def plain_decimal(field) -> bool:
    """A DecimalField that answers a string of its decimal places (coerce_to_string, not localized, not
    normalized): decimal_text and decimal_formatter give its to_representation."""
    return (type(field) is serializers.DecimalField and field.coerce_to_string and not field.localize
            and not field.normalize_output and field.decimal_places is not None)


def decimal_quantize_args(field: serializers.DecimalField) -> tuple:
    """The quantum, rounding and context with which DecimalField.quantize quantizes a value, computed once."""
    context = decimal.getcontext().copy()
    if field.max_digits is not None:
        context.prec = field.max_digits
    return Decimal(".1") ** field.decimal_places, field.rounding, context


def decimal_column(field: serializers.DecimalField, column) -> list[str]:
    """The plain DecimalField's representation (decimal_formatter's) of each of these Decimals (None not
    among them), by map: no Python call per value."""
    quantum, rounding, context = decimal_quantize_args(field)
    quantized = map(Decimal.quantize, column, repeat(quantum), repeat(rounding), repeat(context))
    return list(map(format, quantized, repeat("f")))


def decimal_formatter(field: serializers.DecimalField):
    """DecimalField.to_representation for a non-None value, its quantum and context computed once (per
    serializer instance, i.e. per answer) instead of once per value."""
    text = decimal_text(field)
    # the rows share their Decimal objects (the same amount on many lines): each object formatted once;
    # the cache holds the object, so that its id is not reused while the entry exists
    done: dict[int, tuple] = {}

    def fmt(value):
        hit = done.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        formatted = text(value)
        done[id(value)] = (value, formatted)
        return formatted

    return fmt


def decimal_text(field: serializers.DecimalField):
    """The plain DecimalField's to_representation of a non-None value, its quantum and context computed once,
    without a cache: it may serve many answers (the settle answer's setlinfo plan, built once per process)."""
    quantum, rounding, context = decimal_quantize_args(field)

    def text(value):
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        return f"{number.quantize(quantum, rounding=rounding, context=context):f}"

    return text
