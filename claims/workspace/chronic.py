"""The workspace's 门慢特 qualification pages (docs/benefit-layers.md §C): the pending applications, an
application recorded at the bureau's counter with its evidence, an application with its decision (four eyes:
never the applicant's) and its revocation, the evidence downloaded. Bureau staff only (require_bureau); the
verbs are insurance.chronic_services, the reads insurance.chronic_selectors."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.attachments import download_response
from insurance import chronic_selectors as selectors
from insurance import chronic_services as services
from insurance.chronic_forms import (
    ApplicationForm,
    DecisionForm,
    RevokeForm,
    add_service_errors,
    apply_from_form,
)
from insurance.models import QualificationState
from review.workspace.pages import require_bureau


@login_required
@require_safe
def chronic_list(request):
    """The applications waiting for a decision, oldest first, and the latest decided ones."""
    require_bureau(request.user)
    return render(request, "workspace/chronic_list.html", {
        "pending": selectors.pending(), "recent": selectors.visible_to(None).exclude(
            state=QualificationState.APPLIED).order_by("-applied_at", "-pk")[:50]})


@login_required
@require_http_methods(["GET", "POST"])
def chronic_apply(request):
    """Record an application with its evidence (at the bureau's counter)."""
    require_bureau(request.user)
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES)
        qualification = apply_from_form(form, user=request.user) if form.is_valid() else None
        if qualification is not None:
            messages.success(request, _("Application recorded; another caseworker decides it."))
            return redirect("workspace:chronic", qualification.pk)
        return render(request, "workspace/chronic_apply.html", {"form": form}, status=400)
    form = ApplicationForm(initial={"psn_no": request.GET.get("psn_no", "")})
    return render(request, "workspace/chronic_apply.html", {"form": form})


def _detail(request, qualification, *, decision_form=None, revoke_form=None, status=200):
    return render(request, "workspace/chronic.html", {
        "qualification": qualification, "evidence": selectors.evidence_of(qualification),
        "decisions": selectors.decisions_of(qualification),
        "four_eyes": qualification.applied_by_id == request.user.pk,
        "decision_form": decision_form or DecisionForm(initial={"outcome": "approved"}),
        "revoke_form": revoke_form or RevokeForm(),
    }, status=status)


def _qualification(pk):
    return get_object_or_404(selectors.visible_to(None), pk=pk)


@login_required
@require_safe
def chronic_detail(request, pk):
    require_bureau(request.user)
    return _detail(request, _qualification(pk))


@login_required
@require_POST
def chronic_decide(request, pk):
    """Approve or refuse; the applicant is refused (403, four eyes)."""
    require_bureau(request.user)
    qualification = _qualification(pk)
    if qualification.applied_by_id == request.user.pk:
        raise PermissionDenied(_("Four eyes: the person who applied may not decide the application."))
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.decide_qualification(
                qualification, user=request.user, approved=data["outcome"] == "approved", reason=data["reason"],
                valid_from=data["valid_from"], valid_to=data["valid_to"], institution=data["institution"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("workspace:chronic", qualification.pk)
    return _detail(request, qualification, decision_form=form, status=400)


@login_required
@require_POST
def chronic_revoke(request, pk):
    """End an approved qualification on a day, with a reason."""
    require_bureau(request.user)
    qualification = _qualification(pk)
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.revoke_qualification(qualification, user=request.user, on=form.cleaned_data["valid_to"],
                                          reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Qualification revoked."))
            return redirect("workspace:chronic", qualification.pk)
    return _detail(request, qualification, revoke_form=form, status=400)


@login_required
@require_safe
def chronic_evidence(request, pk):
    require_bureau(request.user)
    return download_response(get_object_or_404(selectors.evidence_visible_to(None), pk=pk))
