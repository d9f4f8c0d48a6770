"""manage.py run_dip_cases on DRG case files (docs/drg.md: `method`, `drg_table`): the DRG worked example through
the database, by 点数法 and by 费率法, each item compared with `expected` (reason of the ungrouped cases too)."""
import copy
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

DRG_CASES = sorted((Path(__file__).resolve().parents[2] / "policy_rules" / "fixtures" / "cases-drg").glob("*.json"))


@pytest.mark.django_db(transaction=True)
def test_the_drg_case_files_match_through_the_database(tmp_path, capsys):
    assert DRG_CASES
    doc = json.loads(DRG_CASES[0].read_text(encoding="utf-8"))
    rate = copy.deepcopy(doc)
    rate["method"], rate["params"]["rate"] = "drg_rate", "150.00"
    rate["expected"]["point_value"] = "150.000000"
    rate["expected"]["institutions"]["H1"].update({"dip_amount": "109500.00", "clearing": "30500.00"})
    path = tmp_path / "rate.json"
    path.write_text(json.dumps(rate, ensure_ascii=False), encoding="utf-8")
    call_command("run_dip_cases", *map(str, DRG_CASES), str(path))
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == f"dip: {8 * (len(DRG_CASES) + 1)}/{8 * (len(DRG_CASES) + 1)} match"
    assert any("point value 162.068966" in line for line in out)
    assert any("point value 150.000000" in line for line in out)


@pytest.mark.django_db(transaction=True)
def test_a_wrong_drg_expectation_is_reported(tmp_path, capsys):
    doc = json.loads(DRG_CASES[0].read_text(encoding="utf-8"))
    doc["expected"]["cases"]["d5"]["reason"] = "NO_ADRG"
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="1 item"):
        call_command("run_dip_cases", str(path))
    assert "DIFF case d5 reason: expected NO_ADRG got NO_DRG" in capsys.readouterr().out
