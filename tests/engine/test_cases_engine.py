"""The shared worked examples (shared/cases/*.json) through the pure engine, to the fen."""
import json
from pathlib import Path

import pytest

from policy_rules.engine import adjudicate
from policy_rules.engine.cases import case_frames, compare

CASES_DIR = Path(__file__).resolve().parents[3] / "shared" / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.json"))


def test_all_eleven_case_files_are_there():
    assert len(CASE_FILES) == 11, f"expected the 11 shared case files in {CASES_DIR}"


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_file_matches_to_the_fen(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    result = adjudicate(**case_frames(doc))
    diffs = compare(doc["expected"], result.settlements, result.lines)
    assert diffs == [], "\n".join(f"{d.mdtrt_id} {d.field}: expected {d.expected}, got {d.got}" for d in diffs)
    # every visit of the case is settled and every visit is expected
    assert set(result.settlements["mdtrt_id"]) == {v["mdtrt_id"] for v in doc["visits"]} == set(doc["expected"])
