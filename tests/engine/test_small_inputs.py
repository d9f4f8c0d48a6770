"""The engine's shortcuts for small inputs (one visit at the counter) give exactly what its pandas paths give.

engine.lookup's dict and set look-ups, the typed columns of the frame builders, the audit's Python
formatting and the rule cache (audit.schema.prepared) each stand in for a pandas or numpy call on small
inputs. Here the same inputs run with the shortcuts and with them switched off (every size above SMALL),
and the frames must agree in columns, dtypes and values; the helpers are also checked one by one.
"""
from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from policy_rules.engine import adjudicate, classify, lookup
from policy_rules.engine.adjudicate import _prepare, _text_column
from policy_rules.engine.audit import (
    AuditRule,
    default_rules,
    evidence,
    normalize_params,
    run_audit,
    schema,
    validate_rule,
)
from policy_rules.engine.audit import context as audit_context
from policy_rules.engine.audit.rules import lines as line_rules
from policy_rules.engine.cases import case_frames
from policy_rules.engine.frames import datetime_column, inferred_column
from policy_rules.engine.lines import split_columns

from .audit_builders import ITEMS, catalog, frames, history, line, visit

CASES = sorted(Path(__file__).resolve().parents[3].joinpath("shared", "cases").glob("*.json"))


@pytest.fixture
def no_shortcuts(monkeypatch):
    """Every small-input shortcut off: the pandas and numpy paths decide, as for a large batch."""
    for module in (lookup, audit_context, line_rules):
        monkeypatch.setattr(module, "SMALL", -1)
    monkeypatch.setattr(evidence, "SMALL", -1)
    monkeypatch.setattr(schema, "_plain", lambda value: False)  # no rule kept: each validated and normalized anew


def canonical(df: pd.DataFrame) -> tuple:
    return (list(df.columns), [str(t) for t in df.dtypes], str(df.index),
            [[(type(v).__name__, repr(v)) for v in df[c].to_numpy()] for c in df.columns])


def random_batch(seed: int, n_visits: int) -> dict:
    """Visits of a few persons at two institutions with the test catalog's items: repeats, restricted
    items, fees outside the stay, open stays, diagnoses as tuples and as strings; stored visits overlapping
    them; institution statistics."""
    rng = random.Random(seed)
    codes = [i["code"] for i in ITEMS] + ["UNKNOWN"]
    visits = []
    for i in range(n_visits):
        day = 1 + rng.randrange(20)
        med_type = rng.choice(["11", "14", "21", "21"])
        begn = f"2026-03-{day:02d} 08:00"
        end = None if rng.random() < 0.1 else f"2026-03-{day + rng.randrange(0, 6):02d} 10:00"
        lines = []
        for _ in range(rng.randrange(1, 12)):
            fee_day = day + rng.randrange(-1, 7)
            when = None if rng.random() < 0.1 else f"2026-03-{min(max(fee_day, 1), 28):02d} {rng.randrange(6, 23):02d}:00"
            lines.append(line(rng.choice(codes), cnt=str(rng.choice([1, 1, 2, 3, 30])),
                              pric=rng.choice(["25.00", "40.00", "12.50", "0.30"]), time=when))
            if rng.random() < 0.1:
                lines.append(dict(lines[-1]))  # uploaded twice
        dx = rng.choice([("I10",), ("E11.9", "K35.8"), "E11.9,N97", (), ("o26.2",), "C83.3|E13", ("N97;O26.2", "I10")])
        visits.append(visit(f"V{i}", lines=lines, psn_no=f"P{rng.randrange(max(1, n_visits // 3))}",
                            inst=rng.choice(["H1", "H2"]), med_type=med_type, begn=begn, end=end,
                            level=rng.randrange(0, 4), gender=rng.choice(["1", "2"]), age=rng.randrange(1, 90), dx=dx))
    # diagnoses with and without separators in one visit, and an item whose indication none of them meets
    visits.append(visit("V-DX", lines=[line("MET", time="2026-03-02 09:00")], dx=("N97;O26.2", "I10", "j18.9")))
    lines, vis = frames(visits)
    stored = history([visit(None, psn_no=v["psn_no"], inst=rng.choice(["H1", "H2"]), med_type="21",
                            begn="2026-02-20 08:00", end=f"2026-03-{1 + rng.randrange(10):02d} 09:00")
                      for v in visits[::2]])
    stats = pd.DataFrame({"fixmedins_code": ["H1", "H1", "H2", "H2"], "med_type": ["21", "11", "21", "11"],
                          "avg_amount_fen": np.array([2000, 500, 9000, 300], np.int64),
                          "visits": np.array([500, 500, 500, 500], np.int64)})
    return {"lines": lines, "visits": vis, "catalog": catalog(), "history": stored, "inst_stats": stats}


