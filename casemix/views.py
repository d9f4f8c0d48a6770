"""The DIP pages (/dip/): a region's year (point value, each institution's points, grouping rate, CMI-like index,
DIP amount and clearing) and an institution's cases (group, kind, points and why). The bureau sees every
institution; an institution login sees its own row and its own cases (404 for another's); any other login 403
(fund_budget.permissions, as the statement and clearing pages)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from fund_budget.permissions import institution_of, is_fund_bureau
from insurance.models import Institution

from .coding import case_hits
from .deadlines import missing_lists, queue_counts
from .models import CaseKind
from .pages import case_list, case_rows, year_rows, year_run, year_runs


def page_scope(user, denied: str | None = None) -> int | None:
    """What a DIP page (this module's, the list deadline's, the special-case review's) shows a user: None for the
    bureau (is_fund_bureau), the institution's id for an institution login; 403 with `denied` for anyone else."""
    if is_fund_bureau.test(user):
        return None
    institution_id = institution_of(user)
    if institution_id is None:
        raise PermissionDenied(denied or _("只有医保经办机构和医药机构可以查看DIP结果。"))
    return institution_id


def render_page(request, template: str, context: dict, status: int = 200):
    """A DIP page in the workspace's layout for the bureau, the portal's for an institution."""
    bureau = is_fund_bureau.test(request.user)
    layout = "workspace/base.html" if bureau else "fund_budget/_portal_base.html"
    return render(request, template, {"layout": layout, "is_bureau": bureau, **context}, status=status)


@login_required
@require_safe
def dip_index(request):
    own = page_scope(request.user)
    return render_page(request, "casemix/dip_index.html", {
        "runs": year_runs(), "lists": queue_counts(missing_lists(institution_id=own))})


@login_required
@require_safe
def dip_year(request, region: str, year: int):
    own = page_scope(request.user)
    run = year_run(region, year)
    rows = [] if run is None else year_rows(run, own)
    return render_page(request, "casemix/dip_year.html", {"region": region, "year": year, "run": run, "rows": rows})


@login_required
@require_safe
def dip_cases(request, region: str, year: int, code: str):
    own = page_scope(request.user)
    institution = get_object_or_404(Institution, fixmedins_code=code, region=region)
    if own is not None and own != institution.pk:
        raise Http404
    run = year_run(region, year)
    kind = request.GET.get("kind")
    kind = kind if kind in (CaseKind.LOW, CaseKind.HIGH) else None  # the deviation cases of one kind
    rows = [] if run is None else case_rows(run, institution, kind=kind)
    summary = (year_rows(run, institution.pk) or [None])[0] if run is not None else None
    return render_page(request, "casemix/dip_cases.html", {"region": region, "year": year, "run": run, "rows": rows,
                                                       "institution": institution, "summary": summary,
                                                       "kind": kind and CaseKind(kind)})


@login_required
@require_safe
def dip_case(request, region: str, year: int, code: str, setl_id: str):
    """One case: its uploaded list, group, kind, points and why, and the coding-quality hits on it."""
    own = page_scope(request.user)
    institution = get_object_or_404(Institution, fixmedins_code=code, region=region)
    if own is not None and own != institution.pk:
        raise Http404
    run = year_run(region, year)
    row = (case_rows(run, institution, setl_id=setl_id) or [None])[0] if run is not None else None
    if row is None:
        raise Http404
    return render_page(request, "casemix/dip_case.html", {
        "region": region, "year": year, "run": run, "institution": institution, "row": row,
        **case_list(row["case"].setl_list), "hits": case_hits(row["case"].settlement)})
