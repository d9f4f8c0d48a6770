"""XLSX export of clearing reports (openpyxl): a summary sheet and the arithmetic line by line."""
from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core.spreadsheet import XLSX_TYPE, finish_sheet, safe_row, workbook_bytes

from .models import ClearingLine, ClearingReport

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


def export_filename(reports: list[ClearingReport]) -> str:
    years = sorted({r.year for r in reports})
    if len(reports) == 1:
        return f"clearing-{reports[0].year}-{reports[0].institution.fixmedins_code}-{reports[0].fund}.xlsx"
    return f"clearing-{'-'.join(map(str, years)) or 'none'}.xlsx"
