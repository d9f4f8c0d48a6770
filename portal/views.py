"""The institution portal's pages. Every page needs a login (else the login page) and a user acting for an
institution (insurance.InstitutionUser, else 403 — bureau staff use /ws/); every object is looked up within
the user's own institution, so another institution's visit, item or appeal answers 404. Reads go through
portal.selectors (and claims/review selectors), verbs through portal.services."""
from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_tables2 import RequestConfig

from casemix.deadlines import missing_lists, queue_counts
from claims.errors import ServiceError
from claims.models import SettlementStatus
from claims.selectors import current_settlement, settlement_breakdown, visit_lines, visit_settlements
from core.attachments import download_response
from portal import selectors, services
from portal.filters import SettlementFilter
from portal.forms import AppealForm, RevokeForm, TokenForm
from portal.tables import ItemTable, SettlementTable
from review.models import ReviewEvent, SuspectState
from review.selectors import display_certno, item_hits, visit_review
from review.services import appeal_deadline

PER_PAGE = 25


def institution_required(view):
    """Login (else the login page), then an institution user (else 403); request.institution is set."""
    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        institution = selectors.institution_of(request.user)
        if institution is None:
            raise PermissionDenied(_("The portal is for institution users; bureau staff use the workspace."))
        request.institution = institution
        return view(request, *args, **kwargs)
    return wrapped


def _service_errors(form, exc: ServiceError) -> None:
    for err in exc.errors:
        form.add_error(err.get("field") if err.get("field") in form.fields else None, err["message"])


# --- home ------------------------------------------------------------------------------------------------


@require_safe
@institution_required
def home(request):
    """The institution's settlements (filtered by date, status and type), its open suspect items and how many
    settlement lists it still owes (casemix.deadlines; the list at /dip/lists/)."""
    filterset = SettlementFilter(request.GET, queryset=selectors.settlements_of(request.institution))
    settlements = SettlementTable(filterset.qs, prefix="s-")
    items = ItemTable(selectors.items_of(request.user, selectors.OPEN_ITEM_STATES), prefix="i-")
    for table in (settlements, items):
        RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    counts = {state: selectors.items_of(request.user, [state]).count() for state in selectors.OPEN_ITEM_STATES}
    return render(request, "portal/home.html", {
        "filter": filterset, "settlements": settlements, "items": items,
        "pending": counts[SuspectState.PENDING], "confirmed": counts[SuspectState.CONFIRMED],
        "appealed": counts[SuspectState.APPEALED],
        "lists": queue_counts(missing_lists(institution_id=request.institution.pk)),
    })


# --- a visit and its settlement ---------------------------------------------------------------------------


@require_safe
@institution_required
def visit_detail(request, mdtrt_id):
    """One of the institution's visits: the lines, the settlement in force broken down, the history, its items."""
    visit = get_object_or_404(selectors.visits_of(request.institution), mdtrt_id=mdtrt_id)
    history = visit_settlements(visit)
    settlement = current_settlement(history)
    return render(request, "portal/visit.html", {
        "visit": visit, "person": visit.person, "certno": display_certno(request.user, visit.person.certno),
        "lines": visit_lines(visit, settlement), "settlement": settlement, "history": history,
        "breakdown": settlement_breakdown(settlement) if settlement else None,
        "settled": SettlementStatus.SETTLED, **visit_review(request.user, visit),
    })


# --- a suspect item and its appeal ------------------------------------------------------------------------


def _item(request, pk):
    return get_object_or_404(selectors.items_of(request.user).select_related("deduction"), pk=pk)


def _item_context(request, item, form=None) -> dict:
    appeal = getattr(item, "appeal", None)  # the reverse one-to-one raises an AttributeError when absent
    deadline = appeal_deadline(item)
    may_appeal = (item.state == SuspectState.CONFIRMED and appeal is None and deadline is not None
                  and timezone.now() <= deadline)
    return {
        "item": item, "visit": item.visit, "hits": item_hits(request.user, item), "appeal": appeal,
        "attachments": appeal.attachments.select_related("uploaded_by") if appeal else [],
        "events": ReviewEvent.objects.filter(item=item).select_related("actor").order_by("at", "pk"),
        "deadline": deadline, "may_appeal": may_appeal, "form": form or AppealForm(),
    }


@require_safe
@institution_required
def item_detail(request, pk):
    item = _item(request, pk)
    return render(request, "portal/item.html", _item_context(request, item))


@require_POST
@institution_required
def item_appeal(request, pk):
    """File the appeal with its attachments; bad input: the page again with the errors on their fields, 400."""
    item = _item(request, pk)
    form = AppealForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.file_appeal_with_attachments(item, user=request.user,
                                                  explanation=form.cleaned_data["explanation"],
                                                  uploads=form.cleaned_data["attachments"])
        except ServiceError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("Appeal filed."))
            return redirect("portal:item", pk=pk)
    item = _item(request, pk)
    return render(request, "portal/item.html", _item_context(request, item, form), status=400)


@require_safe
@login_required
def attachment_download(request, pk):
    """An appeal attachment, for the item's institution and bureau staff (claims.view_suspect_item); anyone
    else: 404. Sent as a download with the type its content was checked to be."""
    return download_response(get_object_or_404(selectors.attachments_visible_to(request.user), pk=pk))


# --- API tokens -------------------------------------------------------------------------------------------


def _tokens_context(request, form=None, new_token=None) -> dict:
    tokens = [{"user": t.user, "masked": selectors.mask_key(t.key), "created": t.created}
              for t in selectors.tokens_of(request.institution)]
    return {"tokens": tokens, "events": selectors.token_events_of(request.institution)[:50],
            "form": form or TokenForm(), "new_token": new_token, "revoke_form": RevokeForm()}


@require_safe
@institution_required
def tokens(request):
    return render(request, "portal/tokens.html", _tokens_context(request))


@require_POST
@institution_required
def token_create(request):
    """Issue a token; its key is on this response only (never stored in the page's URL or shown again)."""
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token = services.issue_token(user=request.user, username=form.cleaned_data["username"],
                                         reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            _service_errors(form, exc)
        else:
            response = render(request, "portal/tokens.html", _tokens_context(request, new_token=token))
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "portal/tokens.html", _tokens_context(request, form=form), status=400)


@require_POST
@institution_required
def token_revoke(request, user_id):
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.revoke_token(user=request.user, api_user_id=user_id, reason=reason)
    except ServiceError as exc:
        raise Http404(exc.errors[0]["message"]) from exc
    messages.success(request, _("Token revoked."))
    return redirect("portal:tokens")
