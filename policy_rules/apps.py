from django.apps import AppConfig


class PolicyRulesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "policy_rules"
