"""The portal's forms: an appeal with its attachments, an API token issued or revoked. They check the shape
of the input (and the attachments' type and size, by content); the services decide the rest."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from core.attachments import MultipleFileField, check_uploads


class AppealForm(forms.Form):
    explanation = forms.CharField(label=gettext_lazy("Explanation"), widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(
        label=gettext_lazy("Attachments"), required=False,
        help_text=gettext_lazy("Medical records and other evidence: PDF, JPEG or PNG."))

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        check_uploads(files)  # ValidationError naming the file: shown on this field
        return files


class TokenForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("API user name"), max_length=150,
                               help_text=gettext_lazy("A new login for your IT system, e.g. his-prod."))
    reason = forms.CharField(label=gettext_lazy("Purpose"), required=False, max_length=500)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=500)
