"""What every workspace page shares (claims.workspace and review.workspace): the bureau-only door and the
page size of its tables."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from claims.permissions import can_view_review

PER_PAGE = 25


def require_bureau(user) -> None:
    """403 for anyone without a bureau role (claims.permissions.can_view_review)."""
    if not can_view_review.test(user):
        raise PermissionDenied(_("Only bureau staff may use the workspace."))


def paginate(request, table) -> None:
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
