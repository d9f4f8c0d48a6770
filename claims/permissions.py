"""Who may do what in the smart-audit review (django-rules; loaded by rules.apps.AutodiscoverRulesConfig).

Roles are auth groups (claims.roles, `manage.py setup_roles`):
  caseworker       经办人员   reads the queue, the trail and identity numbers
  reviewer         审核员     confirms or dismisses suspect items
  appeal_reviewer  申诉复核员 decides appeals — never on an item they confirmed themselves (four eyes)
  supervisor       稽核主管   sees everything (statistics too), manages the rule library
  user_admin       用户管理员 manages logins and their roles in the workspace (/ws/users/); not a bureau role
An institution user (insurance.InstitutionUser) sees its own items and files appeals on them.

The services call the predicates directly (`can_decide_appeal.test(user, appeal)`), not user.has_perm():
has_perm() answers True for any active superuser before asking the rules, which would let a superuser
past the four-eyes check. Views and templates may use either.
"""
from __future__ import annotations

import rules

from insurance.models import InstitutionUser

CASEWORKER = "caseworker"
REVIEWER = "reviewer"
APPEAL_REVIEWER = "appeal_reviewer"
SUPERVISOR = "supervisor"
ROLES = (CASEWORKER, REVIEWER, APPEAL_REVIEWER, SUPERVISOR)
USER_ADMIN = "user_admin"

is_caseworker = rules.is_group_member(CASEWORKER)
is_reviewer = rules.is_group_member(REVIEWER)
is_appeal_reviewer = rules.is_group_member(APPEAL_REVIEWER)
is_supervisor = rules.is_group_member(SUPERVISOR)
is_active_superuser = rules.is_active & rules.is_superuser
is_user_admin_member = rules.is_group_member(USER_ADMIN)

# The bureau's side: anyone holding one of the four roles.
is_bureau_staff = is_caseworker | is_reviewer | is_appeal_reviewer | is_supervisor | is_active_superuser


def _institution_id(user) -> int | None:
    """The institution an institution login acts for (insurance.InstitutionUser), else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.institution_link.institution_id
    except InstitutionUser.DoesNotExist:
        return None


@rules.predicate
def is_institution_user(user) -> bool:
    return _institution_id(user) is not None


def _item_of(obj):
    """A SuspectItem, or the item of an Appeal."""
    return getattr(obj, "item", obj)


@rules.predicate
def is_item_institution_user(user, obj) -> bool:
    """The user acts for the institution the item (or appeal) belongs to."""
    if obj is None:
        return False
    inst = _institution_id(user)
    return inst is not None and inst == _item_of(obj).institution_id


@rules.predicate
def confirmed_the_item(user, obj) -> bool:
    """The user is the reviewer who confirmed the item (or the item the appeal is about)."""
    if obj is None or not getattr(user, "is_authenticated", False):
        return False
    return _item_of(obj).confirmed_by_id == user.pk


can_view_review = is_bureau_staff
can_view_item = is_bureau_staff | is_item_institution_user
can_review_item = is_reviewer | is_active_superuser
can_file_appeal = is_item_institution_user
# Four eyes: a decider who confirmed the item is refused whatever else they are, superusers included.
can_decide_appeal = (is_appeal_reviewer | is_active_superuser) & ~confirmed_the_item
can_see_certno = is_caseworker | is_supervisor | is_active_superuser
can_view_review_stats = is_supervisor | is_active_superuser
can_manage_audit_rules = is_supervisor | is_active_superuser
# The job pages (claims.workspace.jobs): every bureau role follows the jobs; only a supervisor starts the daily
# job for a business date or retries a failed upload job.
can_view_jobs = is_bureau_staff
can_run_jobs = is_supervisor | is_active_superuser
# Who manages logins and roles (claims.users): an active superuser, or an active member of "user_admin".
can_manage_users = is_active_superuser | (rules.is_active & is_user_admin_member)

rules.add_perm("claims.view_review", can_view_review)
rules.add_perm("claims.view_suspect_item", can_view_item)
rules.add_perm("claims.review_suspect_item", can_review_item)
rules.add_perm("claims.file_appeal", can_file_appeal)
rules.add_perm("claims.decide_appeal", can_decide_appeal)
rules.add_perm("claims.see_certno", can_see_certno)
rules.add_perm("claims.view_review_stats", can_view_review_stats)
rules.add_perm("policy_rules.manage_audit_rules", can_manage_audit_rules)
rules.add_perm("claims.view_jobs", can_view_jobs)
rules.add_perm("claims.run_jobs", can_run_jobs)
rules.add_perm("claims.manage_users", can_manage_users)
