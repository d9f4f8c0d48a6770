"""Forms of the review pages: confirm or dismiss a suspect item, decide an appeal. They check the shape of
the input only; the services (review.services) decide whether the step is allowed."""
from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.display import money_text
from review.models import SuspectItem


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
            self.fields["amount"].help_text = _("At most %(a)s; may be lowered.") % {"a": money_text(item.amount_at_stake)}


class DismissForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), widget=forms.RadioSelect, choices=[
        ("upheld", gettext_lazy("Upheld: keep the deduction")),
        ("reversed", gettext_lazy("Reversed: give the deduction back")),
    ])
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class BulkForm(forms.Form):
    """The queue's bulk verbs: the checked items (of those the user may see), the verb and one reason."""

    CONFIRM, DISMISS = "confirm", "dismiss"
    MAX_ITEMS = 500

    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=[
        (CONFIRM, gettext_lazy("Confirm")), (DISMISS, gettext_lazy("Dismiss"))])
    items = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Suspect items"), queryset=SuspectItem.objects.none(),
        error_messages={"required": gettext_lazy("Select at least one suspect item.")})
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={
        "rows": 2, "id": "bulk-reason", "placeholder": gettext_lazy("Required: why these items are decided")}))

    def __init__(self, *args, queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if queryset is not None:
            self.fields["items"].queryset = queryset

    def clean_items(self):
        items = self.cleaned_data["items"]
        if len(items) > self.MAX_ITEMS:
            raise forms.ValidationError(_("At most %(n)d items at once.") % {"n": self.MAX_ITEMS})
        return items
