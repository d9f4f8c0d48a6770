"""The forms of 门慢特 qualification, shared by the workspace (/ws/chronic/) and the institution portal
(/portal/chronic/): an application with its evidence, a decision, a revocation. They check the shape of the
input and look up the person, disease and institution by their codes; the services decide the rest and their
ValidationErrors are shown on these forms' fields (add_service_errors)."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.attachments import MultipleFileField, check_uploads
from insurance import chronic_services as services
from insurance.models import ChronicDisease, Institution, Person


def institution_by_code(code: str | None) -> Institution | None:
    """The institution of a fixmedins_code typed into a form; None for none; ValidationError when unknown."""
    code = (code or "").strip()
    if not code:
        return None
    institution = Institution.objects.filter(fixmedins_code=code).first()
    if institution is None:
        raise ValidationError(_("No institution has this code."), code="unknown")
    return institution


class ApplicationForm(forms.Form):
    psn_no = forms.CharField(label=_("Person no."), max_length=30)
    disease = forms.ModelChoiceField(label=_("Disease"), queryset=ChronicDisease.objects.order_by("code"),
                                     to_field_name="code")
    designated_institution = forms.CharField(
        label=_("Chosen institution (code)"), max_length=12, required=False,
        help_text=_("Required for diseases treated at one chosen institution, e.g. dialysis."))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = MultipleFileField(label=_("Evidence"), required=False,
                                 help_text=_("Diagnosis certificate, medical records: PDF, JPEG or PNG."))

    def clean_psn_no(self) -> Person:
        psn_no = self.cleaned_data["psn_no"].strip()
        person = Person.objects.filter(psn_no=psn_no).first()
        if person is None:
            raise ValidationError(_("No insured person has this number."), code="unknown")
        return person

    def clean_designated_institution(self) -> Institution | None:
        return institution_by_code(self.cleaned_data.get("designated_institution"))

    def clean_evidence(self):
        files = self.cleaned_data.get("evidence") or []
        check_uploads(files)  # ValidationError naming the file: shown on this field
        return files


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=[("approved", _("Approve")), ("refused", _("Refuse"))],
                                widget=forms.RadioSelect)
    valid_from = forms.DateField(label=_("Valid from"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text=_("Empty: the disease's validity from the first day, less a day."))
    institution = forms.CharField(label=_("Designated institution (code)"), max_length=12, required=False,
                                  help_text=_("Empty: the institution chosen in the application."))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def clean_institution(self) -> Institution | None:
        return institution_by_code(self.cleaned_data.get("institution"))


class RevokeForm(forms.Form):
    valid_to = forms.DateField(label=_("Last valid day"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


def add_service_errors(form: forms.Form, exc: ValidationError, fields: dict[str, str] | None = None) -> None:
    """A service's ValidationError on the form: each message on its field (renamed by `fields`), else the form."""
    fields = fields or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        name = fields.get(name, name)
        for message in errors:
            form.add_error(name if name in form.fields else None, message)


def apply_from_form(form: ApplicationForm, *, user, applying_institution=None):
    """The application of a valid form through the service; None with the service's errors on the form."""
    data = form.cleaned_data
    try:
        return services.apply_for_qualification(
            person=data["psn_no"], disease=data["disease"], user=user, uploads=data["evidence"],
            designated_institution=data["designated_institution"], applying_institution=applying_institution,
            note=data["note"])
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
