"""PostgreSQL's COPY, the one way the project moves many rows in or out of the database at once.

copy_out reads a SELECT as a frame; copy_in writes a frame as CSV; copy_in_binary and stage_binary write
integer and text columns in COPY's binary format, built with numpy without a loop over rows (text values
travel as small integer codes with text_codes and are turned back into text in SQL by decode_sql);
insert_rows inserts model rows with COPY where it can and with bulk_create elsewhere.
"""
from __future__ import annotations

import csv
import io
import operator

import numpy as np
import pandas as pd
from django.db import connection
from django.utils import timezone


def copy_out(cursor, sql: str, params=(), dtype=None, parse_dates=None) -> pd.DataFrame:
    """Run a SELECT through COPY ... TO STDOUT and read it as a frame."""
    query = cursor.mogrify(sql, params).decode() if params else sql
    buf = io.StringIO()
    cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
    buf.seek(0)
    return pd.read_csv(buf, dtype=dtype, parse_dates=parse_dates, keep_default_na=False, na_values=[""])


def copy_in(cursor, table: str, frame: pd.DataFrame) -> None:
    """COPY a frame into a table (its columns named as the frame's)."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="\\N")  # "" stays an empty string
    buf.seek(0)
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)



PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"


def copy_in_binary(cursor, table: str, columns: dict[str, np.ndarray]) -> None:
    """COPY columns in PostgreSQL's binary format, built with numpy without a loop over rows: for the
    batch's large staging tables it encodes far faster than CSV (docs/benchmarks.md). Integer columns go
    as bigint; text columns (str or bytes arrays) as text of any length. No NULLs: callers use sentinels
    (-1) that the SQL reading the table turns back into NULL."""
    n = len(next(iter(columns.values())))

    def as_bytes(values, dtype, width):
        return np.frombuffer(np.ascontiguousarray(values, dtype=dtype).tobytes(), np.uint8).reshape(n, width)

    blocks = [as_bytes(np.full(n, len(columns)), ">i2", 2)]  # each row: its number of fields, then each field
    valid = [np.full(n, 2)]                                  # as its length (int32) and its bytes
    for values in columns.values():
        if values.dtype.kind in "iub":
            blocks += [as_bytes(np.full(n, 8), ">i4", 4), as_bytes(values, ">i8", 8)]
            valid += [np.full(n, 4), np.full(n, 8)]
        else:
            raw = values if values.dtype.kind == "S" else np.char.encode(values.astype(str), "utf-8")
            width = max(raw.dtype.itemsize, 1)
            size = np.char.str_len(raw).astype(np.int64) if n else np.zeros(0, np.int64)
            blocks += [as_bytes(size, ">i4", 4), as_bytes(raw, f"S{width}", width)]
            valid += [np.full(n, 4), size]
    matrix = np.concatenate(blocks, axis=1)
    keep = np.concatenate([np.arange(b.shape[1]) < v[:, None] for b, v in zip(blocks, valid, strict=True)], axis=1)
    buf = io.BytesIO(PGCOPY_HEADER + matrix[keep].tobytes() + b"\xff\xff")
    cols = ", ".join(f'"{c}"' for c in columns)
    cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT binary)", buf)


def stage_binary(cursor, name: str, columns: dict[str, np.ndarray]) -> None:
    """A temporary table of bigint (and fixed-width text) columns, filled with binary COPY and analyzed."""
    ddl = ", ".join(f"{c} {'bigint' if v.dtype.kind in 'iub' else 'text'}" for c, v in columns.items())
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMP TABLE {name} ({ddl}) ON COMMIT DROP")
    if len(next(iter(columns.values()))):
        copy_in_binary(cursor, name, columns)
    cursor.execute(f"ANALYZE {name}")


def text_codes(values) -> tuple[np.ndarray, list[str]]:
    """Text values → (int64 codes, the distinct texts) for staging; None and NaN become ''."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object).fillna(""), sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def decode_sql(column: str, param: str) -> str:
    """SQL for the text a staged code stands for (the distinct texts passed as a text[] parameter)."""
    return f"(%({param})s::text[])[({column} + 1)::int]"


COPY_TYPES = {"CharField", "TextField", "DecimalField", "IntegerField", "BigIntegerField", "SmallIntegerField",
              "PositiveIntegerField", "PositiveSmallIntegerField", "ForeignKey", "DateTimeField"}


def insert_rows(model, rows: list[dict]) -> None:
    """Insert many new rows of a model, each a dict of field attnames (ids are not returned).

    On PostgreSQL with psycopg2, one COPY in CSV format: building, flattening and binding thousands of
    model instances is most of a bulk_create's time. A column a row does not name takes the model's
    default, as bulk_create would give it; a naive datetime is made aware as the model field would. In CSV
    an unquoted empty field is NULL, so the text columns (never NULL) are read with FORCE_NOT_NULL and an
    empty code stays ''. A model with a column of another type (JSON, arrays, booleans...), and any other
    database, go through bulk_create."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor == "postgresql" and all(f.get_internal_type() in COPY_TYPES for f in fields):
        with connection.cursor() as cursor:
            if hasattr(cursor.cursor, "copy_expert"):
                defaults = {f.attname: f.get_default() for f in fields}
                values = operator.itemgetter(*(f.attname for f in fields))
                datetimes = [(i, f) for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]

                def record(row):
                    out = values({**defaults, **row})
                    if datetimes and any(out[i] is not None and timezone.is_naive(out[i]) for i, _f in datetimes):
                        out = list(out)
                        for i, f in datetimes:
                            out[i] = f.get_db_prep_save(out[i], connection)
                    return out

                buffer = io.StringIO()
                # \r\n: a value holding a bare \r or \n is then quoted as well
                csv.writer(buffer, lineterminator="\r\n").writerows(map(record, rows))
                buffer.seek(0)
                columns = ", ".join(f'"{f.column}"' for f in fields)
                not_null = ", ".join(f'"{f.column}"' for f in fields
                                     if not f.null and f.get_internal_type() in ("CharField", "TextField"))
                # copy_expert is the driver's own: its errors wrapped as Django's (IntegrityError, DataError...)
                with connection.wrap_database_errors:
                    cursor.copy_expert(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN WITH (FORMAT csv'
                                       + (f", FORCE_NOT_NULL ({not_null})" if not_null else "") + ")", buffer)
                return
    model.objects.bulk_create([model(**row) for row in rows])
