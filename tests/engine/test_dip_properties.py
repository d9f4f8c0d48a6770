"""Properties of the DIP grouper and clearing (issue 18, shared/spec/dip.md), over random grouping tables, cases
and parameters:

* every case gets exactly one group or none (未入组): the group the spec's rule picks (the longest matching
  `diag`, then the longest `oprn`, then the smallest `code`), checked against a plain search of every group;
  in the year's result each case appears once, and a case has a group, a kind and points together or none of
  them;
* a case's points are monotone in its cost inside each band (low, normal, high), and across the bands too:
  at one group and level, a higher cost never earns fewer points, and the kinds follow the costs in order;
* the fund total of the clearing equals the budget: Σ DIP amounts (points × point value − patients' share) of
  the institutions is the budget up to the spec's roundings (half a fen per institution for the amounts, half a
  millionth per point for the point value), and each institution's clearing is its DIP amount less what the
  fund paid by items.
"""
from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy_rules.engine.dip import (
    HIGH,
    LOW,
    NORMAL,
    POINT_SCALE,
    DipParams,
    dip_year,
    group_cases,
    groups_frame,
)
from policy_rules.engine.money import RATIO_SCALE

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# codes from a small alphabet, so that prefixes of groups and cases meet often
DIAGS = st.builds(lambda letter, num, tail: f"{letter}{num}.{tail}", st.sampled_from("KE"),
                  st.sampled_from(["35", "11", "13"]), st.text("089", min_size=1, max_size=3))
OPRNS = st.builds(lambda num, tail: f"{num}.{tail}", st.sampled_from(["47", "51", "36"]),
                  st.text("019", min_size=1, max_size=4))


def _prefix(draw, strategy, min_size: int):
    code = draw(strategy)
    return code[:draw(st.integers(min_size, len(code)))]


@st.composite
def tables(draw, min_size=0, max_size=12):
    """Group records (spec section 1) with unique codes; diag and oprn prefixes of the small alphabet's codes;
    a reference cost at levels 2 and 3 (sometimes missing at 2)."""
    n = draw(st.integers(min_size, max_size))
    codes = draw(st.lists(st.text("ABC0123", min_size=1, max_size=3), min_size=n, max_size=n, unique=True))
    groups = []
    for code in codes:
        oprn = None if draw(st.booleans()) else _prefix(draw, OPRNS, 1)
        ref = {"3": str(draw(st.integers(100, 50_000)))}
        if draw(st.integers(0, 3)):
            ref["2"] = str(draw(st.integers(100, 50_000)))
        groups.append({"code": code, "diag": _prefix(draw, DIAGS, 1), "oprn": oprn,
                       "points": str(draw(st.integers(1, 3000))), "ref_cost": ref})
    return groups


def spec_group(groups: list[dict], diag: str, oprn: str) -> str | None:
    """The group the spec's rule picks, by looking at every group."""
    matching = [g for g in groups if diag.startswith(g["diag"])
                and (oprn.startswith(g["oprn"]) if g["oprn"] else not oprn)]
    if not matching:
        return None
    best = min(matching, key=lambda g: (-len(g["diag"]), -len(g["oprn"] or ""), g["code"]))
    return best["code"]


@st.composite
def case_rows(draw, max_size=30):
    rows = []
    for _ in range(draw(st.integers(0, max_size))):
        fund = draw(st.integers(0, 5_000_000))
        rows.append({"inst": draw(st.sampled_from(["H1", "H2", "H3", "H4"])), "level": draw(st.sampled_from([2, 3])),
                     "diag": draw(DIAGS), "oprn": "" if draw(st.booleans()) else draw(OPRNS),
                     "fund": fund, "part": draw(st.integers(0, 2_000_000))})
    return rows


def cases_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"case_id": f"c{i}", "institution": r["inst"], "level": r["level"], "main_diag": r["diag"],
                          "main_oprn": r["oprn"], "medfee_fen": r["fund"] + r["part"], "fund_fen": r["fund"],
                          "psn_part_fen": r["part"]} for i, r in enumerate(rows)],
                        columns=["case_id", "institution", "level", "main_diag", "main_oprn", "medfee_fen",
                                 "fund_fen", "psn_part_fen"])


