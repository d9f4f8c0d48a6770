"""Read querysets compiled once per shape: the counter's reads without Django's query compilation.

Building and compiling a queryset (`filter`, joins, `as_sql`) costs Django 0.3–0.8 ms of CPU on every request,
for the same SQL each time with other values in it. A `Prepared` read is a function of its values that builds a
queryset of model instances or of `values_list` tuples. The first call of each shape (the types of the values and the lengths of the lists among
them) builds it with stand-in values of the same types, compiles it, finds where each stand-in went among the
statement's parameters and keeps the SQL, those places and the compiler. Every later call of that shape puts its
own values in those places and executes the kept SQL through Django's cursor; the rows go through the kept
compiler's converters and become tuples or instances (with their select_related rows) as Django's iterables
make them.

So a read gives exactly what its queryset gives, or is run as that queryset:
- a shape whose stand-ins cannot all be found once each among the parameters (a value Django changes on the
  way, or writes into the SQL itself, or a value the queryset uses twice) is never kept: each call of it runs
  the queryset;
- so is a shape with an empty list (Django answers it without a statement) or a value of another type;
- a locking read (`select_for_update`) outside a transaction runs the queryset, which raises as it always does.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.db import connections, router
from django.db.models.query import ModelIterable, QuerySet, ValuesListIterable, get_related_populators

from core import statements

_STAND_IN_BASE = -31_000  # within every integer column's range (Django leaves out out-of-range values)
# what is kept is bounded: shapes of up to MAX_VALUES values (a list's elements counted one by one), and up to
# MAX_SHAPES of them per read; a larger request (an upload of thousands of lines) compiles as before, its SQL
# being small beside its work, and is not kept
MAX_VALUES = 128
MAX_SHAPES = 256


_UNSEEN = object()  # a shape not compiled (yet)
_BY_LENGTH = object()  # an array shape whose lists stay IN lists: kept per length (_shape)
_TOKEN = re.compile(r"%%|%s")
# the list elements psycopg2 writes as an array of one SQL type (ARRAY[1, 2], ARRAY['a', 'b'])
_ARRAY_TYPES = (int, str)
# a list of more elements is one array parameter (PostgreSQL: one statement for all such lengths); a shorter one
# is an IN list, kept per length: the planner estimates `IN ($1)` as an equality and prepares it once, while it
# estimates `= ANY($1)` as ten values and plans it anew each time
ARRAY_FROM = 8

# the field types whose column fold reads as an array (array_agg) and the driver parses element by element into the
# values it gives for the column itself (psycopg2's array casters of text, integers, numeric, bool, date,
# timestamptz; jsonb[] as text, as Django registers jsonb)
_FOLDABLE_INTERNAL = frozenset({
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "ForeignKey", "OneToOneField",
    "CharField", "TextField", "SlugField", "EmailField", "DecimalField", "BooleanField", "DateField",
    "DateTimeField", "JSONField",
})


class _Compiled:
    __slots__ = ("arrays", "compiler", "converters", "foldable", "instances", "locks", "slots", "sql", "template")

    def __init__(self, sql: str, template: list, slots: list[int], compiler, locks: bool, instances: bool,
                 arrays: bool = False):
        self.sql, self.template, self.slots, self.compiler, self.locks = sql, template, slots, compiler, locks
        # arrays: the long lists among the values are one parameter each (`= ANY(%s)`, one slot for the value);
        # the others are a slot per element (`IN (%s, %s, ...)`)
        self.instances, self.arrays = instances, arrays
        # the columns' converters (the compiler's get_converters), found on the first result (_rows_converted)
        self.converters = None
        # whether fold may read it as arrays of its columns: every column of a type whose array the driver
        # gives back element by element as it gives the column itself
        self.foldable = not locks and compiler.col_count == len(compiler.select) and all(
            expression.output_field.get_internal_type() in _FOLDABLE_INTERNAL
            for expression, _sql, _alias in compiler.select)


def _stand_in(value, k: int):
    """A value of value's type that no query holds by itself, numbered k."""
    kind = type(value)
    if kind is int:
        return _STAND_IN_BASE - k
    if kind is str:
        return f"\x1fprepared-{k}\x1f"
    if kind is dt.datetime:
        return dt.datetime(2, 1, 1, tzinfo=value.tzinfo) + dt.timedelta(seconds=k)
    if kind is dt.date:
        return dt.date(2, 1, 1) + dt.timedelta(days=k)
    return None


