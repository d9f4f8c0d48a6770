"""Model rows inserted and updated in one statement each, without Django's query compilation.

`bulk_create` and `QuerySet.update` build and compile a query on every call: about a millisecond of CPU for
a settlement's few rows, more than PostgreSQL takes to write them. The counter's writers (the settlement, its
audit hits, suspect items and events) use these instead. On PostgreSQL each is the statement Django would
send, written from the model's fields; elsewhere (the demo's SQLite, run_cases) Django's own call.

`unnest_rows` and `insert_arrays_sql` write rows as one array parameter per column (`INSERT … SELECT … FROM
unnest(…)`) instead of VALUES: the statement's text is the same for any number of rows, so core.statements can
prepare it once per connection and PostgreSQL neither parses nor plans it again (issue 14: the counter's review
statement; the money statement stays VALUES, whose generic plan PostgreSQL costs above its custom ones).
"""
from __future__ import annotations

import datetime as dt
import re

from django.db import connection

_TYPMOD = re.compile(r"\(.*\)")


def insert_new(model, objs: list, unique: str | None = None, *, along: tuple[str, list] | None = None) -> None:
    """INSERT … RETURNING id of these unsaved model instances in one statement; each gets its pk, in the order
    of the VALUES (as bulk_create relies on). unique: a field with a unique constraint, for INSERT … ON CONFLICT
    (unique) DO NOTHING; an object whose value is already there keeps pk None (bulk_create(ignore_conflicts=True)
    sets none on PostgreSQL). Every concrete field but the pk is written as bulk_create would (pre_save: the
    auto_now_add stamps), so a field must not hold an expression such as a DatabaseDefault.

    along: (sql, params) of another data-modifying statement (e.g. update_by_pk_sql's) made part of this one, as
    a WITH query ahead of the INSERT: one statement for both. PostgreSQL only (the caller keeps its fallback)."""
    if along is not None and (connection.vendor != "postgresql" or not objs):
        raise ValueError("insert_new(along=...) needs PostgreSQL and rows to insert")
    if not objs:
        return
    if unique is None and connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    sql, params = insert_sql(model, objs)
    qn = connection.ops.quote_name
    if along is not None:
        sql, params = f"WITH along AS ({along[0]}) {sql}", [*along[1], *params]
    if unique is None:
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} RETURNING {qn(model._meta.pk.column)}", params)
            pks = [pk for (pk,) in cursor.fetchall()]  # in the order of the VALUES, as bulk_create relies on
        for o, pk in zip(objs, pks, strict=True):
            o.pk = pk
            o._state.adding, o._state.db = False, connection.alias
        return
    unique_column = model._meta.get_field(unique).column
    sql += f" ON CONFLICT ({qn(unique_column)}) DO NOTHING RETURNING {qn(model._meta.pk.column)}, {qn(unique_column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = dict((value, pk) for pk, value in cursor.fetchall())
    for o in objs:
        pk = inserted.get(getattr(o, unique))
        if pk is not None:
            o.pk = pk
            o._state.adding, o._state.db = False, connection.alias


def insert_sql(model, objs: list, refs: dict[str, list[tuple[str, list]]] | None = None) -> tuple[str, list]:
    """insert_new's INSERT … VALUES of these unsaved instances (PostgreSQL's SQL), without RETURNING: every concrete
    field but the pk, as bulk_create writes it. refs: {attname: [(sql, params) of each object]}, an SQL expression
    in place of that field's value (e.g. a sub-select of a WITH query's rows, for a key made in the same statement)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    refs = refs or {}
    row = [None if f.attname in refs else "%s" for f in fields]
    params, rows = [], []
    for i, o in enumerate(objs):
        values = []
        for f, slot in zip(fields, row, strict=True):
            if slot is None:
                expression, more = refs[f.attname][i]
                values.append(expression)
                params.extend(more)
            else:
                values.append(slot)
                params.append(f.get_db_prep_save(f.pre_save(o, True), connection))
        rows.append("(" + ", ".join(values) + ")")
    qn = connection.ops.quote_name
    return (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES {', '.join(rows)}", params)


def _run(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def update_by_pk_sql(model, pks: list[int], **values) -> tuple[str, list]:
    """update_by_pk's statement and parameters (PostgreSQL's SQL), e.g. for insert_new's `along`."""
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in values]
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    return (f"UPDATE {qn(model._meta.db_table)} SET {assignments} WHERE {qn(model._meta.pk.column)} = ANY(%s)",
            [f.get_db_prep_save(values[f.name], connection) for f in fields] + [list(pks)])