PARAMS = st.builds(lambda low, high, c2, c3, budget: DipParams.from_doc(
    {"low": f"{low / 100:.2f}", "high": f"{high / 100:.2f}", "coef": {"2": f"{c2 / 100:.2f}", "3": f"{c3 / 100:.2f}"},
     "budget": f"{budget / 100:.2f}"}),
    st.integers(0, 100), st.integers(100, 400), st.integers(1, 150), st.integers(1, 150), st.integers(0, 10**10))


@SETTINGS
@given(groups=tables(), rows=case_rows(), params=PARAMS)
def test_every_case_gets_exactly_one_group_or_none(groups, rows, params):
    frame = groups_frame(groups)
    cases = cases_frame(rows)
    picked = group_cases(cases["main_diag"], cases["main_oprn"], frame)
    assert len(picked) == len(rows)
    for row, got in zip(rows, picked, strict=True):
        assert -1 <= got < len(groups)
        assert (frame["code"][got] if got >= 0 else None) == spec_group(groups, row["diag"], row["oprn"])
    result = dip_year(cases, frame, params).cases
    assert list(result["case_id"]) == list(cases["case_id"])  # each case once, in order
    for row, got, case in zip(rows, picked, result.itertuples(), strict=True):
        grouped = case.group != ""
        assert grouped == (case.kind in (NORMAL, LOW, HIGH)) == (case.points_e4 >= 0)
        if grouped:  # the group picked, with a reference cost at the case's level
            assert case.group == frame["code"][got] and str(row["level"]) in groups[got]["ref_cost"]
        else:
            assert case.kind == "" and case.points_e4 == -1
            assert got < 0 or str(row["level"]) not in groups[got]["ref_cost"]


@SETTINGS
@given(points=st.integers(1, 5000), ref=st.integers(1, 10**7), level=st.sampled_from([2, 3]),
       costs=st.lists(st.integers(0, 10**8), min_size=2, max_size=40), params=PARAMS)
def test_points_are_monotone_in_cost_inside_each_band(points, ref, level, costs, params):
    groups = groups_frame([{"code": "G", "diag": "K35", "oprn": None, "points": str(points),
                            "ref_cost": {str(level): f"{ref / 100:.2f}"}}])
    costs = sorted(costs)
    cases = cases_frame([{"inst": "H", "level": level, "diag": "K35.800", "oprn": "", "fund": 0, "part": cost}
                         for cost in costs])
    result = dip_year(cases, groups, params).cases
    kinds, earned = list(result["kind"]), list(result["points_e4"])
    coef = params.coef_e6[level]
    normal_points = (2 * points * POINT_SCALE * coef + RATIO_SCALE) // (2 * RATIO_SCALE)
    for kind in (LOW, NORMAL, HIGH):
        band = [p for k, p in zip(kinds, earned, strict=True) if k == kind]
        assert band == sorted(band), kind
        if kind == NORMAL:
            assert set(band) <= {normal_points}
        elif kind == LOW:
            assert all(p <= normal_points for p in band)
        else:
            assert all(p >= normal_points for p in band)
    # the bands follow the costs in order (low, then normal, then high), so the points are monotone across them
    order = {LOW: 0, NORMAL: 1, HIGH: 2}
    assert [order[k] for k in kinds] == sorted(order[k] for k in kinds)
    assert earned == sorted(earned)


@SETTINGS
@given(groups=tables(min_size=1), rows=case_rows(max_size=40), params=PARAMS)
def test_the_fund_total_of_the_clearing_is_the_budget(groups, rows, params):
    result = dip_year(cases_frame(rows), groups_frame(groups), params)
    institutions = result.institutions
    total_points = int(institutions["points_e4"].sum())
    if total_points == 0:
        assert result.point_value_e6 == 0
        return
    dip_total = int(institutions["dip_amount_fen"].sum())
    # |Σ DIP amounts − budget| ≤ n × ½ fen (each amount rounded to the fen) + Σ points × ½ × 10⁻⁶ yuan
    # (the point value rounded to 6 decimals); in fen × 2 × 10⁸: n × 10⁸ + Σ points_e4
    assert 2 * 10**8 * abs(dip_total - params.budget_fen) <= len(institutions) * 10**8 + total_points
    assert (institutions["clearing_fen"] == institutions["dip_amount_fen"] - institutions["fund_paid_fen"]).all()
    # the institutions' figures add up to the grouped cases'
    grouped = result.cases["points_e4"] >= 0
    assert total_points == int(result.cases.loc[grouped, "points_e4"].sum())
