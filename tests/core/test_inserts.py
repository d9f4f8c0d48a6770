"""core.inserts' array rows: one array parameter per column, a text the same for any number of rows (prepared once
per connection by core.statements), the values stored as a VALUES row stores them."""
import datetime as dt
from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core import statements
from core.inserts import array_text, insert_arrays_sql, insert_sql, model_columns, unnest_rows
from insurance.models import Institution, InstitutionKind

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="array parameters: PostgreSQL")]

ROWS = [("amount", "numeric(14, 2)"), ("at", "timestamp with time zone"), ("none", "bigint"), ("word", "varchar(4)")]


def _select(values: list[list]) -> list[tuple]:
    with connection.cursor() as cursor:
        statements.run(connection, cursor, f"SELECT * FROM {unnest_rows(ROWS)}", [array_text(v) for v in values])
        return cursor.fetchall()


def test_array_rows_give_back_each_value_and_a_column_of_nulls_only():
    at = dt.datetime(2026, 3, 10, 10, 0, 0, 123456, tzinfo=dt.UTC)
    with transaction.atomic():
        got = _select([[Decimal("40.10"), Decimal("3")], [at, None], [None, None], ['长的"文字",也行\\{}', ""]])
        assert _select([[], [], [], []]) == []
        with CaptureQueriesContext(connection) as queries:
            again = _select([[Decimal("0.00")], [at], [None], ["x"]])
    # the scale, the microseconds, NULLs; the type's modifier is not applied to a plain SELECT (an INSERT's is)
    assert got == [(Decimal("40.10"), at, None, '长的"文字",也行\\{}'), (Decimal("3"), None, None, "")]
    assert again == [(Decimal("0.00"), at, None, "x")]
    [query] = queries.captured_queries
    assert query["sql"].startswith("EXECUTE core_")  # one text for 2, 0 and 1 rows: prepared once


def _institutions(n: int, start: int) -> list[Institution]:
    return [Institution(fixmedins_code=f"H41089{start + i:06d}", name=f"医院{i}", level=i % 4,
                        kind=InstitutionKind.HOSPITAL, designated=bool(i % 2), region="410800" if i else "")
            for i in range(n)]


def _stored(codes: list[str]) -> list[tuple]:
    return sorted(Institution.objects.filter(fixmedins_code__in=codes).values_list(
        "fixmedins_code", "name", "level", "kind", "designated", "region"))


def test_an_insert_of_array_rows_stores_what_a_values_insert_stores():
    by_values, by_arrays = _institutions(3, 0), _institutions(3, 100)
    texts = set()
    with connection.cursor() as cursor:
        cursor.execute(*insert_sql(Institution, by_values))
        for rows in (by_arrays[:1], by_arrays[1:]):
            sql, params = insert_arrays_sql(Institution, model_columns(Institution, rows))
            texts.add(sql)
            statements.run(connection, cursor, sql, params)
    assert len(texts) == 1  # the same text for one row and for two
    assert [(r[1:]) for r in _stored([i.fixmedins_code for i in by_arrays])] == [
        (r[1:]) for r in _stored([i.fixmedins_code for i in by_values])]


def test_an_overlong_value_is_refused_as_a_values_row_refuses_it():
    [row] = _institutions(1, 200)
    row.region = "4108001"  # max_length 6: the INSERT's assignment checks it, no cast cuts it
    with pytest.raises(DataError), transaction.atomic(), connection.cursor() as cursor:
        statements.run(connection, cursor, *insert_arrays_sql(Institution, model_columns(Institution, [row])))
