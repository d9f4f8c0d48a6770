"""The statement and clearing pages (/fund/statements/, /fund/clearings/) with their XLSX and PDF downloads.

Every page needs a login (else 302 to the login page). The bureau sees every institution; an institution
login (insurance.InstitutionUser) sees its own statements and reports, and gets a 404 for anyone else's; any
other login gets a 403 (fund_budget.permissions). The rows come from fund_budget.selectors, the files from
fund_budget.export and fund_budget.pdf.

Reopening a month (fund_budget.reopening): a supervisor requests it from a statement's page, giving a reason;
another supervisor approves it there or from the list's open requests. A superseded statement's page (and its
files) stays readable, with a banner naming the approval, the reason and the statement that replaced it."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_tables2 import RequestConfig

from . import pdf, reopening
from .common import FundError, parse_month
from .export import XLSX_TYPE, statement_filename, statement_workbook
from .filters import ClearingFilter, StatementFilter
from .forms import ReopenForm
from .models import MonthReopeningRequest
from .permissions import can_approve_reopening, can_list_statements, can_request_reopening, is_fund_bureau
from .selectors import (
    clearing_parts,
    clearings_for,
    open_reopening_requests,
    statement_parts,
    statement_reopening,
    statements_for,
)
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


def _list(request, filter_class, table_class, template: str, period: str, **extra):
    """A filtered, sortable, paginated list; a bad filter value is a 400 with the field's error on the form.
    `period` (month or year) is handed to the page, once valid, for the link to the period's workbook."""
    _require_reader(request.user)
    filterset = filter_class(request.GET or None, user=request.user)
    table = table_class(filterset.qs)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    valid = not filterset.is_bound or filterset.is_valid()
    selected = filterset.form.cleaned_data.get(period) if filterset.is_bound and valid else ""
    return _render(request, template, {"filter": filterset, "table": table, period: selected or "", **extra},
                   status=200 if valid else 400)


# --- monthly statements ----------------------------------------------------------------------------------


@login_required
@require_safe
def statement_list(request):
    reopenings = []
    if can_request_reopening.test(request.user):  # the supervisors: the requests awaiting a second one
        reopenings = [(r, can_approve_reopening.test(request.user, r)) for r in open_reopening_requests()]
    return _list(request, StatementFilter, StatementTable, "fund_budget/statement_list.html", "month",
                 reopenings=reopenings)


def _statement(request, pk: int):
    _require_reader(request.user)
    return get_object_or_404(statements_for(request.user, superseded=True), pk=pk)


def _detail(request, st, *, form=None, error: str = "", status: int = 200) -> HttpResponse:
    return _render(request, "fund_budget/statement_detail.html", {
        "st": st, **statement_parts(st), **statement_reopening(st, request.user),
        "reopen_form": form or ReopenForm(), "reopen_error": error}, status=status)


@login_required
@require_safe
def statement_detail(request, pk: int):
    return _detail(request, _statement(request, pk))


@login_required
@require_POST
def statement_reopen(request, pk: int):
    """A supervisor asks to reopen the statement's month (its run), with a reason: 400 naming the field or
    the refusal (a paid month, an open request, a later month settled), 403 for anyone else."""
    st = _statement(request, pk)
    if not can_request_reopening.test(request.user):
        raise PermissionDenied(_("Only supervisors may request to reopen a month."))
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _detail(request, st, form=form, status=400)
    try:
        reopening.request_reopening(st.run, form.cleaned_data["reason"], request.user)
    except FundError as exc:
        return _detail(request, st, form=form, error=str(exc), status=400)
    messages.success(request, _("Reopening of %(month)s requested; another supervisor must approve it.") % {
        "month": f"{st.month:%Y-%m}"})
    return redirect("fund_budget:statement", pk=st.pk)


@login_required
@require_POST
def reopening_approve(request, pk: int):
    """Another supervisor approves a request to reopen a month; then back to `next` (the page it came from).
    403 for the requester (four eyes) and anyone but a supervisor, 400 with the refusal (e.g. paid since)."""
    req = get_object_or_404(MonthReopeningRequest.objects.select_related("run"), pk=pk)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("fund_budget:statements")
    try:
        reopening.approve_reopening(req, request.user)
    except FundError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, _("Reopening of %(month)s approved: its statements are superseded; settle the "
                                "month again to issue the corrected ones.") % {"month": f"{req.run.month:%Y-%m}"})
    return redirect(back)


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
