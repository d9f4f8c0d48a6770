"""Workspace views: the dashboard, person, institution and search pages (the review pages are in
review.workspace). Every page needs a login (else 302 to the login page) and a bureau role
(claims.permissions.can_view_review, else 403); the rows come from the user-scoped selectors."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from django_tables2 import RequestConfig

from claims.models import Accumulator, Visit
from claims.permissions import can_view_review
from claims.selectors import day_figures, institution_figures
from claims.workspace.tables import DeductionTable, HitTable, InstitutionTable, PersonTable, VisitTable
from core.periods import day_bounds
from fund_budget.models import AuditDeduction
from insurance.models import Enrollment, Institution, Person
from review.models import AuditHit, SuspectState
from review.selectors import appeals_for, display_certno, items_for
from review.workspace.tables import AppealTable

PER_PAGE = 25


def _require_bureau(user) -> None:
    if not can_view_review.test(user):
        raise PermissionDenied(_("Only bureau staff may use the workspace."))


def _paginate(request, table) -> None:
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)


def _year(request) -> int:
    try:
        return int(request.GET.get("year"))
    except (TypeError, ValueError):
        return timezone.localdate().year


# --- dashboard -------------------------------------------------------------------------------------------


@login_required
@require_safe
def dashboard(request):
    _require_bureau(request.user)
    day = parse_date(request.GET.get("date") or "") or timezone.localdate()
    start, end = day_bounds(day)
    figures = day_figures(start, end)
    items = items_for(request.user).filter(created_at__gte=start, created_at__lt=end)
    item_agg = items.aggregate(n=Count("pk"), amount=Sum("amount_at_stake"),
                               pending=Count("pk", filter=Q(state=SuspectState.PENDING)))
    hits = (AuditHit.objects.filter(created_at__gte=start, created_at__lt=end)
            .values("rule_code", "rule__name", "severity")
            .annotate(n=Count("pk"), visits=Count("visit", distinct=True), amount=Sum("amount"))
            .order_by("-n", "rule_code"))
    context = {
        "day": day, "prev_day": day - dt.timedelta(days=1), "next_day": day + dt.timedelta(days=1),
        **figures,
        "new_items": item_agg["n"], "new_items_amount": item_agg["amount"] or Decimal("0.00"),
        "new_items_pending": item_agg["pending"],
        "hits": list(hits),
        "queue_pending": items_for(request.user).filter(state=SuspectState.PENDING).count(),
    }
    return render(request, "workspace/dashboard.html", context)


# --- person ----------------------------------------------------------------------------------------------


@login_required
@require_safe
def person_detail(request, psn_no):
    _require_bureau(request.user)
    person = get_object_or_404(Person, psn_no=psn_no)
    year = _year(request)
    accumulators = Accumulator.objects.filter(person=person, year=year).order_by("kind", "key")
    visits = (Visit.objects.filter(person=person).select_related("person", "institution")
              .prefetch_related("suspect_items").order_by("-begntime"))
    table = VisitTable(visits, prefix="v-")
    _paginate(request, table)
    return render(request, "workspace/person.html", {
        "person": person, "certno": display_certno(request.user, person.certno),
        "enrollments": Enrollment.objects.filter(person=person).order_by("-enrolled_from"),
        "in_force": Enrollment.objects.in_force(person, timezone.localdate()).first(),
        "account": getattr(person, "account", None) if hasattr(person, "account") else None,
        "year": year, "accumulators": accumulators, "table": table,
    })


# --- institution -----------------------------------------------------------------------------------------


@login_required
@require_safe
def institution_detail(request, code):
    _require_bureau(request.user)
    institution = get_object_or_404(Institution, fixmedins_code=code)
    year = _year(request)
    stats = institution_figures(institution, year)
    # the hits and items of the year shown, not of every year: the page's cost stays that of one year
    in_year = {"created_at__gte": timezone.make_aware(dt.datetime(year, 1, 1)),
               "created_at__lt": timezone.make_aware(dt.datetime(year + 1, 1, 1))}
    hits = AuditHit.objects.filter(institution=institution, **in_year).select_related("visit")
    hit_counts = hits.values("rule_code", "rule__name").annotate(n=Count("pk"), amount=Sum("amount")).order_by(
        "-n", "rule_code")
    hit_table = HitTable(hits, prefix="h-")
    _paginate(request, hit_table)
    deductions = AuditDeduction.objects.filter(institution=institution).order_by("-confirmed_at", "-pk")
    deduction_totals = deductions.aggregate(
        n=Count("pk"), total=Sum("amount"), reversed=Sum("amount", filter=Q(reversed_at__isnull=False)))
    deduction_table = DeductionTable(deductions, prefix="d-")
    _paginate(request, deduction_table)
    appeals = appeals_for(request.user, state=None).filter(institution=institution)
    appeal_table = AppealTable(appeals, prefix="a-")
    _paginate(request, appeal_table)
    items = items_for(request.user).filter(institution=institution, **in_year)
    return render(request, "workspace/institution.html", {
        "institution": institution, "year": year, "stats": stats, "hit_counts": hit_counts,
        "hit_table": hit_table, "deduction_table": deduction_table, "deduction_totals": deduction_totals,
        "appeal_table": appeal_table,
        "item_counts": items.values("state").annotate(n=Count("pk")).order_by("state"),
        "state_labels": dict(SuspectState.choices),
    })


# --- search ----------------------------------------------------------------------------------------------


NAME_SUBSTRING_MIN = 3  # pg_trgm needs three characters of the query to narrow a substring search down


def _person_match(q: str) -> Q:
    """Who a search matches. A query with a digit is a code: the person number or the ID number, exactly (it
    is never looked for inside names). Otherwise it is a name: anywhere in the name from three characters on
    (the trigram index), and from the start of the name when shorter (the name index), because a one- or
    two-character substring search reads every insured person."""
    if any(ch.isdigit() for ch in q):
        return Q(psn_no=q) | Q(certno=q.upper())
    if len(q) >= NAME_SUBSTRING_MIN:
        return Q(name__icontains=q)
    return Q(name__startswith=q)


# An ID number (18 characters) or an old 15-digit one anywhere in a query: such a query travels only in a POST.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Searches a session keeps for their ?s= links (the newest; older links show the empty search page).
KEPT_SEARCHES = 20


def _search_key(q: str) -> str:
    """The query's name in a URL: a keyed hash (SECRET_KEY), so the URL and the access log never hold the
    query itself and the same search has the same link within a session."""
    return salted_hmac("workspace.search", q).hexdigest()[:20]


def _posted_search(request) -> HttpResponseRedirect:
    """A search from the form: the query is kept in the session under its key and the browser is sent to
    ?s=<key>, whose pages (and their pagination links) carry the key, not the query."""
    q = (request.POST.get("q") or "").strip()
    if not q:
        return HttpResponseRedirect(reverse("workspace:search"), status=303)
    kept = {k: v for k, v in request.session.get("ws_searches", {}).items() if v != q}
    kept[_search_key(q)] = q
    request.session["ws_searches"] = dict(list(kept.items())[-KEPT_SEARCHES:])
    return HttpResponseRedirect(f"{reverse('workspace:search')}?s={_search_key(q)}", status=303)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def search(request):
    _require_bureau(request.user)
    if request.method == "POST":
        return _posted_search(request)
    if "s" in request.GET:
        q = request.session.get("ws_searches", {}).get(request.GET["s"], "")
    else:
        # ?q= still serves links by person number, visit ID, name or institution; never an ID number
        q = (request.GET.get("q") or "").strip()
        if ID_NUMBER.search(q):
            return render(request, "workspace/search.html", {"q": "", "id_number_in_url": True}, status=400)
    context = {"q": q}
    if q:
        persons = Person.objects.filter(_person_match(q)).order_by("psn_no")
        visits = (Visit.objects.filter(mdtrt_id=q).select_related("person", "institution")
                  .prefetch_related("suspect_items"))
        institutions = Institution.objects.filter(Q(fixmedins_code=q) | Q(name__icontains=q))
        context.update(
            person_table=PersonTable(persons, user=request.user, prefix="p-"),
            visit_table=VisitTable(visits, prefix="v-"),
            institution_table=InstitutionTable(institutions, prefix="i-"),
        )
        for key in ("person_table", "visit_table", "institution_table"):
            _paginate(request, context[key])
        context["total"] = sum(context[k].paginator.count for k in ("person_table", "visit_table",
                                                                   "institution_table"))
    return render(request, "workspace/search.html", context)
