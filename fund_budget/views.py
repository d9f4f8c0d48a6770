"""Caseworker pages: fund monitoring (/fund/), clearing report downloads, and the index negotiation
pages where the bureau and the institutions take their steps."""
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from . import budget, monitoring
from .common import FundError
from .export import XLSX_TYPE, clearing_workbook, export_filename
from .models import ClearingReport, Fund, IndexNegotiation, NegotiationAction
from .permissions import can_list_statements
from .selectors import clearings_for

MONITORING_PERM = "fund_budget.view_fund_monitoring"


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@login_required
@require_safe
def dashboard(request):
    if not request.user.has_perm(MONITORING_PERM):
        raise PermissionDenied
    today = timezone.localdate()
    year = _int(request.GET.get("year"), today.year)
    fund = request.GET.get("fund") or ""
    if fund and fund not in Fund.values:
        raise Http404
    region = (request.GET.get("region") or "").strip() or None
    data = monitoring.overview(year, region, today, only=fund or None)  # each fund on its own
    data.update(fund=fund, fund_choices=Fund.choices)
    return render(request, "fund_budget/dashboard.html", data)


def _xlsx_response(reports) -> HttpResponse:
    response = HttpResponse(clearing_workbook(reports), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(reports)}"'
    return response


@login_required
@require_safe
def clearing_xlsx(request, pk: int):
    """One clearing report: the bureau any, an institution its own (404 for another's)."""
    if not can_list_statements.test(request.user):
        raise PermissionDenied
    return _xlsx_response([get_object_or_404(clearings_for(request.user), pk=pk)])


@login_required
@require_safe
def clearing_year_xlsx(request, year: int):
    if not request.user.has_perm("fund_budget.view_clearingreport"):
        raise PermissionDenied
    reports = list(ClearingReport.objects.filter(year=year).select_related("institution")
                   .order_by("institution__fixmedins_code", "fund"))
    if not reports:
        # An empty workbook would look like a download that worked; say plainly there is nothing yet.
        return render(request, "fund_budget/no_clearing.html", {"year": year}, status=404)
    return _xlsx_response(reports)


def _visible_negotiations(user):
    qs = IndexNegotiation.objects.select_related("index__institution")
    if user.has_perm(budget.BUREAU_PERM):
        return qs
    if user.has_perm(budget.INSTITUTION_PERM):
        return qs.filter(index__institution__in=budget.institutions_of(user))
    raise PermissionDenied


@login_required
@require_safe
def negotiation_list(request):
    qs = _visible_negotiations(request.user)
    year = _int(request.GET.get("year"), 0)
    if year:
        qs = qs.filter(index__year=year)
    return render(request, "fund_budget/negotiation_list.html",
                  {"negotiations": qs.order_by("-index__year", "index__institution__fixmedins_code")[:500]})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def negotiation_detail(request, pk: int):
    negotiation = get_object_or_404(_visible_negotiations(request.user), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in budget.allowed_actions(request.user, negotiation):
            raise PermissionDenied
        raw = (request.POST.get("amount") or "").strip().replace(",", "")
        try:
            amount = Decimal(raw) if raw else None
            budget.take_step(negotiation, action, request.user, amount=amount, note=request.POST.get("note", ""))
            messages.success(request, _("已保存。"))
        except InvalidOperation:
            messages.error(request, _("金额格式不正确。"))
        except FundError as exc:
            messages.error(request, str(exc))
        return redirect("fund_budget:negotiation", pk=negotiation.pk)
    actions = [(a, NegotiationAction(a).label) for a in budget.allowed_actions(request.user, negotiation)]
    return render(request, "fund_budget/negotiation_detail.html", {
        "negotiation": negotiation, "index": negotiation.index, "steps": negotiation.steps.select_related("actor"),
        "actions": actions})
