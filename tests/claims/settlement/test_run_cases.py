import json

import pytest
from django.core.management import CommandError, call_command

from tests.claims.conftest import CASES


@pytest.mark.django_db(transaction=True)
def test_all_shared_cases_match(capsys):
    files = sorted(str(p) for p in CASES.glob("*.json"))
    assert len(files) == 11
    call_command("run_cases", *files)
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == "cases: 18/18 visits match"


@pytest.mark.django_db(transaction=True)
def test_a_wrong_expectation_is_reported_and_fails(tmp_path, capsys):
    doc = json.loads((CASES / "02-retiree-bonus-two-admissions.json").read_text(encoding="utf-8"))
    doc["expected"]["M0022"]["setl"]["hifp_pay"] = "1234.00"
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="1 visit"):
        call_command("run_cases", str(path))
    out = capsys.readouterr().out
    assert "DIFF M0022 hifp_pay: expected 1234.00 got 1235.00" in out
    assert "cases: 1/2 visits match" in out


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("content", ["{not json", json.dumps({"title": "x"}), json.dumps([])])
def test_a_malformed_case_file_is_a_clear_error(tmp_path, capsys, content):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match="malformed"):
        call_command("run_cases", str(path))
