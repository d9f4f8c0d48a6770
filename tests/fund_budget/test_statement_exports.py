"""Downloads: a statement's XLSX and a month's (fund_budget.export), and the printable PDFs of a statement and
of a clearing report (fund_budget.pdf). The PDFs are read without reportlab: the header, the document title
in the metadata (a PDF text string, UTF-16 with octal escapes) and the amounts, which are set in Helvetica
and so are plain text in the uncompressed page content."""
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fund_budget.export import statement_workbook

from .statement_world import statements  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
D = Decimal
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pdf_string(raw: bytes) -> str:
    """A PDF literal string's text: escapes undone, UTF-16 (with its byte-order mark) or Latin-1 decoded."""
    out, i = bytearray(), 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C:  # backslash
            nxt = raw[i + 1:i + 2]
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(), 8))
                i += 1 + len(octal.group())
                continue
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(nxt, nxt)
            i += 2
            continue
        out.append(c)
        i += 1
    data = bytes(out)
    return data[2:].decode("utf-16-be") if data.startswith(b"\xfe\xff") else data.decode("latin-1")


def pdf_title(content: bytes) -> str:
    match = re.search(rb"/Title \(((?:\\.|[^\\)])*)\)", content, re.S)
    assert match, "the PDF has no /Title"
    return pdf_string(match.group(1))


def assert_pdf(response) -> bytes:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    assert len(content) > 1000 and b"/Type /Page" in content and b"STSong-Light" in content
    return content


def test_statement_xlsx(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    st = statements.st_a
    response = client.get(reverse("fund_budget:statement-xlsx", args=[st.pk]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert f"statement-2026-03-{statements.a.fixmedins_code}.xlsx" in response["Content-Disposition"]
    summary, formula, funds = load_workbook(io.BytesIO(response.content)).worksheets
    header = [c.value for c in summary[1]]
    (row,) = [dict(zip(header, r, strict=True)) for r in summary.iter_rows(min_row=2, values_only=True)]
    assert row["机构名称"] == "甲市第一人民医院" and row["结算月份"] == "2026-03"
    assert D(str(row["基金应付"])) == D("11200") and D(str(row["实际应拨付"])) == D("10340")
    assert summary.cell(row=2, column=header.index("基金应付") + 1).number_format == "#,##0.00"
    lines = {r[3]: (r[4], r[5]) for r in formula.iter_rows(min_row=2, values_only=True)}
    assert lines["质量保证金"][0] == "基金应付 × 5%" and D(str(lines["质量保证金"][1])) == D("560")
    assert {r[2] for r in funds.iter_rows(min_row=2, values_only=True)} == {"职工基本医疗保险统筹基金",
                                                                           "大额医疗费用补助基金"}


def test_month_xlsx_has_every_statement_of_the_month(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    response = client.get(reverse("fund_budget:statements-month-xlsx", args=["2026-03"]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    summary = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sorted(r[1] for r in summary.iter_rows(min_row=2, values_only=True)) == [
        statements.a.fixmedins_code, statements.b.fixmedins_code]


def test_month_xlsx_of_an_empty_or_malformed_month(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    empty = client.get(reverse("fund_budget:statements-month-xlsx", args=["2026-04"]))
    assert empty.status_code == 404 and "2026-04" in empty.content.decode()
    bad = client.get(reverse("fund_budget:statements-month-xlsx", args=["March"]))
    assert bad.status_code == 400 and "YYYY-MM" in bad.content.decode()


def test_xlsx_cells_are_inert(statements):  # noqa: F811
    """An institution name that a spreadsheet would run as a formula is written quoted (core.spreadsheet)."""
    statements.a.name = "=HYPERLINK(1)"
    statements.a.save()
    st = type(statements.st_a).objects.select_related("institution").get(pk=statements.st_a.pk)
    summary = load_workbook(io.BytesIO(statement_workbook([st]))).worksheets[0]
    assert summary.cell(row=2, column=3).value == "'=HYPERLINK(1)"


def test_statement_pdf(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    st = statements.st_a
    response = client.get(reverse("fund_budget:statement-pdf", args=[st.pk]))
    content = assert_pdf(response)
    assert f"statement-2026-03-{statements.a.fixmedins_code}.pdf" in response["Content-Disposition"]
    title = pdf_title(content)
    assert "月度结算单" in title and "2026-03" in title and statements.a.fixmedins_code in title
    assert "甲市第一人民医院" in title
    for amount in (b"(11,200.00)", b"(560.00)", b"(300.00)", b"(10,340.00)", b"(10,000.00)", b"(1,200.00)"):
        assert amount in content, amount


def test_clearing_pdf(client, statements):  # noqa: F811
    client.force_login(statements.reviewer)
    report = statements.report_b
    content = assert_pdf(client.get(reverse("fund_budget:clearing-pdf", args=[report.pk])))
    title = pdf_title(content)
    assert "年终清算报告" in title and "2025" in title and "乙县中医院" in title
    for amount in (b"(5,000,000.00)", b"(6,000,000.00)", b"(250,000.00)", b"(240,000.00)", b"(-510,000.00)"):
        assert amount in content, amount


def test_pdf_in_english(client, statements):  # noqa: F811
    client.force_login(statements.bureau)
    content = assert_pdf(client.get(reverse("fund_budget:statement-pdf", args=[statements.st_a.pk]),
                                    HTTP_ACCEPT_LANGUAGE="en"))
    assert pdf_title(content).startswith("Monthly statement 2026-03")