def _array_shape(values: tuple) -> tuple | None:
    """The shape of these values whatever the lengths of their long lists (over ARRAY_FROM elements, as a visit's
    catalog codes): such a list as ("ANY", its elements' one type), for a read whose long lists all become arrays
    (_as_arrays); a short list as in _shape (an IN list is planned as well as an equality, an array is not). None
    when no list is long, or a long one is mixed or of another type."""
    shape, long = [], False
    for value in values:
        if isinstance(value, list | tuple | set | frozenset) and len(value) > ARRAY_FROM:
            kinds = {type(v) for v in value}
            if len(kinds) != 1 or next(iter(kinds)) not in _ARRAY_TYPES:
                return None
            shape.append(("ANY", kinds.pop()))
            long = True
        else:
            one = _shape((value,))
            if one is None:
                return None
            shape.append(one[0])
    return tuple(shape) if long else None


def _as_arrays(sql: str, params: list, lists: list[list[list[int]]]) -> tuple[str, list, list[int]] | None:
    """The statement with each list's `IN (%s, ..., %s)` as `= ANY(%s)` (the same rows, NULLs alike), so that one
    statement serves every length: (its SQL, its parameters with None where a list goes, and for each parameter of
    the old statement its place in the new one, or -1 for a list's other elements). `lists`: for each list, the
    parameters' places of each of its uses. None when a use is not such an IN list."""
    spans = [m.span() for m in _TOKEN.finditer(sql) if m.group() == "%s"]
    if len(spans) != len(params):
        return None
    groups = {}
    for uses in lists:
        for places in uses:
            first, last = places[0], places[-1]
            if places != list(range(first, last + 1)) or not sql[:spans[first][0]].endswith(" IN (") or \
                    sql[spans[last][1]:spans[last][1] + 1] != ")" or any(
                    sql[spans[p][1]:spans[p + 1][0]] != ", " for p in places[:-1]):
                return None
            groups[first] = last
    out, new_params, where, at, pos = [], [], [], 0, 0
    while pos < len(params):
        start, end = spans[pos]
        if pos in groups:
            last = groups[pos]
            out.append(sql[at:start - len(" IN (")] + " = ANY(%s)")
            at = spans[last][1] + 1
            where += [len(new_params)] + [-1] * (last - pos)
            new_params.append(None)
            pos = last + 1
        else:
            out.append(sql[at:end])
            at = end
            where.append(len(new_params))
            new_params.append(params[pos])
            pos += 1
    out.append(sql[at:])
    return "".join(out), new_params, where


def _shape(values: tuple) -> tuple | None:
    """The types of the values, a list's as (its elements' types); None when a value has no stand-in."""
    shape = []
    for value in values:
        if isinstance(value, list | tuple | set | frozenset):
            kinds = tuple(type(v) for v in value)
            if not kinds or any(_stand_in(v, 0) is None for v in value):
                return None
            shape.append(kinds)
        elif _stand_in(value, 0) is None:
            return None
        else:
            shape.append(type(value))
    return tuple(shape)


