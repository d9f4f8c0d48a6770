from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    """The smart-audit review (issue #5): hits, suspect items, appeals and their trail.

    It depends on claims (visits, settlements, the bureau's roles in claims.permissions), insurance,
    policy_rules and fund_budget (a confirmed item is a deduction there). fund_budget and claims.models
    never import it; the claims pipelines that find hits or cancel settlements call its services."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "review"
    verbose_name = _("智能审核")
