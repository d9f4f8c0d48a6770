from django.apps import AppConfig


class FundBudgetConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fund_budget"
