"""The project's own worked examples (docs/benefit-layers.md), run through the pure engine: each case file
in policy_rules/fixtures/cases/ must match to the fen, every amount of every visit."""
import json
from pathlib import Path

import pytest

from policy_rules.engine.adjudicate import adjudicate
from policy_rules.engine.cases import case_frames, compare

CASES = sorted((Path(__file__).resolve().parents[2] / "policy_rules" / "fixtures" / "cases").glob("*.json"))


def test_the_four_layers_have_case_files():
    assert {p.stem for p in CASES} >= {"chronic-diseases", "civil-servant", "maternity", "veterans"}


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_project_case_matches_to_the_fen(path):
    doc = json.loads(path.read_text())
    frames = case_frames(doc)
    result = adjudicate(frames["lines"], frames["visits"], frames["persons"], frames["catalog"], frames["policies"],
                        frames["state"])
    differences = compare(doc["expected"], result.settlements, result.lines)
    assert differences == []
    assert len(result.settlements) == len(doc["expected"])
