"""Who may use the provider API: a user linked to one institution (insurance.InstitutionUser)."""
from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from insurance.models import Institution, InstitutionUser


def institution_of(user) -> Institution | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.institution_link.institution
    except InstitutionUser.DoesNotExist:
        return None


class IsInstitutionUser(BasePermission):
    """Authenticated and linked to an institution; everything it sees is then that institution's."""

    message = _("该用户未关联定点医药机构，不能使用机构接口。")

    def has_permission(self, request, view) -> bool:
        return institution_of(request.user) is not None


def may_choose_setl_time(user) -> bool:
    """An explicit setl_time (test replay, back-dated settlement) is for staff users, or when the
    CLAIMS_API_ALLOW_SETL_TIME setting is on (a test or training deployment)."""
    return bool(getattr(user, "is_staff", False) or settings.CLAIMS_API_ALLOW_SETL_TIME)
