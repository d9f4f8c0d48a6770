"""PostgreSQL's COPY, the one way the project moves many rows in or out of the database at once.

copy_out reads a SELECT as a frame; copy_in writes a frame as CSV; copy_in_binary and stage_binary write
integer, text, numeric (Numeric: integer units and a scale) and timestamptz (Timestamp) columns in COPY's
binary format, built with numpy without a loop over rows, straight into a table or into a staging table
(where text values may travel as small integer codes with text_codes, turned back into text by decode_sql);
insert_rows inserts model rows with COPY where it can and with bulk_create elsewhere.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import operator
from dataclasses import dataclass

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
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 00:00 UTC, PostgreSQL's epoch, in microseconds since 1970


@dataclass(frozen=True)
class Numeric:
    """An integer column sent to a numeric column as units × 10**-scale (money in fen: scale 2; ratios ×10^4:
    scale 4), rows where `null` is true as NULL. The target column's typmod applies as to any numeric input."""
    units: np.ndarray
    scale: int
    null: np.ndarray | None = None


@dataclass(frozen=True)
class Timestamp:
    """A timestamptz column: microseconds since 1970-01-01 00:00 UTC."""
    micros: np.ndarray


@dataclass(frozen=True)
class Int8:
    """A bigint column with NULLs where `null` is true."""
    values: np.ndarray
    null: np.ndarray


@dataclass(frozen=True)
class Jsonb:
    """A jsonb column from JSON texts (str array)."""
    texts: np.ndarray


