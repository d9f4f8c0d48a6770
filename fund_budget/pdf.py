"""Printable PDFs of a monthly statement and a clearing report (reportlab).

Chinese is set in reportlab's built-in CID font STSong-Light (Adobe's Song font, which every PDF reader
supplies), so no font file ships with the platform; figures and codes are set in Helvetica, so the amounts
are plain text in the page content. The document title (metadata) names the document, the institution and
the month or year. The same lines as the pages (fund_budget.selectors), never recomputed.
"""
from __future__ import annotations

import io

from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from claims.templatetags.money import money as money_text
from core.display import decimal_text

from .models import ClearingReport, MonthlyStatement
from .selectors import clearing_parts, statement_parts, superseding

CJK_FONT = "STSong-Light"
NUMBER_FONT = "Helvetica"
PDF_TYPE = "application/pdf"

pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))

TITLE = ParagraphStyle("title", fontName=CJK_FONT, fontSize=16, leading=22, spaceAfter=4 * mm)
HEADING = ParagraphStyle("heading", fontName=CJK_FONT, fontSize=11.5, leading=16, spaceBefore=4 * mm,
                         spaceAfter=2 * mm)
TEXT = ParagraphStyle("text", fontName=CJK_FONT, fontSize=9, leading=12)
BOLD_TEXT = ParagraphStyle("bold", parent=TEXT, fontSize=9.5, textColor=colors.black)
SMALL = ParagraphStyle("small", parent=TEXT, fontSize=8, leading=10, textColor=colors.grey)

GRID = [
    ("FONTNAME", (0, 0), (-1, -1), CJK_FONT),
    ("FONTSIZE", (0, 0), (-1, -1), 9),
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.94, 0.96)),
]


def _p(text, style=TEXT) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _money_cols(first: int, last: int = -1) -> list:
    return [("FONTNAME", (first, 1), (last, -1), NUMBER_FONT), ("ALIGN", (first, 0), (last, -1), "RIGHT")]


def _table(rows, widths, extra=(), header=True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    table.setStyle(TableStyle([*(GRID if header else GRID[:-1]), *extra]))
    return table


def _facts(pairs) -> Table:
    """A two-column block of labels and values (no header row)."""
    rows = [[_p(label), _p(value)] for label, value in pairs]
    return _table(rows, [45 * mm, 125 * mm], extra=[
        ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.96, 0.97, 0.98))], header=False)


def _footer(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont(CJK_FONT, 8)
    canvas.drawString(20 * mm, 10 * mm, doc.title)
    canvas.setFont(NUMBER_FONT, 8)
    canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, f"{doc.page}")
    canvas.restoreState()


