from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundBudgetConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fund_budget"
    verbose_name = _("基金预算")
