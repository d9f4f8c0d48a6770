"""Catalog import from CSV and XLSX: per-row errors, all-or-nothing, versions by effective date."""
import datetime
import io
from decimal import Decimal
from io import StringIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from policy_rules.catalog_import import COLUMNS, import_catalog
from policy_rules.models import CatalogItem
from tests.factories import CatalogItemFactory

pytestmark = pytest.mark.django_db
JAN = datetime.date(2026, 1, 1)
JUL = datetime.date(2026, 7, 1)

HEADER = ",".join(COLUMNS)
GOOD_CSV = f"""{HEADER}
XA01ABD075A002010100483,阿莫西林胶囊,drug,01,,,,,,,
XL01XCR085B002010100103,利妥昔单抗注射液,drug,02,0.20,1398.00,,,,,

XG03DAA021A001010100251,黄体酮注射液,drug,甲类,,,2,,,,
XR05CBA001B001010100072,小儿止咳糖浆,drug,02,,,,,14,,11|21
003306000010000,冠状动脉造影术,service,02,,,,,,2,"21,14"
110200001,挂号费,service,03,,,,,,,
"""


def csv_file(text: str, name: str = "catalog.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def errors_of(report) -> set[tuple]:
    return {(e.row, e.column) for e in report.errors}


def test_good_csv_imports_every_row():
    report = import_catalog(csv_file(GOOD_CSV), effective_from=JAN)
    assert report.ok, [str(e) for e in report.errors]
    assert (report.rows, report.created, report.closed) == (6, 6, 0)
    items = {i.med_list_codg: i for i in CatalogItem.objects.all()}
    rituximab = items["XL01XCR085B002010100103"]
    assert (rituximab.chrg_lv, rituximab.selfpay_prop, rituximab.price_limit) == (
        "02", Decimal("0.2000"), Decimal("1398.0000"),
    )
    assert items["XG03DAA021A001010100251"].chrg_lv == "01"  # label 甲类 accepted
    assert items["XG03DAA021A001010100251"].restrict_gender == "2"
    syrup = items["XR05CBA001B001010100072"]
    assert (syrup.restrict_max_age, syrup.restrict_min_age, syrup.restrict_med_types) == (14, None, ["11", "21"])
    assert items["003306000010000"].restrict_min_level == 2
    assert items["003306000010000"].restrict_med_types == ["21", "14"]
    assert items["110200001"].chrg_lv == "03" and items["110200001"].list_type == "service"
    assert all(i.effective_from == JAN and i.effective_to is None for i in items.values())


def test_bad_rows_are_reported_by_file_row_and_column_and_nothing_is_stored():
    text = f"""{HEADER}
XA01,阿莫西林胶囊,drug,01,,,,,,,
XA02,依那普利片,drug,04,1.5,-1,,,,,
XA03,,pill,02,abc,,3,18,14,5,21|inpatient

XA01,重复编码,drug,01,,,,,,,
"""
    report = import_catalog(csv_file(text), effective_from=JAN)
    assert not report.ok
    assert CatalogItem.objects.count() == 0
    assert errors_of(report) == {
        (3, "chrg_lv"), (3, "selfpay_prop"), (3, "price_limit"),
        (4, "name"), (4, "list_type"), (4, "selfpay_prop"), (4, "restrict_gender"), (4, "restrict_max_age"),
        (4, "restrict_min_level"), (4, "restrict_med_types"),
        (6, "med_list_codg"),  # row 5 is blank and skipped, but still counted
    }
    duplicate = next(e for e in report.errors if e.row == 6)
    assert "第2行" in duplicate.message
    assert str(duplicate).startswith("第6行 med_list_codg: ")


def test_missing_and_unknown_columns_are_header_errors():
    report = import_catalog(csv_file("med_list_codg,title,chrg_lv\nXA01,阿莫西林,01\n"), effective_from=JAN)
    assert errors_of(report) == {(1, "name"), (1, "title")}
    assert CatalogItem.objects.count() == 0


def test_optional_columns_may_be_left_out():
    report = import_catalog(csv_file("med_list_codg,name,chrg_lv\nXA01,阿莫西林,1\n"), effective_from=JAN)
    assert report.ok
    item = CatalogItem.objects.get()
    assert (item.chrg_lv, item.list_type, item.restrict_med_types, item.price_limit) == ("01", "", [], None)


def test_gbk_csv_from_a_chinese_spreadsheet_is_read():
    report = import_catalog(csv_file(GOOD_CSV, encoding="gb18030"), effective_from=JAN)
    assert report.ok
    assert CatalogItem.objects.get(med_list_codg="110200001").name == "挂号费"


def test_csv_from_a_path_with_effective_date_text(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(GOOD_CSV, encoding="utf-8-sig")
    report = import_catalog(path, effective_from="2026-01-01")
    assert report.created == 6


def test_good_xlsx_imports_with_numeric_cells(tmp_path):
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(xlsx_bytes([
        list(COLUMNS),
        ["XL01XCR085B002010100103", "利妥昔单抗注射液", "drug", "02", 0.2, 1398, None, None, None, None, None],
        [None] * len(COLUMNS),
        ["XR05CBA001B001010100072", "小儿止咳糖浆", "drug", 2, None, None, None, 0, 14, 1, "11,21"],
    ]))
    report = import_catalog(path, effective_from=JAN)
    assert report.ok, [str(e) for e in report.errors]
    assert report.created == 2
    syrup = CatalogItem.objects.get(med_list_codg="XR05CBA001B001010100072")
    assert (syrup.chrg_lv, syrup.restrict_min_age, syrup.restrict_max_age, syrup.restrict_min_level) == ("02", 0, 14, 1)
    assert CatalogItem.objects.get(med_list_codg="XL01XCR085B002010100103").selfpay_prop == Decimal("0.2")


def test_bad_xlsx_rows_are_numbered_as_in_the_sheet():
    upload = SimpleUploadedFile("catalog.xlsx", xlsx_bytes([
        list(COLUMNS),
        ["XA01", "阿莫西林胶囊", "drug", "01"],
        [None] * len(COLUMNS),
        ["XA02", "依那普利片", "drug", "02", 2],
    ]))
    report = import_catalog(upload, effective_from=JAN)
    assert errors_of(report) == {(4, "selfpay_prop")}
    assert CatalogItem.objects.count() == 0


def test_unreadable_or_unsupported_files_are_file_errors():
    report = import_catalog(SimpleUploadedFile("catalog.xlsx", b"not a zip"), effective_from=JAN)
    assert [e.row for e in report.errors] == [None]
    assert "无法读取" in report.errors[0].message
    report = import_catalog(SimpleUploadedFile("catalog.txt", b"x"), effective_from=JAN)
    assert "不支持" in report.errors[0].message
    report = import_catalog(csv_file(HEADER + "\n"), effective_from=JAN)
    assert "没有数据行" in report.errors[0].message
    report = import_catalog(SimpleUploadedFile("data.bin", GOOD_CSV.encode()), effective_from=JAN, fmt="csv")
    assert report.ok and report.created == 6


def test_a_new_version_closes_the_open_one_the_day_before():
    assert import_catalog(csv_file(GOOD_CSV), effective_from=JAN).ok
    report = import_catalog(
        csv_file(f"{HEADER}\nXL01XCR085B002010100103,利妥昔单抗注射液,drug,02,0.10,1200.00,,,,,\n"),
        effective_from=JUL,
    )
    assert (report.created, report.closed) == (1, 1)
    old, new = CatalogItem.objects.filter(med_list_codg="XL01XCR085B002010100103").order_by("effective_from")
    assert old.effective_to == datetime.date(2026, 6, 30) and new.effective_to is None
    assert CatalogItem.objects.effective_on(JUL).get(med_list_codg=new.med_list_codg).price_limit == Decimal("1200")
    assert CatalogItem.objects.filter(effective_to__isnull=True).count() == 6


def test_a_version_on_or_after_the_date_already_existing_is_an_error():
    CatalogItemFactory(med_list_codg="XA01", effective_from=JUL)
    report = import_catalog(csv_file(f"{HEADER}\nXB02,维生素C,drug,01,,,,,,,\nXA01,阿莫西林,drug,01,,,,,,,\n"),
                            effective_from=JAN)
    assert errors_of(report) == {(3, "med_list_codg")}
    assert CatalogItem.objects.count() == 1


def test_import_catalog_command(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    out = StringIO()
    call_command("import_catalog", str(good), "--effective-from", "2026-01-01", stdout=out)
    assert "6" in out.getvalue() and CatalogItem.objects.count() == 6

    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nXZ01,坏数据,drug,09,,,,,,,\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_catalog", str(bad), "--effective-from", "2026-07-01", stdout=StringIO(), stderr=err)
    assert err.getvalue().startswith("第2行 chrg_lv: ")
    assert CatalogItem.objects.count() == 6
