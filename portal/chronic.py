"""The portal's 门慢特 pages: an institution applies for its patient's qualification with the evidence, and
follows its own applications and their decisions; another institution's application or evidence answers 404.
The bureau decides in the workspace (/ws/chronic/)."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.attachments import download_response
from insurance import chronic_selectors as selectors
from insurance.chronic_forms import ApplicationForm, apply_from_form
from portal.views import institution_required


@require_http_methods(["GET", "POST"])
@institution_required
def chronic_home(request):
    """The institution's applications, and the form to apply (the chosen institution defaults to its own)."""
    status = 200
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES)
        qualification = (apply_from_form(form, user=request.user, applying_institution=request.institution)
                         if form.is_valid() else None)
        if qualification is not None:
            messages.success(request, _("Application recorded; the bureau decides it."))
            return redirect("portal:chronic-detail", qualification.pk)
        status = 400
    else:
        form = ApplicationForm(initial={"designated_institution": request.institution.fixmedins_code})
    return render(request, "portal/chronic.html", {
        "form": form, "applications": selectors.visible_to(request.institution.pk)[:100]}, status=status)


@require_safe
@institution_required
def chronic_detail(request, pk):
    qualification = get_object_or_404(selectors.visible_to(request.institution.pk), pk=pk)
    return render(request, "portal/chronic_detail.html", {
        "qualification": qualification, "evidence": selectors.evidence_of(qualification),
        "decisions": selectors.decisions_of(qualification)})


@require_safe
@institution_required
def chronic_evidence(request, pk):
    return download_response(get_object_or_404(selectors.evidence_visible_to(request.institution.pk), pk=pk))
