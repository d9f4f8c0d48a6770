"""The list-deadline queue (/dip/lists/): the inpatient settlements whose settlement list is missing, most overdue
first, with due date and days overdue (casemix.deadlines). The bureau sees every institution and filters by
region and institution; an institution login sees its own settlements only (the query is scoped, not the
filter); any other login 403, as the other DIP pages (casemix.views)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from .deadline_filters import MissingListFilter
from .deadline_tables import MissingListTable
from .deadlines import missing_lists, queue_counts
from .views import page_scope, render_page

PER_PAGE = 25


@login_required
@require_safe
def list_queue(request):
    own = page_scope(request.user)
    queue = missing_lists(institution_id=own)
    filterset = MissingListFilter(request.GET or None, queryset=queue, bureau=own is None)
    valid = not filterset.is_bound or filterset.is_valid()
    table = MissingListTable(filterset.qs if valid else queue.none())
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    response = render_page(request, "casemix/list_queue.html", {"filter": filterset, "table": table,
                                                           "counts": queue_counts(queue)})
    response.status_code = 200 if valid else 400  # a bad filter value: the form names the field
    return response
