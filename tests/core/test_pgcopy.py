"""core.pgcopy's binary COPY: integers, text, numeric and timestamptz land as the same values typed in SQL
would, stored byte for byte alike (numeric_send compares the stored form: digits, weight and display scale)."""
import datetime as dt

import numpy as np
import pytest
from django.db import connection

from core.pgcopy import Int8, Numeric, Timestamp, binary_copy_data, copy_in_binary

FEN = [0, 1, 5, 10, 99, 100, 101, 12345, 999_999, 1_000_000, 100_000_000, 123_456_789_012, -1, -12345, 10_000_00]
RATIO_E4 = [0, 1, 10, 1000, 2500, 9999, 10000]


@pytest.mark.django_db
def test_binary_copy_matches_sql_literals():
    n = len(FEN)
    ratios = np.resize(np.array(RATIO_E4, np.int64), n)
    null = np.arange(n) % 4 == 3
    micros = np.array([1_773_619_200_123_456 + i * 3_600_000_000 for i in range(n)], np.int64)
    texts = np.array([f"sn-{i}-{'长' * (i % 3)}" for i in range(n)], dtype=object)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE t_copy (i bigint, amount numeric(14,2), prop numeric(5,4), "
                       "label varchar(30), at timestamptz, whole numeric(14,0))")
        copy_in_binary(cursor, "t_copy", {
            "i": np.arange(n, dtype=np.int64), "amount": Numeric(np.array(FEN, np.int64), 2),
            "prop": Numeric(ratios, 4, null=null), "label": texts, "at": Timestamp(micros),
            "whole": Numeric(np.array(FEN, np.int64), 0),
        })
        cursor.execute("SELECT i, numeric_send(amount), numeric_send(prop), label, at, numeric_send(whole), "
                       "amount::text, prop::text FROM t_copy ORDER BY i")
        rows = cursor.fetchall()
        for i, (row_i, amount, prop, label, at, whole, amount_text, prop_text) in enumerate(rows):
            assert row_i == i
            cursor.execute("SELECT numeric_send((%s::numeric / 100)::numeric(14,2)), "
                           "numeric_send((%s::numeric / 10000)::numeric(5,4)), numeric_send(%s::numeric(14,0)), "
                           "(%s::numeric / 100)::numeric(14,2)::text",
                           [FEN[i], int(ratios[i]), FEN[i], FEN[i]])
            want_amount, want_prop, want_whole, want_text = cursor.fetchone()
            assert bytes(amount) == bytes(want_amount) and amount_text == want_text
            assert bytes(whole) == bytes(want_whole)
            if null[i]:
                assert prop is None and prop_text is None
            else:
                assert bytes(prop) == bytes(want_prop)
            assert label == texts[i]
            assert at == dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(micros[i]))


def test_numeric_scale_is_bounded():
    with pytest.raises(ValueError):
        binary_copy_data({"x": Numeric(np.array([1], np.int64), 6)})


def test_fixed_width_rows_need_no_mask():
    """Fixed-width columns give every row the same bytes: 2 (field count) + 12 per bigint."""
    data = binary_copy_data({"a": np.array([1, 2], np.int64), "b": np.array([3, 4], np.int64)})
    assert len(data) == 19 + 2 * (2 + 12 + 12) + 2


def test_a_column_as_wide_in_every_row_is_written_as_the_varying_one():
    """Texts of one width (and an Int8 without NULLs) are laid out as fixed-width blocks: the same bytes."""
    same = {"t": np.array(["ab", "cd"], dtype=object), "n": Int8(np.array([1, 2], np.int64), np.zeros(2, bool))}
    varying = {"t": np.array(["ab", "c"], dtype=object), "n": Int8(np.array([1, 2], np.int64), np.array([False, True]))}
    first = b"\x00\x02" + b"\x00\x00\x00\x02ab" + b"\x00\x00\x00\x08" + (1).to_bytes(8, "big")
    assert binary_copy_data(same)[19:-2] == first + b"\x00\x02\x00\x00\x00\x02cd\x00\x00\x00\x08" + (2).to_bytes(8, "big")
    assert binary_copy_data(varying)[19:-2] == first + b"\x00\x02\x00\x00\x00\x01c\xff\xff\xff\xff"
