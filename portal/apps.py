from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The institution portal (issue 16): an institution's own settlements, suspect items and appeals (with
    their attachments, stored privately) and its API tokens, in the browser.

    It sits beside the API and the bureau's workspace (the top layer of pyproject's import rules): it reads
    through claims.selectors and review.selectors and acts through review.services; nothing imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = _("机构门户")
