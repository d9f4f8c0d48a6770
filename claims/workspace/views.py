"""Workspace views: the dashboard, person, institution and search pages (the review pages are in
review.workspace). Every page needs a login (else 302 to the login page) and a bureau role
(claims.permissions.can_view_review, else 403); the rows come from the user-scoped selectors."""
from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.views.decorators.http import require_http_methods, require_safe

from claims.models import Visit
from claims.selectors import (
    NAME_SUBSTRING_MIN,
    current_settlement,
    day_figures,
    institution_figures,
    latest_business_day,
    person_year,
    search_hint,
    settlement_breakdown,
    visit_lines,
    visit_settlements,
)
from claims.workspace.charts import institution_charts
from claims.workspace.forms import BusinessDayForm
from claims.workspace.tables import DeductionTable, HitTable, InstitutionTable, PersonTable, VisitTable
from core.periods import day_bounds
from insurance.chronic_selectors import qualifications_of
from insurance.models import Institution, Person
from review.models import SuspectState
from review.selectors import display_certno, institution_review, review_day_figures, visit_review, visit_trail
from review.workspace.pages import paginate, require_bureau
from review.workspace.tables import AppealTable


def _year(request) -> int:
    try:
        return int(request.GET.get("year"))
    except (TypeError, ValueError):
        return timezone.localdate().year


# --- dashboard -------------------------------------------------------------------------------------------


@login_required
@require_safe
def dashboard(request):
    """A business day's figures, by business date (the settlements' day, not the day the audit ran); without
    ?date= the latest day with uploads or settlements (claims.selectors.latest_business_day)."""
    require_bureau(request.user)
    form = BusinessDayForm(request.GET)
    if not form.is_valid():
        return render(request, "workspace/dashboard.html", {"form": form}, status=400)
    latest = latest_business_day()
    day = form.cleaned_data["date"] or latest or timezone.localdate()
    start, end = day_bounds(day)
    return render(request, "workspace/dashboard.html", {
        "form": form, "day": day, "latest_day": latest,
        "prev_day": day - dt.timedelta(days=1), "next_day": day + dt.timedelta(days=1),
        **day_figures(start, end), **review_day_figures(request.user, start, end),
    })


# --- person ----------------------------------------------------------------------------------------------


@login_required
@require_safe
def person_detail(request, psn_no):
    require_bureau(request.user)
    person = get_object_or_404(Person, psn_no=psn_no)
    year = _year(request)
    page = person_year(person, year)
    table = VisitTable(page.pop("visits"), prefix="v-")
    paginate(request, table)
    return render(request, "workspace/person.html", {
        "person": person, "certno": display_certno(request.user, person.certno), "year": year, "table": table,
        "qualifications": qualifications_of(person), **page,
    })


# --- visit ---------------------------------------------------------------------------------------------


@login_required
@require_safe
def visit_detail(request, mdtrt_id):
    """Every visit explained: its header, its lines with item names, classes and reasons in words, the
    settlement in force broken down to the fen, the settlement history, its audit hits and suspect items."""
    require_bureau(request.user)
    visit = get_object_or_404(Visit.objects.select_related("person", "institution"), mdtrt_id=mdtrt_id)
    history = visit_settlements(visit)
    settlement = current_settlement(history)
    return render(request, "workspace/visit.html", {
        "visit": visit, "person": visit.person, "certno": display_certno(request.user, visit.person.certno),
        "lines": visit_lines(visit, settlement), "settlement": settlement, "history": history,
        "breakdown": settlement_breakdown(settlement) if settlement else None,
        "trail": visit_trail(request.user, visit), **visit_review(request.user, visit),
    })


# --- institution -----------------------------------------------------------------------------------------


@login_required
@require_safe
def institution_detail(request, code):
    require_bureau(request.user)
    institution = get_object_or_404(Institution, fixmedins_code=code)
    year = _year(request)
    review = institution_review(request.user, institution, year)
    hit_table = HitTable(review.pop("hits"), prefix="h-")
    deduction_table = DeductionTable(review.pop("deductions"), prefix="d-")
    appeal_table = AppealTable(review.pop("appeals"), prefix="a-")
    for table in (hit_table, deduction_table, appeal_table):
        paginate(request, table)
    return render(request, "workspace/institution.html", {
        "institution": institution, "year": year, "stats": institution_figures(institution, year),
        "hit_table": hit_table, "deduction_table": deduction_table, "appeal_table": appeal_table,
        "state_labels": dict(SuspectState.choices), "charts": institution_charts(institution, year, review["hit_counts"]),
        **review,
    })


# --- search ----------------------------------------------------------------------------------------------


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
    require_bureau(request.user)
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
            paginate(request, context[key])
        context["total"] = sum(context[k].paginator.count for k in ("person_table", "visit_table",
                                                                   "institution_table"))
        context["hint"] = search_hint(q, context["person_table"].paginator.count)
    return render(request, "workspace/search.html", context)
