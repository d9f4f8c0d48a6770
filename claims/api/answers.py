"""The answer of the settle and cancel requests (结算 2304/2207, 撤销 2305/2208), from two reads compiled once.

SettlementResultSerializer defines the answer: the schema and the settlements' list and retrieve use it. The settle
and cancel verbs answer with the one settlement they have just written. Through the serializer that took a read of
the settlement with six related rows (compiled by Django on every request), 100 SettlementLine instances, and the
serializers' fields built anew for each answer (DRF deep-copies a serializer's declared fields; a ModelSerializer
builds its fields from the model): about half of what a settle request cost outside `settle_visit`
(docs/benchmarks.md, "Sixth round: the request around the settlement").

`settlement_answer` gives the serializer's dict from:
- the settlement's row: its columns and the related values its setlinfo fields name (their sources as lookups),
  one `values_list` read compiled once (core.prepared);
- the lines of the settlement (of the settlement a reversal reverses, as the serializer answers), in the order
  `lines.all()` gives for one settlement (SettlementLine's ordering: settlement, then feedetl_sn), one read
  compiled once;
- the setlinfo fields' own `to_representation`, the serializer's method for the co-payment, and the lines' plain
  plan (claims.api.plain), all from the serializers' fields, built once per process.

A field the plan cannot read (a new method field, a nested serializer, another field type) makes the answer come
from the serializer. tests/api/test_settlement_answer.py checks that the plan covers the answer and that it gives
the serializer's dict for a settlement, a cancelled settlement and its reversal.
"""
from __future__ import annotations

import functools
from decimal import Decimal
from types import SimpleNamespace

from rest_framework import serializers as drf

from claims.api import serializers as s
from claims.api.plain import decimal_column, decimal_text, plain_decimal, plain_plan
from claims.models import Settlement, SettlementLine, Visit
from claims.selectors import line_reason_label
from core.prepared import Prepared

# the setlinfo fields read from the row as themselves; other types are not planned
_PLAIN_TYPES = (drf.CharField, drf.DecimalField, drf.DateTimeField)
# the method fields the plan reads as a lookup (SetlinfoSerializer.get_reversed_by: the reversal's setl_id or None)
_METHOD_LOOKUPS = {"reversed_by": "reversal__setl_id"}
# VisitSerializer's field types read from the row as themselves (visit_answer)
_VISIT_TYPES = (drf.CharField, drf.ChoiceField, drf.DateTimeField, drf.ListField)
# the line fields whose to_representation is this builtin of the value (rest_framework.fields)
_BUILTIN_FORMATS = {drf.CharField: str, drf.IntegerField: int}
# the value types whose (type, str) names one value for every format of the plan: str and int exactly; a Decimal's
# str keeps its sign, digits and exponent, so two Decimals of one str quantize alike (-0.00 and 0.00 do not share)
_KEYED_TYPES = frozenset({str, int, Decimal, type(None)})


def settlement_queryset():
    """The settlements with what SettlementResultSerializer reads (the settlements' list and retrieve)."""
    return (Settlement.objects.select_related("visit", "person", "institution", "policy_version", "reverses",
                                              "reversal")
            .prefetch_related("lines", "reverses__lines"))


class _Plan:
    """What settlement_answer reads and how it formats it, from the serializers' fields."""

    def __init__(self):
        self.setlinfo_serializer = s.SetlinfoSerializer()
        self.columns, self.setlinfo = _row_plan(self.setlinfo_serializer, Settlement, _PLAIN_TYPES, _METHOD_LOOKUPS)
        columns = self.columns
        self.line_fields = list(s.SettlementLineSerializer()._readable_fields)
        if plain_plan(self.line_fields) is None:
            raise TypeError("the settlement lines' fields are not plain")
        sources = [f.source_attrs[0] for f in self.line_fields]
        self.row = Prepared(Settlement, lambda pk: Settlement.objects.filter(pk=pk).order_by()
                            .values_list(*columns))
        self.lines = Prepared(SettlementLine, lambda pk: SettlementLine.objects.filter(settlement_id=pk)
                              .order_by("feedetl_sn").values_list(*sources))


def _row_plan(serializer, model, types, method_lookups) -> tuple[list[str], list[tuple]]:
    """(columns, fields) to read one row of the model with and format it as the serializer does: the model's
    concrete columns and the lookups its fields name (their sources), and (name, lookup, format) for each readable
    field, lookup None for a method field the serializer's method formats from the whole row. A field of another
    type than these is not planned (TypeError)."""
    columns = [f.attname for f in model._meta.concrete_fields]
    fields = []
    for field in serializer._readable_fields:
        name = field.field_name
        if isinstance(field, drf.SerializerMethodField):
            lookup = method_lookups.get(name)
            fmt = str if lookup else getattr(serializer, field.method_name)
        elif type(field) in types:
            # a plain DecimalField's representation in one call (DRF's takes nine: the settle answer's 20 amounts)
            lookup = "__".join(field.source_attrs)
            fmt = decimal_text(field) if plain_decimal(field) else field.to_representation
        else:
            raise TypeError(f"{type(serializer).__name__} field {name} ({type(field).__name__}) is not planned")
        if lookup is not None and lookup not in columns:
            columns.append(lookup)
        fields.append((name, lookup, fmt))
    return columns, fields


def _formatted(fields, values: dict, row) -> dict:
    """The serializer's dict of one row: each field's format of its value (None stays None), a method field's
    method of the row."""
    out = {}
    for name, lookup, fmt in fields:
        if lookup is None:
            out[name] = fmt(row)
        else:
            value = values[lookup]
            out[name] = None if value is None else fmt(value)
    return out


def _built(plan_class):
    """A plan of the process, or None when its serializers have a field it cannot read (TypeError)."""
    try:
        return plan_class()
    except TypeError:
        return None


