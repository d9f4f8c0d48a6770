"""The portal's reads, each scoped to the institution the user acts for (claims.permissions._institution_id).
Suspect items and appeals come through review.selectors.items_for, the one place that scopes them."""
from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.authtoken.models import Token

from claims.models import Settlement, Visit
from claims.permissions import _institution_id
from insurance.models import Institution
from portal.models import ApiTokenEvent, AppealAttachment
from review.models import SuspectItem, SuspectState
from review.selectors import items_for

# The items the portal's home lists: waiting for review, confirmed (appealable) and under appeal.
OPEN_ITEM_STATES = (SuspectState.PENDING, SuspectState.CONFIRMED, SuspectState.APPEALED)


def institution_of(user) -> Institution | None:
    institution_id = _institution_id(user)
    return Institution.objects.filter(pk=institution_id).first() if institution_id is not None else None


def settlements_of(institution: Institution) -> QuerySet[Settlement]:
    """The institution's settlements and reversals, latest first."""
    return (Settlement.objects.filter(institution=institution).select_related("visit", "person")
            .order_by("-setl_time", "-pk"))


def visits_of(institution: Institution) -> QuerySet[Visit]:
    return Visit.objects.filter(institution=institution).select_related("person", "institution")


def items_of(user, states=None) -> QuerySet[SuspectItem]:
    """The suspect items the user may see (its institution's, not dismissed), newest first."""
    qs = items_for(user)
    if states:
        qs = qs.filter(state__in=states)
    return qs.order_by("-created_at", "-pk")


def tokens_of(institution: Institution) -> QuerySet[Token]:
    """The API tokens of the institution's users (DRF authtoken: one per user), newest first."""
    return (Token.objects.filter(user__institution_link__institution=institution).select_related("user")
            .order_by("-created"))


def token_events_of(institution: Institution) -> QuerySet[ApiTokenEvent]:
    return ApiTokenEvent.objects.filter(institution=institution).select_related("api_user", "actor")


def attachments_visible_to(user) -> QuerySet[AppealAttachment]:
    """Attachments of the appeals on items the user may view: the item's institution and bureau staff."""
    return AppealAttachment.objects.filter(appeal__item__in=items_for(user)).select_related("appeal")


def mask_key(key: str) -> str:
    """A token key shown masked: its last four characters only."""
    return "•" * 8 + key[-4:]
