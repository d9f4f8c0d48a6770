"""Forms of the claims workspace pages: the dashboard's business day and the daily job's start. They check the
shape of the input only; the services (claims.batch.jobs.check_startable) decide whether a job may start."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"  # the browser's date picker; the value travels as YYYY-MM-DD

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class BusinessDayForm(forms.Form):
    """The dashboard's ?date= (optional: the latest day with data when absent)."""
    date = forms.DateField(label=_("Business day"), required=False, input_formats=["%Y-%m-%d"], widget=DateInput())


class StartDailyJobForm(forms.Form):
    run_date = forms.DateField(label=_("Business date"), input_formats=["%Y-%m-%d"], widget=DateInput())
