"""Frames handed over as their columns (policy_rules.engine.columnar) give exactly what the frames give.

The counter's reader hands the engine and the write plan each frame as a Columns (its arrays, the frame built
only on demand), adjudicate hands its result so, and the plan its rows. Here every shared worked example runs
with frames and with Columns, and the results, frame by frame, must agree in columns, dtypes and values; the
checks that decide whether a Columns may stand for a frame are tried one by one.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from claims.settlement.plan import LINE_KEYS, plan_settlements
from policy_rules.engine import adjudicate, classify
from policy_rules.engine.cases import case_frames
from policy_rules.engine.columnar import Columns, column, columns_or_frame, exact_columns, frame_of
from policy_rules.engine.lookup import SMALL

RESULT_FRAMES = ("lines", "settlements", "deltas", "state", "accounts")
CASES = sorted(Path(__file__).resolve().parents[3].joinpath("shared", "cases").glob("*.json"))


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def canonical(df: pd.DataFrame) -> tuple:
    return (list(df.columns), [str(t) for t in df.dtypes], str(df.index),
            [[(type(v).__name__, repr(v)) for v in df[c].to_numpy()] for c in df.columns])


def as_columns(frame: pd.DataFrame) -> Columns:
    found = exact_columns({c: frame[c].to_numpy().copy() for c in frame.columns})
    assert found is not None, f"{list(frame.columns)} {list(frame.dtypes)}"
    return found


@pytest.mark.parametrize("values", [
    np.array([1, 2], dtype=np.int64), np.array([True, False]), np.array([1.5, np.nan]),
    np.array(["a", None], dtype=object), np.array([None, None], dtype=object), _objects([("21",), ()]),
    np.array(["2026-03-01T09:00", "NaT"], dtype="datetime64[ns]"),
])
def test_the_columns_kept_are_the_frames_columns(values):
    found = exact_columns({"c": values})
    assert found is not None and len(found) == len(values)
    frame = pd.DataFrame({"c": values.copy()})
    assert canonical(found.frame) == canonical(frame)
    assert [(type(v), repr(v)) for v in column(found, "c").tolist()] == \
        [(type(v), repr(v)) for v in frame["c"].to_numpy().tolist()]


@pytest.mark.parametrize("data", [
    {"c": ["a", "b"]},  # a list: pandas infers
    {"c": np.array([dt.date(2026, 3, 1)], dtype=object)},  # dates in an object array: pandas converts them
    {"c": np.array([pd.Timestamp("2026-03-01")], dtype=object)},
    {"c": np.array([1, 2], dtype=np.int32)},  # a dtype the frame need not keep as it is
    {"c": np.array(["2026-03-01"], dtype="datetime64[D]")},  # pandas holds seconds, not days
    {"c": np.arange(SMALL + 1)},  # a large frame is always built
])
def test_what_a_frame_would_convert_is_built_as_a_frame(data):
    assert exact_columns(data) is None
    assert isinstance(columns_or_frame(data), pd.DataFrame)


def test_columns_of_two_lengths_are_no_columns():
    assert exact_columns({"c": np.arange(2), "d": np.arange(3)}) is None


def test_texts_skips_only_the_look_at_the_values():
    dates = {"c": np.array([dt.date(2026, 3, 1)], dtype=object)}
    assert exact_columns(dates) is None and exact_columns(dates, texts=True) is not None
    assert exact_columns({"c": ["a"]}, texts=True) is None


def test_a_frame_once_built_is_what_the_columns_are_read_from():
    part = exact_columns({"c": np.array([1, 2], dtype=np.int64)})
    assert part.current()["c"].tolist() == [1, 2]
    part.frame["c"] = [5, 6]  # someone changed the frame they asked for
    assert part.current()["c"].tolist() == [5, 6] and frame_of(part) is part.frame


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_adjudicate_and_plan_on_columns_are_on_frames(path):
    doc = case_frames(json.loads(path.read_text()))
    inputs = {k: doc[k] for k in ("lines", "visits", "persons", "catalog", "state")}
    as_parts = {k: as_columns(v) for k, v in inputs.items()}
    on_frames = adjudicate(**inputs, policies=doc["policies"])
    on_columns = adjudicate(**as_parts, policies=doc["policies"])
    for name in RESULT_FRAMES:
        assert canonical(getattr(on_columns, name)) == canonical(getattr(on_frames, name)), name
        columns = on_columns.columns(name)
        assert list(columns) == list(getattr(on_frames, name).columns)
    assert canonical(classify(**{k: as_parts[k] for k in ("lines", "visits", "persons", "catalog")},
                              policies=doc["policies"])) == \
        canonical(classify(**{k: inputs[k] for k in ("lines", "visits", "persons", "catalog")},
                           policies=doc["policies"]))

    # the plan of either, with the keys as frames and as Columns
    v, lines = doc["visits"], doc["lines"]
    visit_keys = pd.DataFrame({"mdtrt_id": v["mdtrt_id"], "visit_id": 100 + np.arange(len(v)),
                               "person_id": 7 + np.arange(len(v)), "institution_id": np.full(len(v), 9),
                               "med_type": v["med_type"], "setl_time": v["setl_time"]})
    line_keys = pd.DataFrame({"mdtrt_id": lines["mdtrt_id"], "feedetl_sn": lines["feedetl_sn"],
                              "fee_line_id": 1000 + np.arange(len(lines))})
    for c in LINE_KEYS[3:]:
        line_keys[c] = np.full(len(lines), "", dtype=object) if c in ("stored_chrgitm_lv", "stored_reason") \
            else np.full(len(lines), -1)
    versions = {p.code: 42 for p in doc["policies"]}
    want = plan_settlements(on_frames, visit_keys, line_keys, versions)
    got = plan_settlements(on_columns, as_columns(visit_keys), as_columns(line_keys), versions)
    for name in ("settlements", "lines", "fee_lines", "accumulations", "movements"):
        w, g = getattr(want, name), getattr(got, name)
        if name == "settlements":  # random ids
            w, g = w.drop(columns="setl_id"), g.drop(columns="setl_id")
        assert canonical(g) == canonical(w), name
    assert got.visit_ids.tolist() == want.visit_ids.tolist()