@functools.cache
def plan() -> _Plan | None:
    """The process's settlement plan, or None when the serializers have a field it cannot read."""
    return _built(_Plan)


def settlement_answer(pk: int) -> dict:
    """SettlementResultSerializer's answer for the settlement with this primary key."""
    p = plan()
    if p is None:
        return s.SettlementResultSerializer(settlement_queryset().get(pk=pk)).data
    (row,) = p.row(pk)
    values = dict(zip(p.columns, row, strict=True))
    setlinfo = _formatted(p.setlinfo, values, SimpleNamespace(**values))
    line_plan = plain_plan(p.line_fields)  # new formatters for each answer (they keep the values they formatted)
    lines = p.lines(values["reverses_id"] or pk)
    return {"setlinfo": setlinfo, "setldetail": _line_dicts(p.line_fields, line_plan, lines)}


def _line_dicts(line_fields, line_plan, rows) -> list[dict]:
    """The lines' dicts as the plain plan and with_reason_desc give them, formatted a column at a time: a column
    without None by map (_column), each distinct value of another column (the lines share a few levels and
    reasons) formatted once, and the dicts built by map and zip: the Python calls per answer are per column and
    distinct value, not per value (540 format calls for 600 values, and 100 dict comprehensions, before:
    docs/benchmarks.md, "The settle answer by columns")."""
    if not rows:
        return []
    names = [name for name, _source, _fmt in line_plan]
    columns = [_column(field, fmt, column) for field, (_name, _source, fmt), column
               in zip(line_fields, line_plan, zip(*rows, strict=True), strict=True)]
    names.append("reason_desc")  # with_reason_desc: the reason in words next to its code, last
    columns.append(_format_column(line_reason_label, columns[names.index("reason")], none=False))
    return list(map(dict, map(functools.partial(zip, names, strict=True),
                              zip(*columns, strict=True))))


def _column(field, fmt, column) -> list:
    """The plain plan's fmt of each value of one line field's column (None stays None): without a Python call per
    value when the column has no None: a DecimalField's by decimal_column, a CharField's and an IntegerField's by
    the builtin their to_representation calls (DRF: `str(value)`, `int(value)`); otherwise _format_column."""
    kind, types = type(field), set(map(type, column))  # (not `None in column`: Decimal == None asks abc)
    if kind is drf.DecimalField and types == {Decimal}:
        return decimal_column(field, column)
    builtin = _BUILTIN_FORMATS.get(kind)
    if builtin is not None and type(None) not in types:
        return list(map(builtin, column))
    return _format_column(fmt, column)


def _format_column(fmt, column, none: bool = True) -> list:
    """fmt of each value of the column (None stays None when none), each distinct value formatted once; distinct by
    type and str for the types that str names exactly (_KEYED_TYPES), otherwise each value by itself."""
    if not set(map(type, column)) <= _KEYED_TYPES:
        return [None if value is None and none else fmt(value) for value in column]
    keys = list(zip(map(type, column), map(str, column), strict=True))
    distinct = dict(zip(keys, column, strict=True))
    texts = {key: None if value is None and none else fmt(value) for key, value in distinct.items()}
    return list(map(texts.__getitem__, keys))


# --- the visit's answer ---------------------------------------------------------------------------------------

class _VisitPlan:
    """What visit_answer reads and how it formats it, from VisitSerializer's fields: the visit's row with its
    person's and institution's values (one read compiled once, by pk or by the institution and mdtrt_id), and its
    settlements, read as the serializer's prefetch reads them, for its setl_id method."""

    def __init__(self):
        self.serializer = s.VisitSerializer()
        self.columns, self.fields = _row_plan(self.serializer, Visit, _VISIT_TYPES, {})
        columns = self.columns
        self.by_pk = Prepared(Visit, lambda pk: Visit.objects.filter(pk=pk).order_by().values_list(*columns))
        self.by_mdtrt_id = Prepared(Visit, lambda institution_id, mdtrt_id: Visit.objects.filter(
            institution_id=institution_id, mdtrt_id=mdtrt_id).order_by().values_list(*columns))
        self.settlements = Prepared(Settlement, lambda pk: Settlement.objects.filter(visit_id=pk))


@functools.cache
def visit_plan() -> _VisitPlan | None:
    """The process's visit plan, or None when VisitSerializer has a field it cannot read."""
    return _built(_VisitPlan)


def _visit_queryset():
    """The visits with what VisitSerializer reads (the answer without a plan)."""
    return Visit.objects.select_related("person", "institution").prefetch_related("settlements")


def visit_answer(pk: int) -> dict:
    """VisitSerializer's answer for the visit with this primary key (register and discharge answer with it)."""
    p = visit_plan()
    if p is None:
        return s.VisitSerializer(_visit_queryset().get(pk=pk)).data
    return _visit_dict(p, p.by_pk(pk)[0])


def institution_visit_answer(institution_id: int, mdtrt_id: str) -> dict | None:
    """VisitSerializer's answer for the institution's visit with this mdtrt_id, or None when it has none."""
    p = visit_plan()
    if p is None:
        found = _visit_queryset().filter(institution_id=institution_id, mdtrt_id=mdtrt_id).first()
        return None if found is None else s.VisitSerializer(found).data
    rows = p.by_mdtrt_id(institution_id, mdtrt_id)
    return _visit_dict(p, rows[0]) if rows else None


def _visit_dict(p: _VisitPlan, row) -> dict:
    values = dict(zip(p.columns, row, strict=True))
    settlements = p.settlements(values[Visit._meta.pk.attname])
    visit = SimpleNamespace(**values, settlements=SimpleNamespace(all=lambda: settlements))
    return _formatted(p.fields, values, visit)