@pytest.mark.parametrize("seed,n_visits", [(1, 1), (2, 1), (3, 2), (4, 12), (5, 60)])
def test_audit_shortcuts_change_nothing(seed, n_visits, monkeypatch, no_shortcuts):
    batch = random_batch(seed, n_visits)
    rules = default_rules(ITEMS) + [
        AuditRule("X-IND", "indication", {"items": {"MET": ["E11", "R73"], "F": ["N97", "O26.2"]}}, "suspect"),
        AuditRule("X-FREQ", "frequency", {"codes": ["001", "BED"], "max": 1, "per": "day"}),
        AuditRule("X-CRS", "course_limit", {"codes": ["IV", "AMOX"], "max_days": 2}),
    ]
    forced = canonical(run_audit(rules=rules, **batch))
    monkeypatch.undo()
    assert canonical(run_audit(rules=rules, **batch)) == forced
    assert canonical(run_audit(rules=rules, **batch)) == forced  # and again with the kept rules


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_adjudicate_shortcuts_change_nothing(path, monkeypatch, no_shortcuts):
    doc = case_frames(json.loads(path.read_text()))
    forced = adjudicate(**doc)
    forced_split = classify(doc["lines"], doc["visits"], doc["persons"], doc["catalog"], doc["policies"])
    monkeypatch.undo()
    got = adjudicate(**doc)
    for name in ("lines", "settlements", "deltas", "state", "accounts"):
        assert canonical(getattr(got, name)) == canonical(getattr(forced, name)), name
    got_split = classify(doc["lines"], doc["visits"], doc["persons"], doc["catalog"], doc["policies"])
    assert canonical(got_split) == canonical(forced_split)


# --- the helpers one by one --------------------------------------------------------------------------------

def test_lookups_agree_with_pandas():
    keys = np.array(["b", "a", "c"], dtype=object)
    values = np.array(["a", "z", "c", "a"], dtype=object)
    assert lookup.str_lookup(lookup.str_table(keys), values).tolist() == pd.Index(keys).get_indexer(values).tolist()
    assert lookup.str_isin(values, ["a", "c"]).tolist() == np.isin(values, ["a", "c"]).tolist()
    codes, uniques = lookup.str_factorize(values)
    want_codes, want_uniques = pd.factorize(values)
    assert codes.tolist() == want_codes.tolist() and uniques.tolist() == want_uniques.tolist()
    assert lookup.str_first(values).tolist() == (~pd.Index(values).duplicated(keep="first")).tolist()
    assert lookup.last_table(values) == {"a": 3, "z": 1, "c": 2}
    # where pandas would decide otherwise (or raise), the helpers step aside
    assert lookup.str_table(np.array(["a", "a"], dtype=object)) is None  # duplicates: get_indexer raises
    assert lookup.str_factorize(np.array(["a", None], dtype=object)) is None  # pandas codes None as -1
    assert lookup.str_isin(np.array([1, 2], dtype=object), [1]) is None
    assert lookup.str_lookup(lookup.str_table(keys), np.array(["a"] * (lookup.SMALL + 1), dtype=object)) is None


@pytest.mark.parametrize("values", [
    ["a", "b"], ["a", None], [None, None], [], ["", "x"], ["a", float("nan")], [1, None], [1, 2],
    [dt.datetime(2026, 3, 1, 9), None], [dt.datetime(2026, 3, 1, 9)], [True, None], ["a", pd.NaT], ["a", pd.NA],
])
@pytest.mark.filterwarnings("ignore:Downcasting object dtype arrays:FutureWarning")  # fillna's own, on ints
def test_filled_text_is_fillna(values):
    column = pd.Series(values, dtype=object)
    got = lookup.filled_text(column.to_numpy(dtype=object))
    want = column.fillna("").to_numpy(dtype=object)
    if got is None:  # not only str and None: fillna's rules decide (it also converts what it does not fill)
        assert not all(type(v) is str or v is None for v in values)
    else:
        assert [(type(v), v) for v in got.tolist()] == [(type(v), v) for v in want.tolist()]
    # adjudicate's text columns give fillna's answer, by the helper or not
    for as_str in (False, True):
        plain = column.fillna("")
        plain = (plain.astype(str) if as_str else plain).to_numpy(dtype=object)
        text = _text_column(column, as_str=as_str)
        assert [(type(v), repr(v)) for v in text.tolist()] == [(type(v), repr(v)) for v in plain.tolist()]


def test_classify_lines_is_split_columns_as_a_frame():
    doc = case_frames(json.loads(CASES[0].read_text()))
    split = classify(doc["lines"], doc["visits"], doc["persons"], doc["catalog"], doc["policies"])
    vis, lpos, pol, ctx = _prepare(doc["lines"], doc["visits"], doc["persons"], doc["policies"])
    columns = split_columns(doc["lines"], ctx, doc["catalog"])
    assert canonical(pd.DataFrame(columns)) == canonical(split)


