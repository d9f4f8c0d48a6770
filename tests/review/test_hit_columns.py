"""review.hits.hit_columns: the night's hits checked and read column by column, as hit_rows reads them row by row."""
import numpy as np
import pandas as pd
import pytest

from claims.errors import ServiceError
from policy_rules.engine.columnar import exact_columns
from review.hits import hit_columns, hit_rows

FRAME = pd.DataFrame({
    "rule_code": [" DUP-01", "BED-01", "X-1"], "rule_type": ["duplicate_charge", None, ""],
    "severity": ["suspect", "warn ", "warn"], "mdtrt_id": ["M1", "M2", np.str_("M3")],
    "feedetl_sns": [("2", "1"), np.str_("4"), None], "amount_fen": np.array([2500, 0, 7]),
    "evidence": ["e", None, float("nan")], "related_mdtrt_id": [None, "M1", ""],
})


def _by_column(rows: list[dict]) -> dict[str, list]:
    return {c: [r[c] for r in rows] for c in rows[0] if c != "line"}


def test_the_columns_are_hit_rows_values():
    cols = hit_columns(FRAME)
    assert cols == _by_column(hit_rows(FRAME))
    assert cols["feedetl_sns"] == [["2", "1"], ["4"], []] and cols["rule_code"][0] == "DUP-01"
    assert cols["evidence"][1:] == ["", ""] and cols["related_mdtrt_id"] == ["", "M1", ""]


def test_amounts_that_are_not_integers_are_read_as_hit_rows_reads_them():
    frame = FRAME.assign(amount_fen=[2500.0, 0.0, 7.0])
    assert hit_columns(frame) == _by_column(hit_rows(frame))
    assert hit_columns(frame)["amount_fen"] == [2500, 0, 7]


@pytest.mark.parametrize("change", [{"severity": ["suspect", "severe", "warn"]}, {"amount_fen": [1, -5, 2]},
                                    {"amount_fen": [1, "x", 2]}])
def test_a_frame_at_fault_fails_with_hit_rows_error(change):
    frame = FRAME.assign(**change)
    with pytest.raises(ServiceError) as by_row:
        hit_rows(frame)
    with pytest.raises(ServiceError) as by_column:
        hit_columns(frame)
    assert by_column.value.errors == by_row.value.errors and by_row.value.errors[0]["line"] == 1


def test_a_missing_column_fails_as_in_hit_rows():
    with pytest.raises(ServiceError) as err:
        hit_columns(FRAME.drop(columns=["evidence"]))
    assert err.value.errors[0]["code"] == "MISSING_COLUMNS"


def test_the_columns_of_hits_handed_over_as_columns_are_the_frames():
    """At the counter run_audit hands its few hits over as Columns (policy_rules.engine.columnar): read alike."""
    columns = exact_columns({c: FRAME[c].to_numpy().copy() for c in FRAME.columns})
    assert columns is not None
    assert hit_columns(columns) == hit_columns(FRAME)
    assert _by_column(hit_rows(columns)) == _by_column(hit_rows(FRAME))