class Prepared:
    """build(*values) → a queryset of model instances or of values_list tuples (annotations allowed in both:
    Django selects a values_list's columns in its order, annotations included), without extra or prefetching;
    calling the Prepared with the values gives that queryset's rows as a list, as list(queryset) would (see the
    module's docstring).

    build must put nothing in the queryset but its arguments and constants: a value it computes itself (today's
    date, a setting) would be kept with the SQL of the shape's first call.

    Collections among the values are handed to build as lists (in their iteration order)."""

    def __init__(self, model, build: Callable[..., QuerySet]):
        self.model, self.build = model, build
        self._compiled: dict[tuple, _Compiled | None] = {}

    def __call__(self, *values) -> list:
        values = tuple(list(v) if isinstance(v, set | frozenset) else v for v in values)
        compiled, connection = self._kept(values)
        if compiled is not None and compiled is not _UNSEEN and (not compiled.locks or connection.in_atomic_block):
            return self._run(compiled, values, connection)
        return list(self.build(*values))

    def _kept(self, values: tuple) -> tuple:
        """(the shape's _Compiled, None or _UNSEEN; the connection), compiling the shape on its first call. On
        PostgreSQL a read whose lists all become arrays is kept once for every length of its lists."""
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        arrays = _array_shape(values) if connection.vendor == "postgresql" else None
        if arrays is not None:
            key = (alias, connection, arrays)
            compiled = self._compiled.get(key, _UNSEEN)
            if compiled is _UNSEEN:
                compiled = self._compile(values, alias, arrays=True)
                if compiled is not _UNSEEN and len(self._compiled) < MAX_SHAPES:
                    self._compiled[key] = compiled if compiled is None or compiled.arrays else _BY_LENGTH
                if compiled is None or compiled is _UNSEEN or compiled.arrays:
                    return compiled, connection
            elif compiled is not _BY_LENGTH:
                return compiled, connection
        shape = _shape(values)
        if shape is None or sum(len(k) if type(k) is tuple else 1 for k in shape) > MAX_VALUES:
            return None, None
        # per connection object (one per thread): the compiler kept converts with its own connection
        key = (alias, connection, shape)
        compiled = self._compiled.get(key, _UNSEEN)
        if compiled is _UNSEEN:
            compiled = self._compile(values, alias)
            if compiled is not _UNSEEN and len(self._compiled) < MAX_SHAPES:
                self._compiled[key] = compiled
        return compiled, connection

    def _compile(self, values: tuple, alias: str, arrays: bool = False):
        """The shape's _Compiled (arrays: with its lists as arrays when they all can be); None: never (its queryset
        runs every time); _UNSEEN: not now."""
        k = 0
        stand_ins = []
        for value in values:
            if isinstance(value, list | tuple):
                stand_ins.append([_stand_in(v, k + i) for i, v in enumerate(value)])
                k += len(value)
            else:
                stand_ins.append(_stand_in(value, k))
                k += 1
        queryset = self.build(*stand_ins)
        instances = queryset._iterable_class is ModelIterable
        if not (instances or queryset._iterable_class is ValuesListIterable) or queryset.query.extra_select or \
                queryset._known_related_objects or queryset._prefetch_related_lookups or queryset.db != alias:
            return None
        compiler = queryset.query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except Exception:  # noqa: BLE001 — e.g. a lock outside a transaction: the queryset decides, now and later
            return _UNSEEN
        flat = [v for s in stand_ins for v in (s if isinstance(s, list) else [s])]
        where = {}
        for pos, param in enumerate(params):
            for n, stand_in in enumerate(flat):
                if type(param) is type(stand_in) and param == stand_in:
                    if n in where:
                        return None
                    where[n] = pos
        if len(where) != len(flat) or compiler.has_extra_select:
            return None
        slots = [where[n] for n in range(len(flat))]
        locks = bool(queryset.query.select_for_update)
        converted = _converted(sql, list(params), stand_ins, slots) if arrays else None
        if converted is not None:
            return _Compiled(*converted, compiler, locks=locks, instances=instances, arrays=True)
        return _Compiled(sql, list(params), slots, compiler, locks=locks, instances=instances)

    def _run(self, compiled: _Compiled, values: tuple, connection) -> list:
        with connection.cursor() as cursor:
            statements.run(connection, cursor, compiled.sql, _params(compiled, values))
            rows = cursor.fetchall()
        return _result(compiled, rows, connection)

    def bind(self, *values) -> Bound:
        """This read with these values, to run now or later, alone or folded with others into one statement
        (fold): its result is then what calling the read gives."""
        values = tuple(list(v) if isinstance(v, set | frozenset) else v for v in values)
        compiled, connection = self._kept(values)
        if compiled is _UNSEEN or (compiled is not None and compiled.locks):
            compiled = None  # a locking read runs alone, as a call runs it
        return Bound(lambda: self(*values), compiled and _Foldable(
            compiled.sql, _params(compiled, values), compiled.compiler.col_count,
            lambda rows: _result(compiled, rows, connection), connection, compiled.foldable))


def _converted(sql: str, params: list, stand_ins: list, slots: list[int]) -> tuple | None:
    """(SQL, parameters, slots) of the statement with its long lists as arrays (_as_arrays), or None."""
    lists, k = [], 0
    for stand_in in stand_ins:
        if isinstance(stand_in, list) and len(stand_in) > ARRAY_FROM:
            lists.append([slots[k:k + len(stand_in)]])  # each value is used once (_compile)
        k += len(stand_in) if isinstance(stand_in, list) else 1
    arrays = _as_arrays(sql, params, lists)
    if arrays is None:
        return None
    new_sql, new_params, moved = arrays
    new_slots, k = [], 0
    for stand_in in stand_ins:
        if isinstance(stand_in, list) and len(stand_in) <= ARRAY_FROM:  # a short list: a slot per element
            new_slots += [moved[p] for p in slots[k:k + len(stand_in)]]
            k += len(stand_in)
        else:  # a long list: where its first element was, its array goes
            new_slots.append(moved[slots[k]])
            k += len(stand_in) if isinstance(stand_in, list) else 1
    return new_sql, new_params, new_slots


def _params(compiled: _Compiled, values: tuple) -> list:
    """The kept statement's parameters with these values in their places."""
    params = list(compiled.template)
    flat = []
    for value in values:
        if not isinstance(value, list | tuple):
            flat.append(value)
        elif compiled.arrays and len(value) > ARRAY_FROM:
            flat.append(list(value))  # psycopg2 writes a list as an ARRAY
        else:
            flat += value
    for pos, value in zip(compiled.slots, flat, strict=True):
        params[pos] = value
    return params


