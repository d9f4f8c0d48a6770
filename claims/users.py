"""Logins and their roles, managed by a bureau administrator in the workspace (/ws/users/).

Who may: claims.permissions.can_manage_users — an active superuser, or an active member of the group
"user_admin" (give that role to the bureau's account administrator). Every verb checks it again.

A role is an auth group (claims.roles.ROLE_LABELS names the ones offered here). An institution user is a
login linked to one institution (insurance.InstitutionUser); it holds no bureau role. Logins are never
deleted — their history and the review trail point at them — only deactivated (is_active off: they can no
longer sign in) and reactivated.

Every change is recorded by database triggers (claims.models.accounts: UserEvent, UserRoleEvent), with
who did it and what they did in the event's context (pghistory.context: user, action, target)."""
from __future__ import annotations

import pghistory
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from claims.errors import ServiceError
from claims.models import UserEvent, UserRoleEvent
from claims.permissions import USER_ADMIN, can_manage_users
from claims.roles import ROLE_LABELS, role_label
from insurance.models import Institution, InstitutionUser

ASSIGNABLE_ROLES = tuple(ROLE_LABELS)  # the groups offered on the user pages, in this order
HISTORY_LIMIT = 50


# --- queries ---------------------------------------------------------------------------------------------


def user_list(*, q: str = "", active: bool | None = None) -> QuerySet:
    """Every login with its groups and its institution, by username; q narrows by username or name."""
    qs = (User.objects.select_related("institution_link__institution")
          .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
          .order_by("username"))
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(first_name__icontains=q))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def roles_of(user) -> list[tuple[str, str]]:
    """The user's groups as (name, label), in ROLE_LABELS order, unknown groups last."""
    names = [g.name for g in user.groups.all()]
    order = {name: i for i, name in enumerate(ASSIGNABLE_ROLES)}
    return [(n, role_label(n)) for n in sorted(names, key=lambda n: (order.get(n, len(order)), n))]


def user_history(user) -> list[dict]:
    """The user's changes, newest first: at (when), by (who: the username in the event's context), what (in
    words)."""
    groups = dict(Group.objects.values_list("pk", "name"))
    events = []
    previous = None
    for e in UserEvent.objects.filter(pgh_obj_id=user.pk).select_related("pgh_context").order_by("pgh_id"):
        events.append((e.pgh_created_at, e.pgh_id, e.pgh_context, _user_change(previous, e)))
        previous = e
    for e in UserRoleEvent.objects.filter(user_id=user.pk).select_related("pgh_context").order_by("pgh_id"):
        what = _("Role given: %(role)s") if e.pgh_label == "role.add" else _("Role taken away: %(role)s")
        events.append((e.pgh_created_at, e.pgh_id, e.pgh_context,
                       what % {"role": role_label(groups.get(e.group_id, str(e.group_id)))}))
    actor_of = {id(c): (c.metadata or {}).get("user") for _at, _pk, c, _w in events if c is not None}
    names = dict(User.objects.filter(pk__in={a for a in actor_of.values() if a}).values_list("pk", "username"))
    events.sort(key=lambda e: (e[0], e[1]), reverse=True)
    return [{"at": at, "by": names.get(actor_of.get(id(c)), ""), "what": what}
            for at, _pk, c, what in events[:HISTORY_LIMIT]]


def _user_change(previous, e) -> str:
    """What one UserEvent changed, compared with the one before it."""
    if e.pgh_label == "insert" or previous is None:
        return _("Login created")
    if previous.is_active and not e.is_active:
        return _("Login deactivated")
    if not previous.is_active and e.is_active:
        return _("Login reactivated")
    return _("Login details changed")


# --- verbs -----------------------------------------------------------------------------------------------


def _require_manager(actor) -> None:
    if not can_manage_users.test(actor):
        raise PermissionDenied(_("Only a user administrator may manage users and roles."))


def _groups(roles) -> list[Group]:
    unknown = sorted(set(roles) - set(ASSIGNABLE_ROLES))
    if unknown:
        raise ServiceError.one("roles", "UNKNOWN_ROLE", _("Unknown role: %(r)s") % {"r": ", ".join(unknown)})
    groups = {g.name: g for g in Group.objects.filter(name__in=roles)}
    missing = sorted(set(roles) - set(groups))
    for name in missing:  # fund_budget makes its groups after migrate, claims.roles.ensure_roles the others
        groups[name] = Group.objects.get_or_create(name=name)[0]
    return [groups[r] for r in roles]


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError([{"line": None, "field": "password", "code": "WEAK_PASSWORD", "message": m}
                            for m in exc.messages]) from exc


@transaction.atomic
def create_user(*, actor, username: str, name: str, password: str, roles=(),
                institution: Institution | None = None, email: str = "") -> User:
    """A new active login with its roles, or an institution user (linked to `institution`, no roles)."""
    _require_manager(actor)
    username = (username or "").strip()
    if not username:
        raise ServiceError.one("username", "REQUIRED", _("Enter a username."))
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError.one("username", "TAKEN", _("The username %(u)s is taken.") % {"u": username})
    roles = list(dict.fromkeys(roles))
    if institution is not None and roles:
        raise ServiceError.one("roles", "INSTITUTION_WITH_ROLES",
                               _("An institution user holds no bureau role; leave the roles empty."))
    user = User(username=username, first_name=(name or "").strip(), email=(email or "").strip())
    _check_password(password, user)
    user.set_password(password)
    groups = _groups(roles)
    with pghistory.context(user=actor.pk, action="user.create", target=username):
        user.save()
        user.groups.set(groups)
        if institution is not None:
            InstitutionUser.objects.create(user=user, institution=institution)
    return user


@transaction.atomic
def set_roles(user: User, roles, *, actor) -> User:
    """The user's roles become exactly `roles` (of ASSIGNABLE_ROLES; other groups are left as they are).
    A user administrator cannot take the user_admin role from themselves (nobody would be left to give it
    back)."""
    _require_manager(actor)
    roles = list(dict.fromkeys(roles))
    if roles and hasattr(user, "institution_link"):
        raise ServiceError.one("roles", "INSTITUTION_WITH_ROLES",
                               _("An institution user holds no bureau role; leave the roles empty."))
    if user.pk == actor.pk and USER_ADMIN not in roles and user.groups.filter(name=USER_ADMIN).exists():
        raise ServiceError.one("roles", "OWN_USER_ADMIN",
                               _("You cannot take the user administrator role from yourself."))
    wanted = _groups(roles)
    kept = list(user.groups.exclude(name__in=ASSIGNABLE_ROLES))
    with pghistory.context(user=actor.pk, action="user.set_roles", target=user.username):
        user.groups.set(kept + wanted)
    return user


@transaction.atomic
def set_active(user: User, active: bool, *, actor) -> User:
    """Deactivate (the login can no longer sign in; nothing is deleted) or reactivate a login. Nobody
    deactivates themselves."""
    _require_manager(actor)
    if not active and user.pk == actor.pk:
        raise ServiceError.one("is_active", "SELF", _("You cannot deactivate your own login."))
    if user.is_active != active:
        user.is_active = active
        with pghistory.context(user=actor.pk, action="user.activate" if active else "user.deactivate",
                               target=user.username):
            user.save(update_fields=["is_active"])
    return user


__all__ = ["ASSIGNABLE_ROLES", "create_user", "roles_of", "set_active", "set_roles", "user_history", "user_list"]
