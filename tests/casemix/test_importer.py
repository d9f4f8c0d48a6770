"""The grouping table importer (CSV and XLSX) and import_grouping_table: every row checked, errors by row and
column, nothing stored unless all is good; the year's parameters; the demo table."""
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from casemix.importer import create_grouping_table, import_grouping_table, set_year_parameters, spec_rows
from casemix.models import DipGroup, DipYearParameters, GroupingTable
from casemix.selectors import engine_params, groups_frame, parameters_of, table_in_force
from casemix.services import run_dip_year
from claims.errors import ServiceError

FIXTURES = Path(__file__).resolve().parents[2] / "casemix" / "fixtures"
HEADER = "code,name,diag,oprn,points,ref_cost_0,ref_cost_1,ref_cost_2,ref_cost_3\n"
GOOD = HEADER + "A,急性阑尾炎·阑尾切除术,K35,47.0,1000,,,8000.00,10000.00\nB,2型糖尿病·保守治疗,E11,保守治疗,600,,,5000,6000\n"
TABLE = {"code": "T-2026", "name": "测试分组表", "region": "410800", "effective_from": dt.date(2026, 1, 1)}

pytestmark = pytest.mark.django_db


def csv_file(text: str, name: str = "groups.csv") -> io.BytesIO:
    f = io.BytesIO(text.encode("utf-8"))
    f.name = name
    return f


def errors_of(text: str) -> list[dict]:
    with pytest.raises(ServiceError) as caught:
        import_grouping_table(csv_file(text), **TABLE)
    assert not GroupingTable.objects.exists() and not DipGroup.objects.exists()
    return caught.value.errors


def test_a_good_csv_is_imported_with_every_field():
    table = import_grouping_table(csv_file(GOOD), **TABLE)
    a, b = DipGroup.objects.filter(table=table).order_by("code")
    assert (a.diag, a.oprn, a.points, a.ref_cost_3, a.ref_cost_2, a.ref_cost_1) == (
        "K35", "47.0", Decimal("1000"), Decimal("10000.00"), Decimal("8000.00"), None)
    assert (b.diag, b.oprn, b.points) == ("E11", "", Decimal("600"))  # 保守治疗: no procedure
    assert table.source_name == "groups.csv"
    frame = groups_frame(table)
    assert list(frame["ref_3"]) == [1_000_000, 600_000] and list(frame["ref_1"]) == [-1, -1]


def test_an_xlsx_is_imported_like_the_csv():
    book = Workbook()
    sheet = book.active
    for line in GOOD.strip().splitlines():
        sheet.append(line.split(","))
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "groups.xlsx"
    table = import_grouping_table(data, **TABLE)
    assert sorted(table.groups.values_list("code", "points")) == [("A", Decimal("1000")), ("B", Decimal("600"))]


@pytest.mark.parametrize(("line", "field", "code"), [
    ("C,x,K3,47.0,100,,,,1000", "diag", "INVALID_CODE"),
    ("C,x,K36,4701,100,,,,1000", "oprn", "INVALID_CODE"),
    ("C,x,K36,,abc,,,,1000", "points", "INVALID_VALUE"),
    ("C,x,K36,,0,,,,1000", "points", "INVALID_VALUE"),
    ("C,x,K36,,100.12345,,,,1000", "points", "INVALID_VALUE"),
    ("C,x,K36,,100,,,,-5", "ref_cost_3", "INVALID_VALUE"),
    ("C,x,K36,,100,,,,12.345", "ref_cost_3", "INVALID_VALUE"),
    (",x,K36,,100,,,,1000", "code", "REQUIRED"),
    ("A,x,K36,,100,,,,1000", "code", "DUPLICATE"),
    ("C,x,K35,47.0,100,,,,1000", "diag", "DUPLICATE"),
])
def test_a_bad_row_names_its_row_and_column_and_nothing_is_stored(line, field, code):
    errors = errors_of(GOOD + line + "\n")
    assert {"line": 4, "field": field, "code": code} in [{k: e[k] for k in ("line", "field", "code")} for e in errors]


def test_missing_and_unknown_columns_are_reported_on_the_header_row():
    errors = errors_of("code,name,diag,weight\nA,x,K35,1\n")
    assert {(e["line"], e["field"], e["code"]) for e in errors} == {(1, "points", "MISSING_COLUMN"),
                                                                    (1, "weight", "UNKNOWN_COLUMN")}


