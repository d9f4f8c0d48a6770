"""The admin app with the platform's admin site (config.admin.PlatformAdminSite) as its default site."""
from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    default_site = "config.admin.PlatformAdminSite"