def _build(title: str, flowables: list) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=title, author=_("Medical Insurance Settlement and Audit Platform"),
                            leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
                            pageCompression=0)
    printed = _("Printed at %(time)s") % {"time": f"{timezone.localtime():%Y-%m-%d %H:%M}"}
    doc.build([*flowables, Spacer(1, 6 * mm), _p(printed, SMALL)], onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()


def _disbursement_text(disbursement) -> str:
    if disbursement is None:
        return _("No payment (the amount is zero).")
    return _("%(kind)s %(amount)s, due %(due)s: %(status)s") % {
        "kind": disbursement.get_kind_display(), "amount": money_text(disbursement.amount),
        "due": f"{disbursement.due_date:%Y-%m-%d}", "status": disbursement.get_status_display()}


def statement_title(st: MonthlyStatement) -> str:
    return f"{_('月度结算单')} {st.month:%Y-%m} {st.institution.fixmedins_code} {st.institution.name}"


def _superseded_facts(st: MonthlyStatement) -> list[tuple[str, str]]:
    """A superseded statement says so on paper too: who approved the reopening, when, and why."""
    row = superseding(st)
    if row is None:
        return []
    approval = row.approval
    return [(_("状态"), _("已作废(月份重开)")),
            (_("审批人"), f"{approval.approved_by.get_username()} "
                         f"{timezone.localtime(approval.approved_at):%Y-%m-%d %H:%M}"),
            (_("重开原因"), approval.request.reason)]


def statement_pdf(st: MonthlyStatement) -> bytes:
    parts = statement_parts(st)
    inst = st.institution
    story = [
        _p(_("月度结算单"), TITLE),
        _facts([
            (_("医药机构"), f"{inst.fixmedins_code} {inst.name}"),
            (_("结算月份"), f"{st.month:%Y-%m}"),
            (_("结算人次"), f"{st.visit_count} / {_('冲销人次')} {st.reversal_count}"),
            (_("医疗费总额"), money_text(st.medfee_amount)),
            (_("质量保证金预留比例"), parts["rate"]),
            (_("出具时间"), f"{timezone.localtime(st.issued_at):%Y-%m-%d %H:%M}"),
            (_("拨付截止日"), f"{st.payment_due:%Y-%m-%d}"),
            *_superseded_facts(st),
        ]),
        _p(_("Calculation"), HEADING),
        _table([[_("项目"), _("计算式"), _("金额")]] + [
            [_p(line.label, BOLD_TEXT if line.total else TEXT), _p(line.formula), money_text(line.amount)]
            for line in parts["formula"]], [42 * mm, 93 * mm, 35 * mm], extra=_money_cols(2)),
    ]
    if parts["fund_lines"]:
        story += [_p(_("By fund"), HEADING), _table(
            [[_("基金"), _("基金应付"), _("质量保证金"), _("审核扣款净额")]] + [
                [_p(line.get_fund_display()), money_text(line.amount), money_text(line.withheld),
                 money_text(line.deductions)] for line in parts["fund_lines"]],
            [62 * mm, 36 * mm, 36 * mm, 36 * mm], extra=_money_cols(1))]
    if parts["method_lines"]:
        story += [_p(_("By payment method"), HEADING), _table(
            [[_("付费方式"), _("人次(净)"), _("按项目基金支付"), _("机构应得"), _("盈亏")]] + [
                [_p(line.get_method_display()), str(line.visits), money_text(line.ffs_fund_amount),
                 money_text(line.claim_amount), money_text(line.gain_loss)] for line in parts["method_lines"]],
            [38 * mm, 24 * mm, 36 * mm, 36 * mm, 36 * mm], extra=_money_cols(1))]
    if parts["dip"] is not None:
        dip, e = parts["dip"], parts["dip"].estimate
        story += [_p(_("按病种分值付费(DIP)累计点数与预估点值"), HEADING), _table([[_("项目"), _("数值")]] + [
            [_p(label), value] for label, value in (
                (_("本机构累计点数"), decimal_text(dip.points, 4)),
                (_("本机构入组病例数"), f"{dip.grouped} / {dip.cases}"),
                (_("统筹区累计点数"), decimal_text(e.points, 4)),
                (_("全年预测点数"), decimal_text(e.forecast_points, 4)),
                (_("全年预测个人负担"), money_text(e.forecast_patient_share)),
                (_("DIP基金预算"), money_text(e.budget)),
                (_("预估点值"), decimal_text(e.point_value, 6)))],
            [100 * mm, 70 * mm], extra=_money_cols(1))]
    story += [_p(_("Payment"), HEADING), _p(_disbursement_text(parts["disbursement"]))]
    return _build(statement_title(st), story)


def clearing_title(report: ClearingReport) -> str:
    return (f"{_('年终清算报告')} {report.year} {report.institution.fixmedins_code} {report.institution.name} "
            f"{report.get_fund_display()}")


def clearing_pdf(report: ClearingReport) -> bytes:
    parts = clearing_parts(report)
    inst = report.institution
    approved = (f"{report.approved_by or ''} {timezone.localtime(report.approved_at):%Y-%m-%d %H:%M}"
                if report.approved_at else "—")
    story = [
        _p(_("年终清算报告"), TITLE),
        _facts([
            (_("医药机构"), f"{inst.fixmedins_code} {inst.name}"),
            (_("年度"), str(report.year)),
            (_("基金范围"), report.get_fund_display()),
            (_("结余/超支"), report.get_side_display()),
            (_("信用等级"), report.get_rating_display()),
            (_("考核得分"), str(report.assessment_score)),
            (_("状态"), report.get_status_display()),
            (_("审批人"), approved),
        ]),
        _p(_("Calculation"), HEADING),
        _table([[_("序号"), _("项目"), _("计算式"), _("金额")]] + [
            [str(line.seq), _p(line.label, BOLD_TEXT if line.key in ("due", "final") else TEXT), _p(line.formula),
             money_text(line.amount)] for line in parts["lines"]],
            [12 * mm, 38 * mm, 85 * mm, 35 * mm], extra=_money_cols(3)),
        _p(_("Payment"), HEADING), _p(_disbursement_text(parts["disbursement"])),
    ]
    return _build(clearing_title(report), story)