def _result(compiled: _Compiled, rows: list, connection) -> list:
    """The read's result of the statement's rows, as the queryset gives it (its converters, its instances)."""
    compiler = compiled.compiler
    if not compiled.instances:
        return list(map(tuple, _rows_converted(compiled, rows)))
    # the instances as ModelIterable makes them (its querysets have no known related objects here)
    klass_info, select = compiler.klass_info, compiler.select
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    populators = get_related_populators(klass_info, select, connection.alias)
    out = []
    for row in _rows_converted(compiled, rows):
        obj = klass_info["model"].from_db(connection.alias, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for attr, pos in compiler.annotation_col_map.items():
            setattr(obj, attr, row[pos])
        out.append(obj)
    return out



def _rows_converted(compiled: _Compiled, rows: list):
    """The rows as the compiler's results_iter gives them, with the converters it looks up for every result (for
    each column its field's, its expression's and the backend's: about 80 calls for the three reads of a request)
    found once per compiled read (its connection's: _kept keeps a read per connection)."""
    compiler = compiled.compiler
    if compiled.converters is None:
        fields = [s[0] for s in compiler.select[0:compiler.col_count]]
        if compiler.has_composite_fields(fields):
            return compiler.results_iter(results=[rows])
        compiled.converters = compiler.get_converters(fields)
    return compiler.apply_converters(rows, compiled.converters) if compiled.converters else rows


class _Foldable:
    """A kept read's statement with its values: what fold needs to read it as arrays."""
    __slots__ = ("columns", "connection", "ok", "params", "result", "sql")

    def __init__(self, sql: str, params: list, columns: int, result: Callable[[list], list], connection, ok: bool):
        self.sql, self.params, self.columns, self.result, self.connection = sql, params, columns, result, connection
        self.ok = ok


class Bound:
    """A read with its values (Prepared.bind, or raw SQL: Bound.raw): `result` once run (run(), or fold)."""
    __slots__ = ("_run", "foldable", "has_result", "result")

    def __init__(self, run: Callable[[], list], foldable: _Foldable | None = None):
        self._run, self.foldable = run, foldable
        self.has_result, self.result = False, None

    @classmethod
    def raw(cls, sql: str, params: list, columns: int, using: str = "default") -> Bound:
        """A read of raw SQL (no '%' but its placeholders) giving `columns` columns: its rows as tuples."""
        connection = connections[using]

        def run() -> list:
            with connection.cursor() as cursor:
                statements.run(connection, cursor, sql, list(params))
                return list(cursor.fetchall())

        return cls(run, _Foldable(sql, list(params), columns, list, connection, True))

    def run(self) -> list:
        if not self.has_result:
            self.result, self.has_result = self._run(), True
        return self.result


def fold(*bounds: Bound) -> None:
    """Run these reads (each's `result` then as run() gives it), on PostgreSQL those that can be folded in ONE
    statement: each read a sub-select aggregated into one array per column (array_agg), the reads cross-joined
    into one row (each aggregate gives one row, NULL arrays for no rows), so that a settlement's reads cost one
    round trip and one statement. The driver parses each array element by element as it parses the column, and
    the read's own converters (or its instances) make the result from the rows put back together. Any other read
    (SQLite, a locking or never-kept shape, a column of another type) runs alone."""
    pending = [b for b in bounds if not b.has_result]
    folded = [b for b in pending if b.foldable is not None and b.foldable.ok
              and b.foldable.connection.vendor == "postgresql"]
    if len({id(b.foldable.connection) for b in folded}) != 1 or len(folded) < 2:
        folded = []
    if folded:
        parts, params = [], []
        for k, b in enumerate(folded):
            f = b.foldable
            names = ", ".join(f"c{i}" for i in range(f.columns))
            arrays = ", ".join(f"array_agg(q{k}.c{i})" for i in range(f.columns))
            parts.append(f"(SELECT {arrays} FROM ({f.sql}) AS q{k}({names})) AS r{k}")
            params += f.params
        connection = folded[0].foldable.connection
        with connection.cursor() as cursor:
            statements.run(connection, cursor, "SELECT * FROM " + " CROSS JOIN ".join(parts), params)
            row = cursor.fetchone()
        start = 0
        for b in folded:
            f = b.foldable
            arrays = row[start:start + f.columns]
            start += f.columns
            b.result = f.result(list(zip(*arrays, strict=True)) if arrays[0] is not None else [])
            b.has_result = True
    for b in pending:
        b.run()
