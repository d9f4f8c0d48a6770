"""manage.py run_dip_cases: the shared DIP case files through the database, each in an empty one."""
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

DIP_CASES = Path(__file__).resolve().parents[3] / "shared" / "cases-dip"


def shared_files() -> list[str]:
    files = sorted(str(p) for p in DIP_CASES.glob("*.json"))
    assert files, f"no DIP case files in {DIP_CASES}"
    return files


def expected_items(path: str) -> int:
    expected = json.loads(Path(path).read_text(encoding="utf-8"))["expected"]
    return len(expected["cases"]) + len(expected["institutions"]) + 1


@pytest.mark.django_db(transaction=True)
def test_all_shared_dip_cases_match(capsys):
    files = shared_files()
    call_command("run_dip_cases", *files)
    out = capsys.readouterr().out.strip().splitlines()
    total = sum(expected_items(f) for f in files)
    assert out[-1] == f"dip: {total}/{total} match"
    assert any("point value 10.000000" in line for line in out)


@pytest.mark.django_db(transaction=True)
def test_a_wrong_expectation_is_reported_and_fails(tmp_path, capsys):
    doc = json.loads((DIP_CASES / "01-worked-example.json").read_text(encoding="utf-8"))
    doc["expected"]["cases"]["c2"]["points"] = "500.0000"
    doc["expected"]["institutions"]["H2"]["clearing"] = "901.00"
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="2 item"):
        call_command("run_dip_cases", str(path))
    out = capsys.readouterr().out
    assert "DIFF case c2 points: expected 500.0000 got 400.0000" in out
    assert "DIFF institution H2 clearing: expected 901.00 got 900.00" in out
    assert "dip: 7/9 match" in out


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("content", ["{not json", json.dumps({"title": "x"}), json.dumps([])])
def test_a_malformed_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match="malformed"):
        call_command("run_dip_cases", str(path))
