"""Special cases (特病单议) in the pure DIP engine (docs/dip.md, "Special-case review"): an approved special case is
an input column, not a second grouper. Grouped, it earns no points (kind `special`), is paid by items, and its
fund payment comes out of the budget before the point value is computed, so the fund still pays the budget."""
import json
from pathlib import Path

import numpy as np
import pytest

from policy_rules.engine.dip import SPECIAL, dip_year
from policy_rules.engine.dip_cases import dip_case_frames

EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "cases-dip"


@pytest.fixture
def worked():
    paths = sorted(EXAMPLE.glob("*.json"))
    assert paths, f"no DIP case files in {EXAMPLE}"
    doc = next(json.loads(p.read_text()) for p in paths
               if {c["setl_id"] for c in json.loads(p.read_text())["cases"]} >= {"c1", "c3", "c6"})
    return dip_case_frames(doc)


def _by_case(result):
    return {c.case_id: (c.group, c.kind, c.points_e4) for c in result.cases.itertuples()}


def test_c3_approved_as_a_special_case_reproduces_the_docs_example(worked):
    cases, groups, params = worked
    cases = cases.assign(special=cases["case_id"].eq("c3"))
    result = dip_year(cases, groups, params)
    got = _by_case(result)
    assert got["c3"] == ("A", SPECIAL, -1)  # keeps its group, earns no points
    assert got["c1"] == ("A", "normal", 10_000_000) and got["c6"] == ("", "", -1)
    # (30,900 − 19,000 + 6,500) ÷ 2,840 = 6.4788732… → 6.478873
    assert result.point_value_e6 == 6_478_873
    inst = {r.institution: r for r in result.institutions.itertuples()}
    h1, h2 = (inst[k] for k in sorted(inst))
    assert (h1.points_e4, h1.patient_share_fen, h1.fund_paid_fen, h1.special_fund_fen, h1.dip_amount_fen,
            h1.clearing_fen) == (14_000_000, 300_000, 2_900_000, 1_900_000, 2_507_042, -392_958)
    assert (h2.points_e4, h2.patient_share_fen, h2.fund_paid_fen, h2.special_fund_fen, h2.dip_amount_fen,
            h2.clearing_fen) == (14_400_000, 350_000, 1_000_000, 0, 582_958, -417_042)
    assert int(result.institutions["dip_amount_fen"].sum()) == params.budget_fen == 3_090_000


def test_without_the_column_nothing_changes(worked):
    cases, groups, params = worked
    plain = dip_year(cases, groups, params)
    none_special = dip_year(cases.assign(special=False), groups, params)
    assert plain.point_value_e6 == none_special.point_value_e6 == 10_000_000
    assert _by_case(plain) == _by_case(none_special)
    assert (plain.institutions["special_fund_fen"] == 0).all()


def test_an_ungrouped_case_marked_special_stays_ungrouped_and_outside_the_budget(worked):
    cases, groups, params = worked
    result = dip_year(cases.assign(special=cases["case_id"].eq("c6")), groups, params)
    assert _by_case(result)["c6"] == ("", "", -1)
    assert result.point_value_e6 == 10_000_000
    assert int(result.institutions["special_fund_fen"].sum()) == 0


def test_an_institution_with_only_special_cases_clears_nothing(worked):
    cases, groups, params = worked
    h2 = cases.loc[cases["case_id"] == "c4", "institution"].iloc[0]
    result = dip_year(cases.assign(special=cases["institution"].eq(h2)), groups, params)
    row = result.institutions.set_index("institution").loc[h2]
    assert (row.points_e4, row.patient_share_fen, row.clearing_fen) == (0, 0, 0)
    assert row.dip_amount_fen == row.fund_paid_fen == row.special_fund_fen == 1_000_000
    assert int(result.institutions["dip_amount_fen"].sum()) == params.budget_fen


def test_special_cases_beyond_the_budget_give_a_point_value_of_zero(worked):
    cases, groups, params = worked
    rich = cases.assign(special=cases["case_id"].isin(["c3"]),
                        fund_fen=np.where(cases["case_id"].eq("c3"), 10_000_000, cases["fund_fen"]))
    assert dip_year(rich, groups, params).point_value_e6 == 0
