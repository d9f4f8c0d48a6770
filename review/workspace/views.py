"""The review pages of the workspace (the queue's own pages are in review.workspace.queue). Every page needs a login (else 302 to the login page) and a bureau
role (claims.permissions.can_view_review, else 403); the rows come from the user-scoped selectors
(review.selectors), and the verbs call review.services, which checks the role again and writes the trail."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from claims.errors import ServiceError
from claims.permissions import (
    can_decide_appeal,
    can_review_item,
    is_active_superuser,
    is_appeal_reviewer,
)
from claims.selectors import settlement_breakdown, visit_lines
from review import services as review
from review.models import AuditHit, SuspectState
from review.selectors import appeals_for, display_certno, item_hits, items_for, visit_trail
from review.workspace.filters import AppealFilter
from review.workspace.forms import ConfirmForm, DecideForm, DismissForm
from review.workspace.pages import paginate, require_bureau
from review.workspace.queue import after_verb_url, neighbours, queue_query
from review.workspace.tables import AppealTable

# --- item page -------------------------------------------------------------------------------------------


def _item_context(request, item, confirm_form=None, dismiss_form=None) -> dict:
    user = request.user
    visit = item.visit
    person = visit.person
    visit_hits = list(AuditHit.objects.filter(visit=visit).order_by("pk"))
    codes_by_sn: dict[str, list[str]] = {}
    for hit in visit_hits:
        for sn in hit.feedetl_sns or []:
            codes_by_sn.setdefault(str(sn), []).append(hit.rule_code)
    lines = visit_lines(visit, item.settlement)  # numeric order, item names, class labels, reasons in words
    item_sns = {str(sn) for h in item_hits(user, item) for sn in (h.feedetl_sns or [])}
    for ln in lines:
        ln.hit_codes = sorted(set(codes_by_sn.get(ln.feedetl_sn, [])))
        ln.in_item = ln.feedetl_sn in item_sns
    may_review = can_review_item.test(user, item) and item.state == SuspectState.PENDING
    appeal = item.appeal if hasattr(item, "appeal") else None
    return {
        "item": item, "visit": visit, "person": person, "certno": display_certno(user, person.certno),
        "lines": lines, "settlement": item.settlement, "breakdown": settlement_breakdown(item.settlement),
        "hits": item_hits(user, item), "trail": visit_trail(user, visit),
        "may_review": may_review,
        "confirm_form": confirm_form or ConfirmForm(item=item, initial={"amount": item.amount_at_stake}),
        "dismiss_form": dismiss_form or DismissForm(),
        "appeal": appeal, "deduction": item.deduction,
        "appeal_deadline": review.appeal_deadline(item),
        **neighbours(user, item, queue_query(request.GET)),
    }


def _get_item(request, pk):
    require_bureau(request.user)
    return get_object_or_404(items_for(request.user).select_related("visit__person", "deduction"), pk=pk)


@login_required
@require_safe
def item_detail(request, pk):
    item = _get_item(request, pk)
    return render(request, "review/item.html", _item_context(request, item))


def _service_errors(form, exc: ServiceError) -> None:
    for err in exc.errors:
        field = err.get("field") if err.get("field") in form.fields else None
        form.add_error(field, err["message"])


def _item_response(request, item, status, **forms_):
    if request.htmx:  # htmx swaps only 2xx responses: the form with its errors replaces the actions
        return render(request, "review/_item_actions.html", _item_context(request, item, **forms_))
    return render(request, "review/item.html", _item_context(request, item, **forms_), status=status)


@login_required
@require_POST
def item_confirm(request, pk):
    item = _get_item(request, pk)
    if not can_review_item.test(request.user, item):
        raise PermissionDenied(_("Only reviewers may confirm suspect items."))
    form = ConfirmForm(request.POST, item=item)
    if form.is_valid():
        try:
            review.confirm_item(item, user=request.user, amount=form.cleaned_data["amount"],
                                reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("Suspect item #%(n)s confirmed; the deduction is recorded.") % {"n": pk})
            return _done(request, after_verb_url(request.user, item, queue_query(request.GET)))
    return _item_response(request, item, 400, confirm_form=form)


@login_required
@require_POST
def item_dismiss(request, pk):
    item = _get_item(request, pk)
    if not can_review_item.test(request.user, item):
        raise PermissionDenied(_("Only reviewers may dismiss suspect items."))
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            review.dismiss_item(item, user=request.user, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("Suspect item #%(n)s dismissed.") % {"n": pk})
            return _done(request, after_verb_url(request.user, item, queue_query(request.GET)))
    return _item_response(request, item, 400, dismiss_form=form)


def _done(request, url: str):
    """After a verb: a plain form gets a 302; htmx gets a 200 with HX-Redirect, which it follows with a full
    page load (a 302 would be followed inside the request, and the next page swapped into the actions)."""
    if request.htmx:
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# --- appeals ---------------------------------------------------------------------------------------------


@login_required
@require_safe
def appeal_list(request):
    require_bureau(request.user)
    data = request.GET.copy()
    if "state" not in data:
        data["state"] = "filed"
    filterset = AppealFilter(data, user=request.user)
    table = AppealTable(filterset.qs)
    paginate(request, table)
    return render(request, "review/appeals.html", {"filter": filterset, "table": table})


def _may_decide_role(user) -> bool:
    return (is_appeal_reviewer | is_active_superuser).test(user)


def _appeal_context(request, appeal, form=None, error=None) -> dict:
    item = appeal.item
    return {
        "appeal": appeal, "item": item, "trail": visit_trail(request.user, item.visit),
        "may_decide": _may_decide_role(request.user) and appeal.state == "filed",
        "four_eyes": _may_decide_role(request.user) and not can_decide_appeal.test(request.user, appeal),
        "form": form or DecideForm(), "error": error,
    }


def _get_appeal(request, pk):
    require_bureau(request.user)
    return get_object_or_404(appeals_for(request.user, state=None).select_related("item__deduction"), pk=pk)


@login_required
@require_safe
def appeal_detail(request, pk):
    appeal = _get_appeal(request, pk)
    return render(request, "review/appeal.html", _appeal_context(request, appeal))


@login_required
@require_POST
def appeal_decide(request, pk):
    appeal = _get_appeal(request, pk)
    if not _may_decide_role(request.user):
        raise PermissionDenied(_("Only appeal reviewers may decide appeals."))
    form = DecideForm(request.POST)
    if form.is_valid():
        try:
            review.decide_appeal(appeal, user=request.user, upheld=form.cleaned_data["decision"] == "upheld",
                                 reason=form.cleaned_data["reason"])
        except PermissionDenied as exc:  # four eyes: the service refuses the confirming reviewer
            return render(request, "review/appeal.html",
                          _appeal_context(request, appeal, form=form, error=str(exc)), status=403)
        except ServiceError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("Appeal decided."))
            return _done(request, reverse("workspace:appeal", args=[pk]))
    return render(request, "review/appeal.html", _appeal_context(request, appeal, form=form), status=400)
