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
from types import SimpleNamespace

from rest_framework import serializers as drf

from claims.api import serializers as s
from claims.api.plain import plain_plan
from claims.models import Settlement, SettlementLine
from core.prepared import Prepared

# the setlinfo fields read from the row as themselves; other types are not planned
_PLAIN_TYPES = (drf.CharField, drf.DecimalField, drf.DateTimeField)
# the method fields the plan reads as a lookup (SetlinfoSerializer.get_reversed_by: the reversal's setl_id or None)
_METHOD_LOOKUPS = {"reversed_by": "reversal__setl_id"}


def settlement_queryset():
    """The settlements with what SettlementResultSerializer reads (the settlements' list and retrieve)."""
    return (Settlement.objects.select_related("visit", "person", "institution", "policy_version", "reverses",
                                              "reversal")
            .prefetch_related("lines", "reverses__lines"))


class _Plan:
    """What settlement_answer reads and how it formats it, from the serializers' fields."""

    def __init__(self):
        self.setlinfo_serializer = s.SetlinfoSerializer()
        columns = [f.attname for f in Settlement._meta.concrete_fields]
        self.setlinfo = []  # (name, lookup, format); lookup None: the serializer's method with the row
        for field in self.setlinfo_serializer._readable_fields:
            name = field.field_name
            if isinstance(field, drf.SerializerMethodField):
                lookup = _METHOD_LOOKUPS.get(name)
                fmt = str if lookup else getattr(self.setlinfo_serializer, field.method_name)
            elif type(field) in _PLAIN_TYPES:
                lookup, fmt = "__".join(field.source_attrs), field.to_representation
            else:
                raise TypeError(f"setlinfo field {name} ({type(field).__name__}) is not planned")
            if lookup is not None and lookup not in columns:
                columns.append(lookup)
            self.setlinfo.append((name, lookup, fmt))
        self.columns = columns
        self.line_fields = list(s.SettlementLineSerializer()._readable_fields)
        if plain_plan(self.line_fields) is None:
            raise TypeError("the settlement lines' fields are not plain")
        sources = [f.source_attrs[0] for f in self.line_fields]
        self.row = Prepared(Settlement, lambda pk: Settlement.objects.filter(pk=pk).order_by()
                            .values_list(*columns))
        self.lines = Prepared(SettlementLine, lambda pk: SettlementLine.objects.filter(settlement_id=pk)
                              .order_by("feedetl_sn").values_list(*sources))


@functools.cache
def plan() -> _Plan | None:
    """The process's plan, or None when the serializers have a field it cannot read."""
    try:
        return _Plan()
    except TypeError:
        return None


def settlement_answer(pk: int) -> dict:
    """SettlementResultSerializer's answer for the settlement with this primary key."""
    p = plan()
    if p is None:
        return s.SettlementResultSerializer(settlement_queryset().get(pk=pk)).data
    (row,) = p.row(pk)
    values = dict(zip(p.columns, row, strict=True))
    settlement = SimpleNamespace(**values)
    setlinfo = {}
    for name, lookup, fmt in p.setlinfo:
        if lookup is None:
            setlinfo[name] = fmt(settlement)
        else:
            value = values[lookup]
            setlinfo[name] = None if value is None else fmt(value)
    line_plan = plain_plan(p.line_fields)  # new formatters for each answer (they keep the values they formatted)
    detail = [{name: None if value is None else fmt(value) for (name, _source, fmt), value in zip(line_plan, line,
                                                                                                  strict=True)}
              for line in p.lines(values["reverses_id"] or pk)]
    return {"setlinfo": setlinfo, "setldetail": s.with_reason_desc(detail)}
