"""The user pages of the workspace (/ws/users/): a bureau administrator lists the logins with their roles,
creates one, changes its roles, deactivates or reactivates it. Who may: claims.permissions.can_manage_users
(else 403); the verbs are claims.users, which checks again and records every change."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from claims import users
from claims.errors import ServiceError
from claims.permissions import can_manage_users
from claims.workspace.tables import UserTable
from claims.workspace.user_forms import RolesForm, UserCreateForm
from review.workspace.pages import paginate


def _require_manager(user) -> None:
    if not can_manage_users.test(user):
        raise PermissionDenied(_("Only a user administrator may manage users and roles."))


def _errors_to_form(form, exc: ServiceError) -> None:
    for err in exc.errors:
        form.add_error(err["field"] if err.get("field") in form.fields else None, err["message"])


@login_required
@require_safe
def user_list(request):
    _require_manager(request.user)
    q = (request.GET.get("q") or "").strip()
    table = UserTable(users.user_list(q=q))
    paginate(request, table)
    return render(request, "workspace/users.html", {"table": table, "uq": q})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def user_create(request):
    _require_manager(request.user)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = users.create_user(actor=request.user, username=data["username"], name=data["name"],
                                     email=data["email"], password=data["password"], roles=data["roles"],
                                     institution=data["institution"])
        except ServiceError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("User %(u)s created.") % {"u": user.username})
            return redirect("workspace:user", pk=user.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "workspace/user_form.html", {"form": form}, status=status)


def _detail(request, user, roles_form=None, error=None, status=200):
    return render(request, "workspace/user.html", {
        "account": user, "roles": users.roles_of(user),
        "roles_form": roles_form or RolesForm(initial={"roles": [n for n, _l in users.roles_of(user)]}),
        "history": users.user_history(user), "error": error,
        "institution": getattr(getattr(user, "institution_link", None), "institution", None),
    }, status=status)


def _get_user(request, pk) -> User:
    _require_manager(request.user)
    return get_object_or_404(users.user_list(), pk=pk)


@login_required
@require_safe
def user_detail(request, pk):
    return _detail(request, _get_user(request, pk))


@login_required
@require_POST
def user_roles(request, pk):
    user = _get_user(request, pk)
    form = RolesForm(request.POST)
    if form.is_valid():
        try:
            users.set_roles(user, form.cleaned_data["roles"], actor=request.user)
        except ServiceError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Roles saved."))
            return redirect("workspace:user", pk=user.pk)
    return _detail(request, user, roles_form=form, status=400)


@login_required
@require_POST
def user_active(request, pk):
    user = _get_user(request, pk)
    active = request.POST.get("active") == "1"
    try:
        users.set_active(user, active, actor=request.user)
    except ServiceError as exc:
        return _detail(request, user, error=str(exc.errors[0]["message"]), status=400)
    messages.success(request, _("Login reactivated") if active else _("Login deactivated"))
    return redirect("workspace:user", pk=user.pk)
