from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "claims"
    verbose_name = _("就诊与结算")

    def ready(self):
        # django-rules registers permissions when their module is imported; its autodiscovery looks for a
        # module named rules.py, and ours is claims.permissions, so it is imported here, once, at start-up.
        from claims import checks, permissions  # noqa: F401  (checks registers the system checks likewise)
