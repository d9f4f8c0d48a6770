"""The review queue's pages (issue 16): the filtered, sortable queue with its bulk verbs and its XLSX export,
and the queue's order that the item page walks (上一条/下一条, and the next item after a verb).

A queue is named by its query string (QUEUE_KEYS: the filters and the table's sort, never the page), which
the queue carries on its links to the items and the item page carries on its forms, so that every page
of one queue walks the same items in the same order."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from claims.permissions import can_review_item
from core.spreadsheet import XLSX_TYPE
from review import services as review
from review.models import SuspectState
from review.selectors import items_for, queue_neighbour
from review.workspace.export import queue_workbook
from review.workspace.filters import QueueFilter
from review.workspace.forms import BulkForm
from review.workspace.pages import paginate, require_bureau
from review.workspace.tables import SuspectItemTable

QUEUE_KEYS = ("institution", "rule", "state", "min_amount", "max_amount", "min_age", "max_age", "sort")


def queue_query(params) -> QueryDict:
    """The queue's own parameters out of a request's GET; the queue opens on the pending items, so a
    missing state means pending (state= (empty) means all)."""
    query = QueryDict(mutable=True)
    for key in QUEUE_KEYS:
        if key in params:
            query.setlist(key, params.getlist(key))
    if "state" not in query:
        query["state"] = SuspectState.PENDING
    return query


def queue_table(user, query: QueryDict, **kwargs) -> tuple[QueueFilter, SuspectItemTable]:
    """The filter and the table of a queue, the table's rows sorted as `sort` asks (else oldest first)."""
    filterset = QueueFilter(query, user=user)
    table = SuspectItemTable(filterset.qs, order_by=query.get("sort") or None,
                             queue_query=query.urlencode(), **kwargs)
    return filterset, table


def ordered_queue(user, query: QueryDict):
    """Every item of a queue, in the order its table shows them (a queryset: the export and 下一条)."""
    return queue_table(user, query)[1].data.data


def item_url(pk: int, query: QueryDict) -> str:
    return f"{reverse('workspace:item', args=[pk])}?{query.urlencode()}"


def queue_url(query: QueryDict) -> str:
    return f"{reverse('workspace:queue')}?{query.urlencode()}"


def neighbours(user, item, query: QueryDict) -> dict:
    """The item page's links in its queue: the previous and next pending items, and the queue itself."""
    items = ordered_queue(user, query)
    previous, following = (queue_neighbour(items, item, forward=False), queue_neighbour(items, item))
    return {
        "queue_query": query.urlencode(), "queue_url": queue_url(query),
        "previous_url": item_url(previous.pk, query) if previous else None,
        "next_url": item_url(following.pk, query) if following else None,
    }


def after_verb_url(user, item, query: QueryDict) -> str:
    """Where a verb on the item page leads: the next pending item of its queue, else the queue."""
    following = queue_neighbour(ordered_queue(user, query), item)
    return item_url(following.pk, query) if following else queue_url(query)


# --- pages -----------------------------------------------------------------------------------------------


def _queue_page(request, query: QueryDict, bulk_form=None, status=200):
    may_review = can_review_item.test(request.user)
    filterset, table = queue_table(request.user, query, selectable=may_review)
    paginate(request, table)
    if may_review and bulk_form is None:
        bulk_form = BulkForm()
    return render(request, "review/queue.html", {
        "filter": filterset, "table": table, "bulk_form": bulk_form if may_review else None,
        "queue_query": query.urlencode(),
    }, status=status)


@login_required
@require_safe
def queue(request):
    require_bureau(request.user)
    return _queue_page(request, queue_query(request.GET))


@login_required
@require_POST
def queue_bulk(request):
    """Confirm (each for its whole amount at stake) or dismiss the checked items, with one reason; a summary
    says how many were decided and which were skipped, and why. Reviewers only."""
    require_bureau(request.user)
    if not can_review_item.test(request.user):
        raise PermissionDenied(_("Only reviewers may confirm or dismiss suspect items."))
    query = queue_query(request.GET)
    form = BulkForm(request.POST, queryset=items_for(request.user))
    if not form.is_valid():
        return _queue_page(request, query, bulk_form=form, status=400)
    items, reason = form.cleaned_data["items"], form.cleaned_data["reason"]
    if form.cleaned_data["action"] == BulkForm.CONFIRM:
        result = review.confirm_items(items, user=request.user, reason=reason)
        done = ngettext("%(n)d suspect item confirmed for its amount at stake.",
                        "%(n)d suspect items confirmed for their amounts at stake.", len(result.done))
    else:
        result = review.dismiss_items(items, user=request.user, reason=reason)
        done = ngettext("%(n)d suspect item dismissed.", "%(n)d suspect items dismissed.", len(result.done))
    if result.done:
        messages.success(request, done % {"n": len(result.done)})
    if result.skipped:
        messages.warning(request, ngettext("%(n)d item skipped: %(why)s", "%(n)d items skipped: %(why)s",
                                           len(result.skipped)) % {
            "n": len(result.skipped),
            "why": "; ".join(f"#{item.pk} {message}" for item, _code, message in result.skipped)})
    return redirect(queue_url(query))


@login_required
@require_safe
def queue_export(request):
    """The filtered queue (every page, in the table's order) as an XLSX file."""
    require_bureau(request.user)
    items = ordered_queue(request.user, queue_query(request.GET))
    response = HttpResponse(queue_workbook(items), content_type=XLSX_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="review-queue-{stamp}.xlsx"'
    return response
