"""Workspace views. Every page needs a login (else 302 to the login page) and a bureau role
(claims.permissions.can_view_review, else 403); the rows come from the user-scoped selectors, and the
verbs call claims.review, which checks the role again and writes the trail."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from django_tables2 import RequestConfig

from claims import review
from claims.errors import ServiceError
from claims.models import (
    Accumulator,
    AuditHit,
    FeeLine,
    Settlement,
    SuspectState,
    Visit,
)
from claims.permissions import (
    can_decide_appeal,
    can_review_item,
    can_view_review,
    is_active_superuser,
    is_appeal_reviewer,
)
from claims.review_selectors import (
    appeals_for,
    display_certno,
    item_hits,
    items_for,
    visit_trail,
)
from claims.selectors import day_figures, institution_figures
from claims.workspace.filters import AppealFilter, QueueFilter
from claims.workspace.tables import (
    AppealTable,
    DeductionTable,
    HitTable,
    InstitutionTable,
    PersonTable,
    SuspectItemTable,
    VisitTable,
)
from core.periods import day_bounds
from fund_budget.models import AuditDeduction
from insurance.models import Enrollment, Institution, Person

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


# --- review queue ----------------------------------------------------------------------------------------


@login_required
@require_safe
def queue(request):
    _require_bureau(request.user)
    data = request.GET.copy()
    if "state" not in data:  # the queue opens on the pending items; state= (empty) shows all
        data["state"] = SuspectState.PENDING
    filterset = QueueFilter(data, user=request.user)
    table = SuspectItemTable(filterset.qs)
    _paginate(request, table)
    return render(request, "workspace/queue.html", {"filter": filterset, "table": table})


# --- item page -------------------------------------------------------------------------------------------


class ConfirmForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Deduction amount"), max_digits=14, decimal_places=2,
                                min_value=Decimal("0.01"))
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        if item is not None:
            self.fields["amount"].max_value = item.amount_at_stake
            self.fields["amount"].validators.append(MaxValueValidator(item.amount_at_stake))
            self.fields["amount"].widget.attrs.update({"max": item.amount_at_stake, "step": "0.01"})
            self.fields["amount"].help_text = _("At most %(a)s; may be lowered.") % {"a": item.amount_at_stake}


class DismissForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


def _breakdown(s: Settlement) -> list[dict]:
    """Where every yuan of the settlement went, as nested groups of the 14 amounts."""
    def node(label, amount, children=()):
        return {"label": label, "amount": amount, "children": list(children)}

    return [
        node(_("Total medical fees"), s.medfee_sumamt, [
            node(_("Fully self-paid"), s.fulamt_ownpay_amt),
            node(_("Above price limit"), s.overlmt_selfpay),
            node(_("Paid first by the patient"), s.preselfpay_amt),
            node(_("Within policy scope"), s.inscp_scp_amt),
        ]),
        node(_("Within policy scope"), s.inscp_scp_amt, [
            node(_("Deductible"), s.act_pay_dedc),
            node(_("Basic pooled fund"), s.hifp_pay),
            node(_("Large-amount fund"), s.hifob_pay),
            node(_("Critical illness insurance"), s.hifmi_pay),
            node(_("Medical assistance"), s.maf_pay),
        ]),
        node(_("Fund payments"), s.fund_pay_sumamt),
        node(_("Borne by the person"), s.psn_part_amt, [
            node(_("Personal account"), s.acct_pay),
            node(_("Cash"), s.psn_cash_pay),
        ]),
    ]


def _item_context(request, item, confirm_form=None, dismiss_form=None) -> dict:
    user = request.user
    visit = item.visit
    person = visit.person
    visit_hits = list(AuditHit.objects.filter(visit=visit).order_by("pk"))
    codes_by_sn: dict[str, list[str]] = {}
    for hit in visit_hits:
        for sn in hit.feedetl_sns or []:
            codes_by_sn.setdefault(str(sn), []).append(hit.rule_code)
    lines = list(FeeLine.objects.filter(visit=visit).order_by("feedetl_sn"))
    item_sns = {str(sn) for h in item_hits(user, item) for sn in (h.feedetl_sns or [])}
    for ln in lines:
        ln.hit_codes = sorted(set(codes_by_sn.get(ln.feedetl_sn, [])))
        ln.in_item = ln.feedetl_sn in item_sns
    may_review = can_review_item.test(user, item) and item.state == SuspectState.PENDING
    appeal = item.appeal if hasattr(item, "appeal") else None
    return {
        "item": item, "visit": visit, "person": person, "certno": display_certno(user, person.certno),
        "lines": lines, "settlement": item.settlement, "breakdown": _breakdown(item.settlement),
        "hits": item_hits(user, item), "trail": visit_trail(user, visit),
        "may_review": may_review,
        "confirm_form": confirm_form or ConfirmForm(item=item, initial={"amount": item.amount_at_stake}),
        "dismiss_form": dismiss_form or DismissForm(),
        "appeal": appeal, "deduction": item.deduction,
        "appeal_deadline": review.appeal_deadline(item),
    }


def _get_item(request, pk):
    _require_bureau(request.user)
    return get_object_or_404(items_for(request.user).select_related("visit__person", "deduction"), pk=pk)


@login_required
@require_safe
def item_detail(request, pk):
    item = _get_item(request, pk)
    return render(request, "workspace/item.html", _item_context(request, item))


def _service_errors(form, exc: ServiceError) -> None:
    for err in exc.errors:
        field = err.get("field") if err.get("field") in form.fields else None
        form.add_error(field, err["message"])


def _item_response(request, item, status, **forms_):
    if request.htmx:  # htmx swaps only 2xx responses: the form with its errors replaces the actions
        return render(request, "workspace/_item_actions.html", _item_context(request, item, **forms_))
    return render(request, "workspace/item.html", _item_context(request, item, **forms_), status=status)


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
            messages.success(request, _("Suspect item confirmed; the deduction is recorded."))
            return _done(request, "workspace:item", pk)
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
            messages.success(request, _("Suspect item dismissed."))
            return _done(request, "workspace:item", pk)
    return _item_response(request, item, 400, dismiss_form=form)


def _done(request, name, pk):
    """After a verb: a full redirect (htmx follows HX-Redirect, plain forms the 302)."""
    response = redirect(name, pk=pk)
    if request.htmx:
        response["HX-Redirect"] = response["Location"]
    return response


# --- appeals ---------------------------------------------------------------------------------------------


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), widget=forms.RadioSelect, choices=[
        ("upheld", gettext_lazy("Upheld: keep the deduction")),
        ("reversed", gettext_lazy("Reversed: give the deduction back")),
    ])
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


@login_required
@require_safe
def appeal_list(request):
    _require_bureau(request.user)
    data = request.GET.copy()
    if "state" not in data:
        data["state"] = "filed"
    filterset = AppealFilter(data, user=request.user)
    table = AppealTable(filterset.qs)
    _paginate(request, table)
    return render(request, "workspace/appeals.html", {"filter": filterset, "table": table})


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
    _require_bureau(request.user)
    return get_object_or_404(appeals_for(request.user, state=None).select_related("item__deduction"), pk=pk)


@login_required
@require_safe
def appeal_detail(request, pk):
    appeal = _get_appeal(request, pk)
    return render(request, "workspace/appeal.html", _appeal_context(request, appeal))


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
            return render(request, "workspace/appeal.html",
                          _appeal_context(request, appeal, form=form, error=str(exc)), status=403)
        except ServiceError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("Appeal decided."))
            return _done(request, "workspace:appeal", pk)
    return render(request, "workspace/appeal.html", _appeal_context(request, appeal, form=form), status=400)


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


@login_required
@require_safe
def search(request):
    _require_bureau(request.user)
    q = (request.GET.get("q") or "").strip()
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
