"""The four bureau roles of the smart-audit review as auth groups, with the model permissions the admin
needs (read everywhere; the supervisor also edits the rule library). What a role may *do* is decided by
the predicates in claims/permissions.py on group membership, not by these model permissions."""
from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from claims.permissions import APPEAL_REVIEWER, CASEWORKER, REVIEWER, SUPERVISOR, USER_ADMIN

# Every group a user may hold, by its name, with the label shown wherever a role shows (workspace, admin).
# fund_bureau and fund_institution are made by fund_budget (fund_budget.apps.GROUP_PERMISSIONS).
ROLE_LABELS = {
    CASEWORKER: _("经办人员"),
    REVIEWER: _("审核员"),
    APPEAL_REVIEWER: _("申诉复核员"),
    SUPERVISOR: _("稽核主管"),
    USER_ADMIN: _("用户管理员"),
    "fund_bureau": _("基金经办"),
    "fund_institution": _("机构指标协商"),
}


def role_label(name: str) -> str:
    """A group's name in words (ROLE_LABELS); a group the platform does not know keeps its name."""
    return str(ROLE_LABELS.get(name, name))

READ = [
    "claims.view_visit", "claims.view_feeline", "claims.view_settlement", "claims.view_settlementline",
    "review.view_audithit", "review.view_suspectitem", "review.view_appeal", "review.view_reviewevent",
    "insurance.view_institution", "policy_rules.view_auditruledefinition", "policy_rules.view_catalogitem",
]
MANAGE_RULES = [
    "policy_rules.add_auditruledefinition", "policy_rules.change_auditruledefinition",
    "policy_rules.delete_auditruledefinition",
]
ROLE_PERMISSIONS = {
    CASEWORKER: READ,
    REVIEWER: READ,
    APPEAL_REVIEWER: READ,
    SUPERVISOR: READ + MANAGE_RULES,
}


def _permissions(names: list[str]) -> list[Permission]:
    wanted = {tuple(n.split(".", 1)) for n in names}
    found = list(Permission.objects.filter(content_type__app_label__in={a for a, _c in wanted},
                                           codename__in={c for _a, c in wanted}).select_related("content_type"))
    found = [p for p in found if (p.content_type.app_label, p.codename) in wanted]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise LookupError(f"permissions not found: {sorted('.'.join(m) for m in missing)}")
    return found


def ensure_roles() -> dict[str, Group]:
    """Create the four groups and give each exactly its model permissions, and the user_admin group (no model
    permissions: claims.permissions.can_manage_users names it). Idempotent."""
    for label in ("claims", "insurance", "policy_rules", "review"):
        create_permissions(apps.get_app_config(label), verbosity=0)
    groups = {}
    with transaction.atomic():
        for role, names in ROLE_PERMISSIONS.items():
            group, _created = Group.objects.get_or_create(name=role)
            group.permissions.set(_permissions(names))
            groups[role] = group
        groups[USER_ADMIN], _created = Group.objects.get_or_create(name=USER_ADMIN)
    return groups