@pytest.mark.parametrize("values", [
    ["a", "b"], [1, 2, -3], [2**63 - 1, -(2**63)], [2**63], [True, False], [1.5, float("nan")], [1, 2.5],
    ["a", None], [None, None], [1, True], [Decimal("1.5")], [dt.date(2026, 3, 1)], [dt.datetime(2026, 3, 1, 9)],
    [np.int64(3)], [],
])
def test_inferred_column_is_what_pandas_infers(values):
    want = pd.DataFrame({"c": values if values else np.empty(0, dtype=object)})
    assert canonical(pd.DataFrame({"c": inferred_column(list(values))})) == canonical(want)


@pytest.mark.parametrize("values", [
    [dt.datetime(2026, 3, 1, 9, 30, 15, 123456), None], [dt.date(2026, 3, 1), None, dt.date(1999, 12, 31)],
    [dt.datetime(2026, 3, 1), dt.date(2026, 3, 2)], [None],
    [dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), None], [pd.Timestamp("2026-03-01 09:00"), None],
    [dt.date(2262, 1, 1), dt.date(2026, 3, 1)], [dt.datetime(1678, 1, 1, 1), None, dt.datetime(2261, 12, 31)],
])
def test_datetime_column_is_pandas_to_datetime(values):
    got = pd.Series(datetime_column(values))
    want = pd.to_datetime(pd.Series(values, dtype=object))
    assert got.dtype == want.dtype and got.astype(str).tolist() == want.astype(str).tolist()


def test_datetime_column_out_of_range_as_pandas():
    with pytest.raises(pd.errors.OutOfBoundsDatetime):
        pd.to_datetime(pd.Series([dt.datetime(1500, 1, 1)], dtype=object))
    with pytest.raises(pd.errors.OutOfBoundsDatetime):
        datetime_column([dt.datetime(1500, 1, 1), None])


def test_formatting_shortcuts_agree_with_numpy(monkeypatch):
    nat = np.iinfo(np.int64).min
    amounts = np.array([0, 5, -5, 100, 123456, -(10**12) - 7, 2**62], np.int64)
    days = np.array([0, -1, 20513, nat, 2932896], np.int64)
    times = np.array([0, 1, 10**9 - 1, 1_772_000_000 * 10**9, nat], np.int64)
    small = [evidence.fmt_scaled(amounts, d, m) for d, m in ((0, 0), (2, 2), (4, 0), (6, 0))]
    small += [evidence.fmt_day(days), evidence.fmt_time(times)]
    monkeypatch.setattr(evidence, "SMALL", -1)
    large = [evidence.fmt_scaled(amounts, d, m) for d, m in ((0, 0), (2, 2), (4, 0), (6, 0))]
    large += [evidence.fmt_day(days), evidence.fmt_time(times)]
    assert [a.tolist() for a in small] == [b.tolist() for b in large]


def test_prepared_rules_are_kept_by_content():
    params = {"codes": ["001"], "max": "1.0"}
    rule = AuditRule("K-1", "frequency", params)
    errors, normalized = schema.prepared(rule)
    assert errors == validate_rule(rule) == []
    assert normalized == normalize_params("frequency", params)
    params["codes"].append("002")  # the caller's own params change afterwards: the kept ones do not
    assert schema.prepared(AuditRule("K-1", "frequency", {"codes": ["001"], "max": "1.0"}))[1]["codes"] == ["001"]
    # equal but differently written values are checked on their own (5 decimals: an error)
    assert schema.prepared(AuditRule("K-1", "frequency", {"codes": ["001"], "max": Decimal("1.00001")}))[0]
    assert not schema.prepared(AuditRule("K-1", "frequency", {"codes": ["001"], "max": Decimal("1.0")}))[0]
    bad = AuditRule("K-2", "frequency", {"codes": [], "max": -1})
    assert schema.prepared(bad) == (validate_rule(bad), None)


@pytest.mark.parametrize("begin, birth", [
    ([dt.datetime(2026, 3, 1, 8, 30)], [dt.date(1960, 3, 1)]),
    ([dt.datetime(2026, 2, 28, 23, 59), dt.datetime(2024, 2, 29)], [dt.date(2000, 2, 29), dt.date(2020, 2, 29)]),
    ([dt.date(2026, 1, 1), dt.datetime(2026, 12, 31, 0, 0, 1)], [dt.date(2025, 12, 31), dt.date(1678, 1, 1)]),
    ((dt.datetime(2261, 12, 31),), (dt.date(1900, 1, 1),)),
])
def test_full_years_of_plain_dates_is_the_numpy_path(begin, birth):
    """full_years of a few plain dates and naive datetimes (Python) gives the values of its pandas path."""
    from policy_rules.engine.frames import full_years

    fast = full_years(begin, birth)
    assert fast.dtype == np.int64
    # the same values as a Series and an object array take pd.to_datetime's path
    slow = full_years(pd.Series(list(begin), dtype=object), np.array(list(birth), dtype=object))
    assert fast.tolist() == slow.tolist()
