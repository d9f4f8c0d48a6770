"""XLSX export of clearing reports and monthly statements (openpyxl): a summary sheet and the arithmetic line
by line. Every cell goes through core.spreadsheet.safe_row."""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.spreadsheet import XLSX_TYPE, finish_sheet, safe_row, workbook_bytes

from .models import ClearingLine, ClearingReport, MonthlyStatement, StatementLine
from .selectors import statement_formula

__all__ = ["XLSX_TYPE", "clearing_workbook", "export_filename"]


def clearing_workbook(reports) -> bytes:
    reports = list(reports.select_related("institution", "approved_by") if hasattr(reports, "select_related")
                   else reports)
    book = Workbook()
    summary = book.active
    summary.title = _("清算汇总")
    header = [_("年度"), _("机构编码"), _("机构名称"), _("基金范围"), _("结余/超支"), _("信用等级"), _("考核得分"),
              _("年度控制指标 I"), _("实际发生 A"), _("质量保证金 W"), _("结余留用"), _("超支分担"), _("应付总额"),
              _("返还保证金"), _("清算额"), _("下年指标基数"), _("状态"), _("审批人"), _("审批时间")]
    summary.append([str(h) for h in header])
    for report in reports:
        summary.append(safe_row([
            report.year, report.institution.fixmedins_code, report.institution.name, str(report.get_fund_display()),
            str(report.get_side_display()), report.rating, report.assessment_score, report.index_amount,
            report.actual, report.withheld, report.retained, report.shared, report.due, report.returned,
            report.final, report.next_base, str(report.get_status_display()),
            str(report.approved_by or ""), timezone.localtime(report.approved_at).replace(tzinfo=None)
            if report.approved_at else None]))
    finish_sheet(summary, money_columns=range(8, 17))
    lines = book.create_sheet(_("计算明细"))
    lines.append([str(h) for h in (_("机构编码"), _("基金范围"), _("序号"), _("项目"), _("计算式"), _("金额"))])
    by_report = {r.pk: r for r in reports}
    for line in ClearingLine.objects.filter(report_id__in=list(by_report)).order_by("report_id", "seq"):
        report = by_report[line.report_id]
        lines.append(safe_row([report.institution.fixmedins_code, str(report.get_fund_display()), line.seq,
                               line.label, line.formula, line.amount]))
    finish_sheet(lines, money_columns=[6])
    return workbook_bytes(book)


STATEMENT_MONEY_FIELDS = ["medfee_amount", "ffs_fund_amount", "standard_gain_loss", "fund_amount", "withheld",
                          "deductions", "capitation_amount", "payable", "offset_amount", "net_payable"]


def _verbose(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def statement_workbook(statements) -> bytes:
    """Monthly statements: one summary row each, their formula line by line, and their per-fund lines."""
    statements = list(statements)
    book = Workbook()
    summary = book.active
    summary.title = _("Statements")
    summary.append([_verbose(MonthlyStatement, "month"), _("机构编码"), _("机构名称"),
                    _verbose(MonthlyStatement, "visit_count"), _verbose(MonthlyStatement, "reversal_count"),
                    *[_verbose(MonthlyStatement, f) for f in STATEMENT_MONEY_FIELDS],
                    _verbose(MonthlyStatement, "payment_due")])
    for st in statements:
        summary.append(safe_row([f"{st.month:%Y-%m}", st.institution.fixmedins_code, st.institution.name,
                                 st.visit_count, st.reversal_count,
                                 *[getattr(st, f) for f in STATEMENT_MONEY_FIELDS], st.payment_due]))
    finish_sheet(summary, money_columns=range(6, 6 + len(STATEMENT_MONEY_FIELDS)))
    formula = book.create_sheet(_("Calculation"))
    formula.append([_verbose(MonthlyStatement, "month"), _("机构编码"), _("序号"), _("项目"), _("计算式"),
                    _("金额")])
    for st in statements:
        for n, line in enumerate(statement_formula(st), start=1):
            formula.append(safe_row([f"{st.month:%Y-%m}", st.institution.fixmedins_code, n, line.label,
                                     line.formula, line.amount]))
    finish_sheet(formula, money_columns=[6])
    funds = book.create_sheet(_("By fund"))
    funds.append([_verbose(MonthlyStatement, "month"), _("机构编码"), _verbose(StatementLine, "fund"),
                  _verbose(StatementLine, "amount"), _verbose(StatementLine, "withheld"),
                  _verbose(StatementLine, "deductions")])
    by_pk = {st.pk: st for st in statements}
    for line in StatementLine.objects.filter(statement_id__in=list(by_pk)).order_by("statement_id", "fund"):
        st = by_pk[line.statement_id]
        funds.append(safe_row([f"{st.month:%Y-%m}", st.institution.fixmedins_code, str(line.get_fund_display()),
                               line.amount, line.withheld, line.deductions]))
    finish_sheet(funds, money_columns=range(4, 7))
    return workbook_bytes(book)


def statement_filename(statements: list[MonthlyStatement]) -> str:
    months = sorted({st.month for st in statements})
    if len(statements) == 1:
        return f"statement-{statements[0].month:%Y-%m}-{statements[0].institution.fixmedins_code}.xlsx"
    return f"statements-{'-'.join(f'{m:%Y-%m}' for m in months) or 'none'}.xlsx"


def export_filename(reports: list[ClearingReport]) -> str:
    years = sorted({r.year for r in reports})
    if len(reports) == 1:
        return f"clearing-{reports[0].year}-{reports[0].institution.fixmedins_code}-{reports[0].fund}.xlsx"
    return f"clearing-{'-'.join(map(str, years)) or 'none'}.xlsx"
