"""CHS-DRG grouping on the DIP machinery (docs/drg.md), in the pure engine: the worked example to the fen,
with the points method and the rate method, and each grouping rule on cases built by hand."""
import copy
import json
from pathlib import Path

import pandas as pd
import pytest

from policy_rules.engine.dip import DipInputError
from policy_rules.engine.dip_cases import compare_dip, run_case_file
from policy_rules.engine.drg import drg_table, group_drg

CASES = sorted((Path(__file__).resolve().parents[2] / "policy_rules" / "fixtures" / "cases-drg").glob("*.json"))
EXAMPLE = json.loads(CASES[0].read_text())


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_drg_case_file_matches(path):
    doc = json.loads(path.read_text())
    differences, matching, total = compare_dip(doc["expected"], run_case_file(doc))
    assert differences == []
    assert matching == total == 6 + 1 + 1


def test_rate_method_pays_points_at_the_fixed_rate():
    doc = copy.deepcopy(EXAMPLE)
    doc["method"] = "drg_rate"
    doc["params"]["rate"] = "150"
    result = run_case_file(doc)
    h1 = result.institutions.set_index("institution").loc["H1"]
    assert result.point_value_e6 == 150_000_000
    assert (h1["dip_amount_fen"], h1["clearing_fen"]) == (10_950_000, 3_050_000)  # 109,500.00 and +30,500.00


TABLE = drg_table(EXAMPLE["drg_table"])


def group(main, oprn=None, secondary=()):
    cases = pd.DataFrame({"main_diag": [main], "main_oprn": [oprn or ""], "secondary": ["|".join(secondary)]})
    row, reason = group_drg(cases, TABLE)
    return (TABLE.drgs["code"][row[0]] if row[0] >= 0 else None), reason[0]


@pytest.mark.parametrize("main,oprn,secondary,want", [
    ("K25.000", "43.6001", ["J18.900"], ("GB11", "")),             # MCC
    ("K25.000", "43.6001", [], ("GB15", "")),                       # no complication
    ("K25.000", "43.6001", ["E11.900", "J18.900"], ("GB11", "")),   # the most severe counts
    ("K25.000", "43.5001", ["E11.900"], ("GB15", "")),              # CC, no CC DRG: the next lower
    ("K92.200", None, ["K92.200"], ("GS15", "")),                   # excluded by its own main diagnosis
    ("K92.900", "43.6001", [], ("GB15", "")),                       # a procedure: the surgical ADRG first
    ("K92.900", "99.9900", [], ("GS15", "")),                       # an unrelated procedure: the medical ADRG
    ("K25.000", "99.9900", [], (None, "NO_ADRG")),                  # nothing matches within the MDC
    ("I50.000", None, [], (None, "NO_DRG")),
    ("N18.500", None, [], (None, "NO_MDC")),
    (" k25.000", " 43.6001", [" j18.900 "], ("GB11", "")),          # codes compare trimmed, in upper case
])
def test_grouping_rules(main, oprn, secondary, want):
    assert group(main, oprn, secondary) == want


def test_a_drg_naming_an_unknown_adrg_is_refused():
    doc = copy.deepcopy(EXAMPLE["drg_table"])
    doc["drg"][0]["adrg"] = "XX9"
    with pytest.raises(DipInputError, match=r"drg\[0\]"):
        drg_table(doc)