def update_by_pk(model, pks: list[int], **values) -> None:
    """model.objects.filter(pk__in=pks).update(**values) for plain values of concrete fields: on PostgreSQL one
    UPDATE … WHERE pk = ANY(…), written from the fields (as update() does, no auto_now stamp and no signal)."""
    if not pks:
        return
    if connection.vendor != "postgresql":
        model.objects.filter(pk__in=pks).update(**values)
        return
    _run(*update_by_pk_sql(model, pks, **values))


def array_text(values: list) -> str:
    """PostgreSQL's text form of an array of these values (`{1,NULL,"a \\"b\\""}`): one string parameter that the
    server reads with the element type's input function, as it reads each value written into a VALUES row. None is
    NULL; a bool is t or f; a datetime or date its ISO form; anything else str() (an int, a Decimal, a str), each
    element quoted."""
    return "{" + ",".join("NULL" if v is None else _element(v) for v in values) + "}"


def _element(value) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date):  # and a datetime
        text = value.isoformat()
    elif hasattr(value, "adapted") and hasattr(value, "dumps"):  # a JSONField's value, as psycopg2's Json writes it
        text = value.dumps(value.adapted)
    else:
        text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unnest_rows(columns: list[tuple[str, str]], alias: str = "r") -> str:
    """A FROM item of rows whose columns come each from one array parameter: `unnest(%s::type[], ...) AS r(c, ...)`,
    one %s per column (columns: (name, PostgreSQL type)); its value array_text(the column's values), rows in the
    lists' order. Each array is one string in the statement, read by the element type's input function as a VALUES
    row's values are: no expression per value to parse. A type's modifier (varchar(32), numeric(14, 2)) is left
    to the INSERT's assignment, which checks it as it checks a VALUES row (a cast would cut an overlong string)."""
    qn = connection.ops.quote_name
    arrays = ", ".join(f"%s::{_TYPMOD.sub('', pg_type)}[]" for _name, pg_type in columns)
    return f"unnest({arrays}) AS {alias}({', '.join(qn(name) for name, _type in columns)})"


def model_columns(model, objs: list, skip: tuple[str, ...] = ()) -> dict[str, list]:
    """{column: its values} of these unsaved instances, every concrete field but the pk and those in skip
    (attnames), each value as insert_sql writes it (bulk_create's pre_save and preparation)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in skip]
    return {f.column: [f.get_db_prep_save(f.pre_save(o, True), connection) for o in objs] for f in fields}


def insert_arrays_sql(model, columns: dict[str, list], refs: dict[str, str] | None = None,
                      keys: dict[str, tuple[str, list]] | None = None) -> tuple[str, list]:
    """INSERT INTO the model's table … SELECT … FROM unnest(…) (unnest_rows), without RETURNING: columns {column:
    values} (model_columns, or any columns of the table), each of its field's type; refs {column: SQL expression}
    in place of a column's values, reading the extra columns keys {name: (type, values)} of the same row as r.name
    (e.g. a sub-select of a WITH query's rows, for a key made in the same statement). Its text depends only on the
    names and types, never on the values or their number."""
    types = {f.column: f.db_type(connection) for f in model._meta.concrete_fields}
    keys = keys or {}
    refs = refs or {}
    qn = connection.ops.quote_name
    source = unnest_rows([(c, types[c]) for c in columns] + [(k, t) for k, (t, _v) in keys.items()])
    select = ", ".join([*(f"r.{qn(c)}" for c in columns), *refs.values()])
    return (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in [*columns, *refs])}) "
            f"SELECT {select} FROM {source}",
            [array_text(values) for values in [*columns.values(), *(values for _t, values in keys.values())]])
