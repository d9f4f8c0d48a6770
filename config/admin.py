"""The platform's admin site: branded in the UI's language, its apps in the order of the work (people and
institutions, policy, claims, review, fund; then accounts and sign-in security), each under a readable name
(the domain apps' AppConfig.verbose_name; Django's and the libraries' apps renamed here)."""
from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

APP_ORDER = ["insurance", "policy_rules", "claims", "review", "fund_budget", "auth", "authtoken", "axes"]
APP_NAMES = {
    "auth": _("Users and roles"),
    "authtoken": _("API tokens"),
    "axes": _("Sign-in security"),
}


class PlatformAdminSite(admin.AdminSite):
    site_header = _("Medical Insurance Settlement and Audit Platform administration")
    site_title = _("Medical Insurance Settlement and Audit Platform")
    index_title = _("Administration home")

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        for app in apps:
            if app["app_label"] in APP_NAMES:
                app["name"] = APP_NAMES[app["app_label"]]
        position = {label: i for i, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: (position.get(app["app_label"], len(position)), str(app["name"])))
