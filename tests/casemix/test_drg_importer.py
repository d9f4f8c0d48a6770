"""The DRG table importer (JSON, an XLSX workbook, a directory of CSV files) and import_grouping_table --kind drg:
every value checked, errors naming the file, sheet, row and field, nothing stored unless all is good; the year's
payment method and rate; the demo DRG table covering the demo city's diagnoses."""
import copy
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from openpyxl import Workbook

from casemix.drg_importer import SHEETS, import_drg_table
from casemix.drg_selectors import engine_table, table_doc
from casemix.importer import set_year_parameters
from casemix.models import DipYearParameters, DrgAdrg, DrgCc, DrgGroup, DrgMdc, GroupingTable
from casemix.selectors import parameters_of, table_in_force
from claims.errors import ServiceError
from policy_rules.engine.drg import group_drg

from .drg_world import EXAMPLE

FIXTURES = Path(__file__).resolve().parents[2] / "casemix" / "fixtures"
TABLE = {"code": "DRG-T-2026", "name": "测试DRG分组方案", "region": "410800", "effective_from": dt.date(2026, 1, 1)}

pytestmark = pytest.mark.django_db


def json_file(doc, name="drg.json") -> io.BytesIO:
    f = io.BytesIO(json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    f.name = name
    return f


def sheet_rows(doc) -> dict[str, list[dict]]:
    """docs/drg.md's JSON as the sheets' rows (lists joined by '|', ref_cost as ref_cost_<level>)."""
    out = {}
    for name, columns in SHEETS.items():
        rows = []
        for record in doc[name]:
            flat = {**record, **{f"ref_cost_{k}": v for k, v in (record.get("ref_cost") or {}).items()}}
            rows.append({c: "|".join(flat[c]) if isinstance(flat.get(c), list) else flat.get(c, "") for c in columns})
        out[name] = rows
    return out


def workbook(doc, drop=()) -> io.BytesIO:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheet_rows(doc).items():
        if name in drop:
            continue
        sheet = book.create_sheet(name)
        sheet.append(list(SHEETS[name]))
        for row in rows:
            sheet.append([row[c] for c in SHEETS[name]])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "drg.xlsx"
    return data


def csv_dir(tmp_path, doc) -> Path:
    for name, rows in sheet_rows(doc).items():
        pd.DataFrame(rows, columns=list(SHEETS[name])).to_csv(tmp_path / f"{name}.csv", index=False)
    return tmp_path


def nothing_stored():
    return not any(m.objects.exists() for m in (GroupingTable, DrgMdc, DrgAdrg, DrgCc, DrgGroup))


def errors_of(doc) -> list[tuple]:
    with pytest.raises(ServiceError) as caught:
        import_drg_table(json_file(doc), **TABLE)
    assert nothing_stored()
    return [(e.get("file"), e.get("line"), e["field"], e["code"]) for e in caught.value.errors]


def test_a_json_table_is_imported_with_every_row():
    table = import_drg_table(json_file(EXAMPLE["drg_table"]), **TABLE)
    assert table.kind == "drg" and table.source_name == "drg.json"
    assert (table.drg_mdcs.count(), table.drg_adrgs.count(), table.drg_ccs.count(), table.drg_groups.count()) == (
        2, 4, 3, 6)
    gb11 = DrgGroup.objects.select_related("adrg__mdc").get(table=table, code="GB11")
    assert (gb11.adrg.code, gb11.adrg.mdc.code, gb11.severity, gb11.rw, gb11.points, gb11.ref_cost_3,
            gb11.ref_cost_2) == ("GB1", "G", "MCC", Decimal("4.0000"), Decimal("400"), Decimal("40000.00"), None)
    assert gb11.name == "胃切除术，伴严重并发症或合并症"  # no name in the file: the ADRG's with the severity
    assert DrgGroup.objects.get(table=table, code="GD19").name == "阑尾切除术"
    assert DrgCc.objects.get(table=table, diag_prefix="K92.2").excluded_main_prefixes == ["K92"]
    assert table_in_force("410800", dt.date(2026, 12, 31), "drg") == table
    assert table_in_force("410800", dt.date(2026, 12, 31)) is None  # not a DIP table
    # what is stored reads back as the engine's table and groups as the file does
    cases = pd.DataFrame({"main_diag": ["K25.000", "K92.200"], "main_oprn": ["43.6001", ""],
                          "secondary": ["J18.900", "K92.200|E11.900"]})
    row, reason = group_drg(cases, engine_table(table))
    assert list(engine_table(table).drgs["code"][row]) == ["GB11", "GS13"] and list(reason) == ["", ""]


def test_a_workbook_and_a_csv_directory_import_the_same_table(tmp_path):
    from_json = table_doc(import_drg_table(json_file(EXAMPLE["drg_table"]), **TABLE))
    from_xlsx = table_doc(import_drg_table(workbook(EXAMPLE["drg_table"]), **{**TABLE, "code": "X"}))
    from_csv = table_doc(import_drg_table(csv_dir(tmp_path, EXAMPLE["drg_table"]), **{**TABLE, "code": "C"}))
    assert from_json == from_xlsx == from_csv


def bad(sheet, n, **changes):
    doc = copy.deepcopy(EXAMPLE["drg_table"])
    doc[sheet][n].update(changes)
    return doc


@pytest.mark.parametrize(("doc", "line", "field", "code"), [
    (bad("mdc", 0, code="G12X"), 1, "mdc.code", "INVALID_CODE"),
    (bad("mdc", 1, diag_prefixes=["I2", "I5.1"]), 2, "mdc.diag_prefixes", "INVALID_CODE"),
    (bad("mdc", 1, diag_prefixes=["I2", "K2"]), 2, "mdc.diag_prefixes", "DUPLICATE"),
    (bad("mdc", 1, diag_prefixes=[]), 2, "mdc.diag_prefixes", "REQUIRED"),
    (bad("adrg", 2, mdc="X"), 3, "adrg.mdc", "UNKNOWN_MDC"),
    (bad("adrg", 0, kind="other"), 1, "adrg.kind", "INVALID_VALUE"),
    (bad("adrg", 0, oprn_prefixes=["4350"]), 1, "adrg.oprn_prefixes", "INVALID_CODE"),
    (bad("adrg", 0, oprn_prefixes=[]), 1, "adrg.oprn_prefixes", "REQUIRED"),
    (bad("adrg", 1, oprn_prefixes=["43.5"]), 2, "adrg.oprn_prefixes", "DUPLICATE"),
    (bad("adrg", 2, oprn_prefixes=["43.5"]), 3, "adrg.oprn_prefixes", "INVALID_VALUE"),
    (bad("cc", 1, level="XCC"), 2, "cc.level", "INVALID_VALUE"),
    (bad("cc", 2, excluded_main_prefixes=["k9x"]), 3, "cc.excluded_main_prefixes", "INVALID_CODE"),
    (bad("cc", 1, diag_prefix="J18"), 2, "cc.diag_prefix", "DUPLICATE"),
    (bad("drg", 3, rw="abc"), 4, "drg.rw", "INVALID_VALUE"),
    (bad("drg", 3, rw="0"), 4, "drg.rw", "INVALID_VALUE"),
    (bad("drg", 3, rw="1.23456"), 4, "drg.rw", "INVALID_VALUE"),
    (bad("drg", 3, rw=""), 4, "drg.rw", "REQUIRED"),
    (bad("drg", 4, ref_cost={"3": "8000.001"}), 5, "drg.ref_cost_3", "INVALID_VALUE"),
    (bad("drg", 4, ref_cost={"3": "-1"}), 5, "drg.ref_cost_3", "INVALID_VALUE"),
    (bad("drg", 4, ref_cost={"5": "1"}), 5, "drg.ref_cost.5", "INVALID_VALUE"),
    (bad("drg", 0, code="GB13"), 1, "drg.code", "INVALID_CODE"),
    (bad("drg", 0, adrg="XX1"), 1, "drg.adrg", "UNKNOWN_ADRG"),
    (bad("drg", 1, severity="MCC", code="GB11"), 2, "drg.code", "DUPLICATE"),
    (bad("drg", 1, severity="MCC", code="GB11"), 2, "drg.severity", "DUPLICATE"),
    (bad("drg", 1, severity="severe"), 2, "drg.severity", "INVALID_VALUE"),
    (bad("drg", 1, weight="1"), 2, "drg.weight", "UNKNOWN_COLUMN"),
])
def test_a_bad_value_names_its_file_row_and_field_and_nothing_is_stored(doc, line, field, code):
    assert ("drg.json", line, field, code) in errors_of(doc)


def test_every_bad_row_is_reported_at_once_and_an_empty_table_is_refused():
    doc = bad("drg", 0, rw="x")
    doc["drg"][5]["adrg"] = "ZZ9"
    assert {(line, field) for _f, line, field, _c in errors_of(doc)} >= {(1, "drg.rw"), (6, "drg.adrg")}
    assert [c for *_x, c in errors_of({"mdc": [], "adrg": [], "cc": [], "drg": []})] == ["EMPTY_FILE"]


def test_sheets_name_their_file_and_row(tmp_path):
    doc = bad("drg", 2, rw="-1")
    with pytest.raises(ServiceError) as caught:
        import_drg_table(csv_dir(tmp_path, doc), **TABLE)
    assert [(e["file"], e["line"], e["field"]) for e in caught.value.errors] == [("drg.csv", 4, "drg.rw")]
    with pytest.raises(ServiceError) as caught:
        import_drg_table(workbook(EXAMPLE["drg_table"], drop=("cc",)), **TABLE)
    assert [(e["file"], e["field"], e["code"]) for e in caught.value.errors] == [("drg.xlsx", "cc", "MISSING_SHEET")]
    (tmp_path / "adrg.csv").unlink()
    with pytest.raises(ServiceError) as caught:
        import_drg_table(tmp_path, **TABLE)
    assert [e["code"] for e in caught.value.errors] == ["MISSING_SHEET"]
    with pytest.raises(ServiceError) as caught:
        import_drg_table(json_file(EXAMPLE["drg_table"], "drg.csv"), **TABLE)
    assert caught.value.errors[0]["code"] == "UNSUPPORTED_FILE"
    with pytest.raises(ServiceError) as caught:
        import_drg_table(json_file("[1, 2]"), **TABLE)
    assert caught.value.errors[0]["code"] == "UNREADABLE_FILE"
    assert nothing_stored()


def test_the_year_parameters_carry_the_method_and_the_rate():
    params = set_year_parameters(region="410800", year=2026, doc={"method": "drg_rate", "rate": "150.5",
                                                                  "coef": {"3": "1"}, "budget": "100"})
    assert (params.method, params.rate) == ("drg_rate", Decimal("150.500000"))
    dip = set_year_parameters(region="410800", year=2027, doc={"coef": {"3": "1"}, "budget": "100", "rate": "9"})
    assert (dip.method, dip.rate) == ("dip", None)  # a rate only counts for 费率法
    for doc, field in (({"method": "drg"}, "method"), ({"method": "drg_rate"}, "rate"),
                       ({"method": "drg_rate", "rate": "0"}, "rate"), ({"method": "drg_rate", "rate": "1.0000001"}, "rate")):
        with pytest.raises(ServiceError) as caught:
            set_year_parameters(region="410800", year=2026, doc={"coef": {"3": "1"}, "budget": "1", **doc})
        assert caught.value.errors[0]["field"] == field
    assert parameters_of("410800", 2026) == params
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses 费率法 without a rate too
        DipYearParameters.objects.create(region="410800", year=2026, method="drg_rate", budget=1)


def test_the_command_imports_the_demo_drg_table_and_parameters(capsys):
    args = [str(FIXTURES / "demo-drg-2026.json"), "--kind", "drg", "--code", "DEMO-DRG-2026", "--region", "410800",
            "--effective-from", "2026-01-01", "--params", str(FIXTURES / "demo-drg-params-2026.json")]
    call_command("import_grouping_table", *args)
    out = capsys.readouterr().out
    table = GroupingTable.objects.get(code="DEMO-DRG-2026")
    assert f"{table.drg_groups.count()} DRGs in {table.drg_mdcs.count()} MDCs" in out and "DRG (drg_points)" in out
    assert 30 <= table.drg_groups.count() <= 60 and parameters_of("410800", 2026).method == "drg_points"
    # the demo city's diagnoses with their usual operation (devtools/demo_dip.py) all find a DRG
    cases = pd.DataFrame({
        "main_diag": ["K35.800", "I21.900", "S72.000", "N20.000", "C83.300", "E11.900", "J18.900", "I10.x00",
                      "I63.900", "I25.100", "K29.700", "J20.900", "J06.900", "N39.000", "O80.000", "M54.500",
                      "R51.x00"],
        "main_oprn": ["47.0100", "36.0601", "79.3500", "98.5100", "99.2500", *[""] * 12],
        "secondary": ["", "", "J18.900", "", "", "E11.900|I48.000", "", "E11.900", "", "", "", "", "", "", "", "",
                      ""]})
    drg = engine_table(table)
    row, reason = group_drg(cases, drg)
    assert list(reason) == [""] * len(cases)
    # S72 with pneumonia: MCC; E11 with E11 (excluded by its own main diagnosis) and atrial fibrillation: CC
    assert list(drg.drgs["code"][row][:6]) == ["GD15", "FM15", "IF31", "LL19", "RE15", "KS13"]


def test_the_command_prints_every_bad_row_with_its_file(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad("drg", 2, rw="x")), encoding="utf-8")
    with pytest.raises(CommandError, match="not imported"):
        call_command("import_grouping_table", str(path), "--kind", "drg", "--code", "X", "--region", "410800",
                     "--effective-from", "2026-01-01")
    assert "bad.json[drg] row 3 drg.rw: INVALID_VALUE" in capsys.readouterr().err
    assert nothing_stored()
