from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyRulesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "policy_rules"
    verbose_name = _("政策与目录")
