"""The forms of the fund pages: the reason of a request to reopen a month (fund_budget.reopening)."""
from django import forms
from django.utils.translation import gettext_lazy as _


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("重开原因"), max_length=2000, strip=True,
                             widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             help_text=_("Why the month must be settled again (kept with the request)."))