def test_a_table_code_is_imported_once_and_another_file_type_is_refused():
    import_grouping_table(csv_file(GOOD), **TABLE)
    with pytest.raises(ServiceError) as caught:
        import_grouping_table(csv_file(GOOD), **TABLE)
    assert caught.value.errors[0]["code"] == "DUPLICATE"
    with pytest.raises(ServiceError) as caught:
        import_grouping_table(csv_file(GOOD, "groups.txt"), **{**TABLE, "code": "T2"})
    assert caught.value.errors[0]["code"] == "UNSUPPORTED_FILE"


def test_the_table_in_force_is_the_latest_covering_the_day():
    old = create_grouping_table(spec_rows([{"code": "A", "diag": "K35", "points": "1"}]), code="OLD",
                                name="old", region="410800", effective_from=dt.date(2025, 1, 1))
    new = create_grouping_table(spec_rows([{"code": "A", "diag": "K35", "points": "2"}]), code="NEW",
                                name="new", region="410800", effective_from=dt.date(2026, 1, 1))
    assert table_in_force("410800", dt.date(2025, 6, 1)) == old
    assert table_in_force("410800", dt.date(2026, 6, 1)) == new
    assert table_in_force("410100", dt.date(2026, 6, 1)) is None


def test_year_parameters_are_versioned_and_read_as_the_engines():
    set_year_parameters(region="410800", year=2026, doc={"coef": {"3": "1"}, "budget": "100"})
    latest = set_year_parameters(region="410800", year=2026,
                                 doc={"low": "0.4", "high": "2.5", "coef": {"3": "1", "2": "0.9"}, "budget": "30900"})
    assert DipYearParameters.objects.count() == 2 and parameters_of("410800", 2026) == latest
    params = engine_params(latest)
    assert (params.low_e6, params.high_e6, params.coef_e6, params.budget_fen) == (
        400_000, 2_500_000, {2: 900_000, 3: 1_000_000}, 3_090_000)
    with pytest.raises(ServiceError):
        set_year_parameters(region="410800", year=2026, doc={"low": "2", "budget": "1"})
    with pytest.raises(ServiceError):
        set_year_parameters(region="410800", year=2026, doc={"coef": {"7": "1"}, "budget": "1"})


def test_the_command_imports_the_demo_table_and_parameters_once(capsys):
    args = [str(FIXTURES / "demo-dip-2026.csv"), "--code", "DEMO-DIP-2026", "--region", "410800",
            "--effective-from", "2026-01-01", "--params", str(FIXTURES / "demo-dip-params-2026.json")]
    call_command("import_grouping_table", *args)
    table = GroupingTable.objects.get(code="DEMO-DIP-2026")
    assert 30 <= table.groups.count() <= 60
    params = json.loads((FIXTURES / "demo-dip-params-2026.json").read_text(encoding="utf-8"))
    assert parameters_of("410800", 2026).budget == Decimal(params["budget"])
    call_command("import_grouping_table", *args)
    assert "already imported; kept" in capsys.readouterr().out
    assert GroupingTable.objects.count() == 1


def test_the_command_prints_every_bad_row(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "A,x,K35,47.0,abc,,,,1000\nB,y,Q,,1,,,,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not imported"):
        call_command("import_grouping_table", str(path), "--code", "X", "--region", "410800",
                     "--effective-from", "2026-01-01")
    err = capsys.readouterr().err
    assert "row 2 points" in err and "row 3 diag" in err
    assert not GroupingTable.objects.exists()


def test_a_year_without_cases_runs_to_a_zero_point_value():
    create_grouping_table(spec_rows([{"code": "A", "diag": "K35", "points": "1", "ref_cost": {"3": "1"}}]),
                          code="EMPTY", name="empty", region="410800", effective_from=dt.date(2026, 1, 1))
    set_year_parameters(region="410800", year=2026, doc={"coef": {"3": "1"}, "budget": "100"})
    run = run_dip_year("410800", 2026)
    assert (run.cases, run.grouped, run.point_value, run.total_points) == (0, 0, Decimal("0"), Decimal("0"))
    assert not run.institution_results.exists()
