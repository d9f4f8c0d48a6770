from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasemixConfig(AppConfig):
    """Paying inpatient cases by disease group (DIP): grouping tables, settlement lists, points, clearing."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "casemix"
    verbose_name = _("病种分值付费")
