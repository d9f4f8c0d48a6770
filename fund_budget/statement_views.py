"""The statement and clearing pages (/fund/statements/, /fund/clearings/) with their XLSX and PDF downloads.

Every page needs a login (else 302 to the login page). The bureau sees every institution; an institution
login (insurance.InstitutionUser) sees its own statements and reports, and gets a 404 for anyone else's; any
other login gets a 403 (fund_budget.permissions). The rows come from fund_budget.selectors, the files from
fund_budget.export and fund_budget.pdf."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from . import pdf
from .common import FundError, parse_month
from .export import XLSX_TYPE, statement_filename, statement_workbook
from .filters import ClearingFilter, StatementFilter
from .permissions import can_list_statements, is_fund_bureau
from .selectors import clearing_parts, clearings_for, statement_parts, statements_for
from .tables import ClearingTable, StatementTable

PER_PAGE = 25


def _require_reader(user) -> None:
    """403 for a login that is neither the bureau nor an institution."""
    if not can_list_statements.test(user):
        raise PermissionDenied(_("Only the bureau and institutions may read statements."))


def _render(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    """A page in the workspace's layout for the bureau, in the plain site layout for an institution."""
    bureau = is_fund_bureau.test(request.user)
    layout = "workspace/base.html" if bureau else "fund_budget/_portal_base.html"
    return render(request, template, {"layout": layout, "is_bureau": bureau, **context}, status=status)


def _file(content: bytes, content_type: str, filename: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


def _list(request, filter_class, table_class, template: str, period: str):
    """A filtered, sortable, paginated list; a bad filter value is a 400 with the field's error on the form.
    `period` (month or year) is handed to the page, once valid, for the link to the period's workbook."""
    _require_reader(request.user)
    filterset = filter_class(request.GET or None, user=request.user)
    table = table_class(filterset.qs)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    valid = not filterset.is_bound or filterset.is_valid()
    selected = filterset.form.cleaned_data.get(period) if filterset.is_bound and valid else ""
    return _render(request, template, {"filter": filterset, "table": table, period: selected or ""},
                   status=200 if valid else 400)


# --- monthly statements ----------------------------------------------------------------------------------


@login_required
@require_safe
def statement_list(request):
    return _list(request, StatementFilter, StatementTable, "fund_budget/statement_list.html", "month")


def _statement(request, pk: int):
    _require_reader(request.user)
    return get_object_or_404(statements_for(request.user), pk=pk)


@login_required
@require_safe
def statement_detail(request, pk: int):
    st = _statement(request, pk)
    return _render(request, "fund_budget/statement_detail.html", {"st": st, **statement_parts(st)})


@login_required
@require_safe
def statement_xlsx(request, pk: int):
    st = _statement(request, pk)
    return _file(statement_workbook([st]), XLSX_TYPE, statement_filename([st]))


@login_required
@require_safe
def statement_pdf(request, pk: int):
    st = _statement(request, pk)
    return _file(pdf.statement_pdf(st), pdf.PDF_TYPE,
                 f"statement-{st.month:%Y-%m}-{st.institution.fixmedins_code}.pdf", inline=True)


@login_required
@require_safe
def month_xlsx(request, month: str):
    """Every statement of a month the user may read, in one workbook (404 page when there is none)."""
    _require_reader(request.user)
    try:
        first = parse_month(month)
    except FundError as exc:
        return _render(request, "fund_budget/no_statements.html", {"month": month, "error": str(exc)}, status=400)
    statements = list(statements_for(request.user).filter(month=first))
    if not statements:
        return _render(request, "fund_budget/no_statements.html", {"month": month}, status=404)
    return _file(statement_workbook(statements), XLSX_TYPE, statement_filename(statements))


# --- year-end clearing ------------------------------------------------------------------------------------


@login_required
@require_safe
def clearing_list(request):
    return _list(request, ClearingFilter, ClearingTable, "fund_budget/clearing_list.html", "year")


def _clearing(request, pk: int):
    _require_reader(request.user)
    return get_object_or_404(clearings_for(request.user), pk=pk)


@login_required
@require_safe
def clearing_detail(request, pk: int):
    report = _clearing(request, pk)
    return _render(request, "fund_budget/clearing_detail.html", {"report": report, **clearing_parts(report)})


@login_required
@require_safe
def clearing_pdf(request, pk: int):
    report = _clearing(request, pk)
    return _file(pdf.clearing_pdf(report), pdf.PDF_TYPE,
                 f"clearing-{report.year}-{report.institution.fixmedins_code}-{report.fund}.pdf", inline=True)
