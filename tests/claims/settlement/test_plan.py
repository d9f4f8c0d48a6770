"""claims.settlement.plan: the rows a settlement writes, computed from the engine's result without a database."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from claims.settlement import plan as plan_module
from claims.settlement.plan import (
    LINE_KEYS,
    PlanInputError,
    new_setl_ids,
    plan_fee_lines,
    plan_settlements,
)
from tests.engine.builders import benefit, one_person, pack, settle, visit

PACK = pack(benefit("310", "21", deductible={"per": "year", "amount": "100"}, ratio={lv: "0.80" for lv in "0123"}),
            code="P2026", personal_account={"insutypes": ["310"], "med_types": ["21"]})


def keys(frames, *, stored=None):
    """Keys as a reader gives them: visit i → ids 100+i; line k → fee line 1000+k; the stored split as `stored`."""
    v = frames["visits"]
    visit_keys = pd.DataFrame({
        "mdtrt_id": v["mdtrt_id"], "visit_id": 100 + np.arange(len(v)), "person_id": 7,
        "institution_id": 9, "med_type": v["med_type"], "setl_time": v["setl_time"],
    })
    lines = frames["lines"]
    line_keys = pd.DataFrame({"mdtrt_id": lines["mdtrt_id"], "feedetl_sn": lines["feedetl_sn"],
                              "fee_line_id": 1000 + np.arange(len(lines))})
    for c in LINE_KEYS[3:]:
        line_keys[c] = "" if c in ("stored_chrgitm_lv", "stored_reason") else -1
    if stored is not None:
        for c, value in stored.items():
            line_keys[c] = value
    return visit_keys, line_keys


def test_every_row_of_a_settlement():
    frames = one_person(PACK, [visit("1000.00", setl_time="2026-03-05T10:00:00"),
                               visit("500.00", begntime="2026-03-10T08:00:00", setl_time="2026-03-12T09:00:00")],
                        acct_balance="50.00")
    result = settle(frames)
    visit_keys, line_keys = keys(frames)
    plan = plan_settlements(result, visit_keys, line_keys, {"P2026": 42})

    s = plan.settlements
    assert s["ref"].tolist() == [0, 1]
    assert s["visit_id"].tolist() == [100, 101] and set(s["policy_version_id"]) == {42}
    assert [sid[:9] for sid in s["setl_id"]] == ["S20260305", "S20260312"]
    assert all(len(sid) == 25 for sid in s["setl_id"]) and s["setl_id"].is_unique
    # the 14 amounts and the balance, as the engine computed them (fen)
    engine = result.settlements.set_index("mdtrt_id")
    for c in ("medfee_sumamt", "hifp_pay", "psn_cash_pay", "acct_pay", "balc"):
        assert s[c].tolist() == engine.loc[s["mdtrt_id"], c].tolist()
    assert s["medfee_sumamt"].tolist() == [100000, 50000]

    assert plan.lines["settlement_ref"].tolist() == [0, 1]
    assert plan.lines["fee_line_id"].tolist() == [1000, 1001]
    assert plan.lines["det_item_fee_sumamt"].tolist() == [100000, 50000]
    # nothing was classified before: every line's split is written to its fee line
    assert sorted(plan.fee_lines["fee_line_id"]) == [1000, 1001]

    deltas = result.deltas
    assert len(plan.accumulations) == len(deltas)
    assert plan.accumulations["delta"].sum() == deltas["delta"].sum()
    totals = plan.accumulator_totals()
    assert totals.groupby("kind")["delta"].sum().to_dict() == deltas.groupby("kind")["delta"].sum().to_dict()

    # the account pays the first visit's share first, then the second; the last balance is the account's
    paying = s[s["acct_pay"] > 0]
    assert len(paying) >= 1
    assert plan.movements["settlement_ref"].tolist() == paying["ref"].tolist()
    assert (plan.movements["amount_fen"] == -paying["acct_pay"].to_numpy()).all()
    assert plan.balances.to_dict("records") == [{"person_id": 7, "balance_fen": int(s["balc"].iloc[-1])}]
    assert plan.visit_ids.tolist() == [100, 101]


def test_a_visit_without_a_policy_is_held_and_writes_nothing():
    frames = one_person(PACK, [visit("1000.00"), visit("300.00", setl_time="2027-02-01T08:00:00")])
    result = settle(frames)
    visit_keys, line_keys = keys(frames)
    plan = plan_settlements(result, visit_keys, line_keys, {"P2026": 42})
    assert plan.settlements["mdtrt_id"].tolist() == ["V1"]
    assert plan.lines["fee_line_id"].tolist() == [1000]
    assert plan.fee_lines["fee_line_id"].tolist() == [1000]
    assert plan.visit_ids.tolist() == [100]


def test_a_line_that_already_holds_its_split_is_not_rewritten():
    frames = one_person(PACK, [visit("1000.00")])
    result = settle(frames)
    split = result.lines.iloc[0]
    stored = {"stored_fulamt_ownpay_amt": int(split["fulamt_ownpay_amt"]),
              "stored_overlmt_selfpay": int(split["overlmt_selfpay"]),
              "stored_preselfpay_amt": int(split["preselfpay_amt"]),
              "stored_inscp_scp_amt": int(split["inscp_scp_amt"]),
              "stored_selfpay_prop_e6": int(split["selfpay_prop_e6"]),
              "stored_chrgitm_lv": split["chrgitm_lv"], "stored_reason": split["reason"] or ""}
    visit_keys, line_keys = keys(frames, stored=stored)
    plan = plan_settlements(result, visit_keys, line_keys, {"P2026": 42})
    assert plan.fee_lines.empty
    assert len(plan.lines) == 1  # the settlement line is written all the same
    changed = plan_fee_lines(result.lines, line_keys.assign(stored_inscp_scp_amt=0))
    assert changed["fee_line_id"].tolist() == [1000]


def test_keys_that_do_not_cover_the_result_are_refused():
    frames = one_person(PACK, [visit("1000.00")])
    result = settle(frames)
    visit_keys, line_keys = keys(frames)
    with pytest.raises(PlanInputError):
        plan_settlements(result, visit_keys.iloc[:0], line_keys, {"P2026": 42})
    with pytest.raises(PlanInputError):
        plan_settlements(result, visit_keys, line_keys.iloc[:0], {"P2026": 42})
    with pytest.raises(PlanInputError):
        plan_settlements(result, visit_keys, line_keys, {})


def test_setl_ids_carry_the_local_day():
    ids = new_setl_ids([dt.datetime(2026, 12, 31, 23, 59, 59), dt.datetime(2027, 1, 1)])
    assert [i[:9] for i in ids] == ["S20261231", "S20270101"]
    assert all(c in "0123456789ABCDEF" for i in ids for c in i[9:])
    assert len(new_setl_ids([])) == 0


def _plans_by_both_paths(monkeypatch, result, visit_keys, line_keys, version_ids):
    """The plan by the small-input path and by the pandas path (the small path switched off)."""
    assert plan_module._small_plan(result, visit_keys, line_keys, version_ids) is not None  # taken
    small = plan_module.plan_settlements(result, visit_keys, line_keys, version_ids)
    with monkeypatch.context() as m:
        m.setattr(plan_module, "_small_plan", lambda *args: None)
        m.setattr(plan_module, "SMALL", -1)  # new_setl_ids' pandas path too
        large = plan_module.plan_settlements(result, visit_keys, line_keys, version_ids)
    return small, large


def _same_frames(a: pd.DataFrame, b: pd.DataFrame, ignore=()) -> None:
    assert list(a.columns) == list(b.columns)
    assert list(a.dtypes) == list(b.dtypes)
    pd.testing.assert_frame_equal(a.drop(columns=list(ignore)), b.drop(columns=list(ignore)), check_exact=True)
    for c in a.columns:
        if c not in ignore and a[c].dtype == object:
            assert [type(v) for v in a[c]] == [type(v) for v in b[c]], c


@pytest.mark.parametrize("case", ["two visits paying from the account", "a held visit", "stored split",
                                  "ineligible", "no account"])
def test_the_small_path_gives_the_pandas_paths_plan(monkeypatch, case):
    """One visit's plan is computed by dict look-ups; the frames (columns, dtypes, values) are pandas'."""
    stored = None
    if case == "a held visit":
        frames = one_person(PACK, [visit("1000.00"), visit("300.00", setl_time="2027-02-01T08:00:00")])
    elif case == "no account":
        frames = one_person(PACK, [visit("1000.00"), visit("20.00", begntime="2026-03-02T08:00:00")])
    elif case == "ineligible":
        frames = one_person(PACK, [visit("1000.00", med_type="11")], acct_balance="50.00")
    else:
        frames = one_person(PACK, [visit("1000.00", setl_time="2026-03-05T10:00:00"),
                                   visit("500.00", begntime="2026-03-10T08:00:00", setl_time="2026-03-12T09:00:00")],
                            acct_balance="50.00")
    result = settle(frames)
    if case == "stored split":
        stored = {"stored_inscp_scp_amt": [0, int(result.lines["inscp_scp_amt"].iloc[1])],
                  "stored_chrgitm_lv": ["", result.lines["chrgitm_lv"].iloc[1]]}
    visit_keys, line_keys = keys(frames, stored=stored)
    small, large = _plans_by_both_paths(monkeypatch, result, visit_keys, line_keys, {"P2026": 42})
    assert [i[:9] for i in small.settlements["setl_id"]] == [i[:9] for i in large.settlements["setl_id"]]
    _same_frames(small.settlements, large.settlements, ignore=("setl_id",))
    for name in ("lines", "fee_lines", "accumulations", "movements"):
        _same_frames(getattr(small, name), getattr(large, name))
    assert small.visit_ids.tolist() == large.visit_ids.tolist() and small.visit_ids.dtype == large.visit_ids.dtype
    pd.testing.assert_frame_equal(small.balances, large.balances)
    pd.testing.assert_frame_equal(small.accumulator_totals(), large.accumulator_totals())


def test_lines_in_the_engines_order_are_joined_by_position_as_the_merge_joins_them(monkeypatch):
    """The night hands the planner the keys of exactly the lines it gave the engine, in that order: _split_of then
    joins by position; the result is the merge's. Lines in another order (or not one for one) take the merge."""
    frames = one_person(PACK, [visit("1000.00"), visit("500.00", begntime="2026-03-10T08:00:00",
                                                       setl_time="2026-03-12T09:00:00")], acct_balance="50.00")
    result = settle(frames)
    _, line_keys = keys(frames)
    line_keys["stored_inscp_scp_amt"] = np.arange(len(line_keys), dtype=np.int64)
    assert plan_module._same_lines(result.lines, line_keys)
    by_position = plan_module._split_of(result.lines, line_keys)
    with monkeypatch.context() as m:
        m.setattr(plan_module, "_same_lines", lambda split, lines: False)
        merged = plan_module._split_of(result.lines, line_keys)
    pd.testing.assert_frame_equal(by_position.reset_index(drop=True), merged, check_exact=True)
    shuffled = line_keys.iloc[::-1]
    assert not plan_module._same_lines(result.lines, shuffled)
    pd.testing.assert_frame_equal(plan_module._split_of(result.lines, shuffled), merged, check_exact=True)
    assert not plan_module._same_lines(result.lines, pd.concat([line_keys.iloc[:1]] * len(line_keys)))
