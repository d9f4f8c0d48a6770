from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# Groups and their permissions, created after migrate (assign users to them in the admin).
GROUP_PERMISSIONS = {
    "fund_bureau": ["negotiate_bureau", "view_fund_monitoring", "approve_clearingreport", "view_clearingreport",
                    "view_monthlystatement", "view_institutionindex", "view_indexnegotiation"],
    "fund_institution": ["negotiate_institution"],
}


def ensure_groups(sender, using="default", **kwargs):
    from django.contrib.auth.models import Group, Permission

    for name, codenames in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        perms = Permission.objects.using(using).filter(content_type__app_label="fund_budget", codename__in=codenames)
        group.permissions.add(*perms)


class FundBudgetConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fund_budget"
    verbose_name = _("基金预算")

    def ready(self):
        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="fund_budget.ensure_groups")
        # django-rules registers permissions when their module is imported; its autodiscovery looks for a
        # module named rules.py, and ours is fund_budget.permissions, so it is imported here, once, at start-up.
        from fund_budget import permissions  # noqa: F401
