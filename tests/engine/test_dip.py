"""DIP grouping, points, point value and clearing (shared/spec/dip.md), in the pure engine: the shared
worked example to the fen, and each rule of the spec on cases built by hand."""
import json
from pathlib import Path

import pandas as pd
import pytest

from policy_rules.engine.dip import (
    DipInputError,
    DipParams,
    dip_year,
    group_cases,
    groups_frame,
    point_value_e6,
)
from policy_rules.engine.dip_cases import compare_dip, dip_case_frames

SHARED = Path(__file__).resolve().parents[3] / "shared" / "cases-dip"
DIP_CASES = sorted(SHARED.glob("*.json"))


@pytest.mark.parametrize("path", DIP_CASES, ids=lambda p: p.stem)
def test_shared_dip_case_matches(path):
    doc = json.loads(path.read_text())
    cases, groups, params = dip_case_frames(doc)
    differences, matching, total = compare_dip(doc["expected"], dip_year(cases, groups, params))
    assert differences == []
    assert matching == total == len(doc["expected"]["cases"]) + len(doc["expected"]["institutions"]) + 1


def test_the_shared_example_exists():
    assert DIP_CASES, f"no DIP case files in {SHARED}"


GROUPS = groups_frame([
    {"code": "A", "diag": "K35", "oprn": "47.0", "points": "1000", "ref_cost": {"3": "10000"}},
    {"code": "A2", "diag": "K35.8", "oprn": "47.0", "points": "1100", "ref_cost": {"3": "10000"}},
    {"code": "A3", "diag": "K35.8", "oprn": "47.01", "points": "1200", "ref_cost": {"3": "10000"}},
    {"code": "A0", "diag": "K35.8", "oprn": "47.01", "points": "1300", "ref_cost": {"3": "10000"}},
    {"code": "C", "diag": "K35", "oprn": None, "points": "500", "ref_cost": {"3": "5000"}},
])


@pytest.mark.parametrize("diag,oprn,group", [
    ("K35.800", "47.0100", "A0"),   # longest diag, then longest oprn, then the smallest code (A0 < A3)
    ("K35.800", "47.0900", "A2"),   # the longer diag wins over A
    ("K35.900", "47.0900", "A"),
    ("k35.900 ", " 47.0900", "A"),  # codes compare trimmed and in upper case
    ("K35.900", None, "C"),         # no main procedure: only a conservative group
    ("K35.900", "99.0000", None),   # a procedure no group lists: not the conservative group either
    ("K36.000", "47.0100", None),
    ("K3", None, None),             # shorter than every prefix
])
def test_grouping_by_the_longest_prefixes(diag, oprn, group):
    got = group_cases(pd.Series([diag]), pd.Series([oprn]), GROUPS)[0]
    assert (GROUPS["code"][got] if got >= 0 else None) == group


def cases_frame(rows):
    return pd.DataFrame([{"case_id": str(i), "institution": r.get("inst", "H"), "level": r.get("level", 3),
                          "main_diag": r["diag"], "main_oprn": r.get("oprn", ""), "medfee_fen": r["fee"],
                          "fund_fen": r.get("fund", 0), "psn_part_fen": r["fee"] - r.get("fund", 0)}
                         for i, r in enumerate(rows)])


PARAMS = DipParams.from_doc({"low": "0.5", "high": "2", "coef": {"3": "0.95", "2": "0.9"}, "budget": "100000"})


@pytest.mark.parametrize("fee_fen,kind,points", [
    # group C: 500 points, reference cost 5,000.00 at level 3; coefficient 0.95
    (250_000, "normal", "475.0000"),     # ratio 0.5 exactly: normal (the bound is included)
    (249_999, "low", "237.4991"),        # 0.499998 × 500 × 0.95 = 237.49905 → half up
    (1_000_000, "normal", "475.0000"),   # ratio 2 exactly: normal
    (1_000_001, "high", "475.0010"),     # (2.000002 − 2 + 1) × 500 × 0.95 = 475.00095 → half up
])
def test_kinds_and_points_rounded_to_four_decimals(fee_fen, kind, points):
    result = dip_year(cases_frame([{"diag": "K35.1", "fee": fee_fen}]), GROUPS, PARAMS)
    row = result.cases.iloc[0]
    assert row["kind"] == kind
    assert f"{row['points_e4'] // 10_000}.{row['points_e4'] % 10_000:04d}" == points


def test_no_reference_cost_at_the_level_is_ungrouped_and_earns_nothing():
    result = dip_year(cases_frame([{"diag": "K35.1", "fee": 300_000, "level": 2, "fund": 200_000},
                                   {"diag": "K35.1", "fee": 300_000, "fund": 200_000}]), GROUPS, PARAMS)
    assert list(result.cases["group"]) == ["", "C"] and list(result.cases["points_e4"]) == [-1, 4_750_000]
    # only the grouped case counts: (100,000.00 + 1,000.00) ÷ 475 points
    assert result.point_value_e6 == 212_631_579  # 212.631578947... → 212.631579
    h = result.institutions.set_index("institution").loc["H"]
    assert h["patient_share_fen"] == 100_000 and h["fund_paid_fen"] == 200_000
    # round(475 × 212.631579, 2) = 101,000.00 (101,000.000025) − 1,000.00 share = 100,000.00
    assert h["dip_amount_fen"] == 10_000_000 and h["clearing_fen"] == 9_800_000


def test_point_value_is_zero_without_points():
    assert point_value_e6(100, 0, 0) == 0


def test_a_level_without_a_coefficient_is_named():
    with pytest.raises(DipInputError, match="level 1"):
        dip_year(cases_frame([{"diag": "K35.1", "fee": 300_000, "level": 1}]),
                 groups_frame([{"code": "C", "diag": "K35", "points": "500", "ref_cost": {"1": "5000"}}]), PARAMS)


def test_a_case_whose_parts_do_not_add_up_is_refused():
    doc = json.loads(DIP_CASES[0].read_text())
    doc["cases"][0]["psn_part_amt"] = "1.00"
    with pytest.raises(DipInputError, match=r"cases\[0\]"):
        dip_case_frames(doc)