def now_micros() -> int:
    """timezone.now() in microseconds since 1970-01-01 00:00 UTC, exactly (for Timestamp)."""
    return (timezone.now() - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def _length(column) -> int:
    for attr in ("units", "micros", "values", "texts"):
        if hasattr(column, attr):
            return len(getattr(column, attr))
    return len(column)


def _bytes(values, dtype: str, width: int, n: int) -> np.ndarray:
    return np.frombuffer(np.ascontiguousarray(values, dtype=dtype).tobytes(), np.uint8).reshape(n, width)


def _utf8(values, n: int, prefix: bytes = b"") -> tuple[np.ndarray, np.ndarray]:
    """Texts (str or bytes values) → (each one's length in bytes, all their bytes one after another), each
    text led by `prefix`: one encode of the joined texts, not one per text."""
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if n and isinstance(items[0], bytes):
        data = prefix + prefix.join(items)
        lengths = np.fromiter(map(len, items), np.int64, n)
    else:
        data = (prefix.decode() + prefix.decode().join(items)).encode()
        lengths = np.fromiter(map(len, items), np.int64, n)
        if len(data) != int(lengths.sum()) + n * len(prefix):  # not all ASCII: count each text's bytes
            return _utf8_lengths(items, n, prefix)
    return lengths + len(prefix), np.frombuffer(data, np.uint8)


def _utf8_lengths(items: list[str], n: int, prefix: bytes) -> tuple[np.ndarray, np.ndarray]:
    """_utf8 of texts that are not all ASCII: one encode of the texts joined by NUL (which no PostgreSQL text
    holds), each text's length in bytes read from where the NULs fell, the NULs then taken out."""
    lead = prefix.decode()
    raw = np.frombuffer((lead + ("\x00" + lead).join(items)).encode(), np.uint8)
    cuts = np.flatnonzero(raw == 0)
    if len(cuts) != n - 1:  # a text with a NUL of its own (PostgreSQL will refuse it): count each text's bytes
        data = (lead + lead.join(items)).encode()
        return np.fromiter((len(t.encode()) for t in items), np.int64, n) + len(prefix), np.frombuffer(data, np.uint8)
    ends = np.append(cuts, len(raw))
    return ends - np.concatenate(([0], cuts + 1)), np.delete(raw, cuts)


def _pieces(values, n: int) -> list:
    """One column in COPY's binary format (each row's field: its length, int32, then its bytes), as pieces:
    ("fixed", n × width bytes) for what is as wide in every row, ("var", lengths, bytes) for the rest."""
    if isinstance(values, Numeric):
        return _numeric_pieces(values, n)
    if isinstance(values, Timestamp):
        micros = np.asarray(values.micros, np.int64) - PG_EPOCH_US
        return [("fixed", np.hstack([_bytes(np.full(n, 8), ">i4", 4, n), _bytes(micros, ">i8", 8, n)]))]
    if isinstance(values, Int8):
        null = np.asarray(values.null, bool)
        return [("fixed", _bytes(np.where(null, -1, 8), ">i4", 4, n)),
                ("var", np.where(null, 0, 8), _bytes(values.values, ">i8", 8, n)[~null].reshape(-1))]
    if isinstance(values, Jsonb):  # jsonb's binary form: a version byte (1), then the text
        lengths, data = _utf8(values.texts, n, prefix=b"\x01")
        return [("fixed", _bytes(lengths, ">i4", 4, n)), ("var", lengths, data)]
    if values.dtype.kind in "iub":
        return [("fixed", np.hstack([_bytes(np.full(n, 8), ">i4", 4, n), _bytes(values, ">i8", 8, n)]))]
    lengths, data = _utf8(values, n)
    return [("fixed", _bytes(lengths, ">i4", 4, n)), ("var", lengths, data)]


def _numeric_pieces(column: Numeric, n: int) -> list:
    """numeric's binary form: ndigits, weight, sign, dscale (int16 each), then base-10000 digits (int16),
    the integer part's first. Every row gets the same number of digits (the widest row's); PostgreSQL strips
    the leading and trailing zero digits (numeric_recv → make_result), so the value stored is the one the
    same number typed in SQL would give."""
    if not 0 <= column.scale <= 4:
        raise ValueError("Numeric: scale 0 to 4 (one base-10000 digit after the point at most)")
    units = np.asarray(column.units, np.int64)
    absolute = np.abs(units)
    whole, fraction = np.divmod(absolute, 10 ** column.scale)
    fraction = fraction * 10 ** (4 - column.scale)
    widest = int(whole.max()) if n else 0
    int_digits = 1
    while widest >= 10_000 ** int_digits:
        int_digits += 1
    ndigits = int_digits + (1 if column.scale else 0)
    words = np.empty((n, 4 + ndigits), np.int64)
    words[:, 0] = ndigits
    words[:, 1] = int_digits - 1  # weight: the power of 10000 of the first digit
    words[:, 2] = np.where(units < 0, 0x4000, 0)
    words[:, 3] = column.scale
    for i in range(int_digits):
        words[:, 4 + i] = whole // 10_000 ** (int_digits - 1 - i) % 10_000
    if column.scale:
        words[:, 4 + int_digits] = fraction
    size = 2 * (4 + ndigits)
    if column.null is None or not np.any(column.null):
        return [("fixed", np.hstack([_bytes(np.full(n, size), ">i4", 4, n), _bytes(words, ">i2", size, n)]))]
    null = np.asarray(column.null, bool)
    return [("fixed", _bytes(np.where(null, -1, size), ">i4", 4, n)),
            ("var", np.where(null, 0, size), _bytes(words, ">i2", size, n)[~null].reshape(-1))]


def binary_copy_data(columns: dict[str, object]) -> bytes:
    """Rows in COPY's binary format, built with numpy without a loop over rows. A column is an integer array
    (bigint), a str or bytes array (text, varchar), a Numeric, a Timestamp, an Int8 or a Jsonb.

    Each column's pieces are written into one buffer at their rows' offsets: a run of fixed-width pieces as
    one n × width block, a variable-length piece (text, NULLs) byte by byte, by index arithmetic."""
    n = _length(next(iter(columns.values())))
    pieces = [("fixed", _bytes(np.full(n, len(columns)), ">i2", 2, n))]  # each row: its number of fields
    for values in columns.values():
        for piece in _pieces(values, n):
            if piece[0] == "var" and n and (piece[1] == piece[1][0]).all():  # as wide in every row: fixed
                piece = ("fixed", piece[2].reshape(n, int(piece[1][0])))
            if piece[0] == "fixed" and pieces[-1][0] == "fixed":
                pieces[-1] = ("fixed", np.hstack([pieces[-1][1], piece[1]]))
            else:
                pieces.append(piece)
    sizes = np.zeros(n, np.int64)
    for piece in pieces:
        sizes += piece[1].shape[1] if piece[0] == "fixed" else piece[1]
    if len(pieces) == 1:
        body = pieces[0][1].tobytes()
    else:
        out = np.empty(int(sizes.sum()), np.uint8)
        position = np.cumsum(sizes) - sizes  # where each row's next byte goes
        for piece in pieces:
            if piece[0] == "fixed":
                block = piece[1]
                out[position[:, None] + np.arange(block.shape[1])] = block
                position += block.shape[1]
            else:
                lengths, data = piece[1], piece[2]
                starts = np.cumsum(lengths) - lengths  # of each row's bytes in data
                out[np.arange(len(data)) + np.repeat(position - starts, lengths)] = data
                position += lengths
        body = out.tobytes()
    return PGCOPY_HEADER + body + b"\xff\xff"


def copy_in_binary(cursor, table: str, columns: dict[str, object]) -> None:
    """COPY columns (binary_copy_data) into a table: for the batch's large tables it encodes far faster than
    CSV (docs/benchmarks.md). Integer arrays go as bigint, str arrays as text of any length; Numeric and
    Timestamp as their types, Numeric with NULLs where marked; other NULLs are for the caller's SQL (sentinels
    such as -1 in staging tables)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT binary)",
                       io.BytesIO(binary_copy_data(columns)))


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
