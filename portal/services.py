"""The portal's verbs: file an appeal with its attachments, issue and revoke an institution's API token.

Filing goes through review.services.file_appeal (its checks, its trail) inside one transaction with the
attachments' rows; a file written to the private store is removed again when the transaction fails, so
nothing is half-written. Tokens are DRF's authtoken, as manage.py create_institution_token makes them:
one per API user, a user with no usable password linked to the institution (insurance.InstitutionUser).
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from claims.errors import ServiceError
from claims.permissions import _institution_id
from core.attachments import check_uploads, removed_on_failure, store_checked
from core.private_storage import private_storage
from insurance.models import Institution, InstitutionUser
from portal.models import ApiTokenEvent, AppealAttachment, TokenAction
from review import services as review
from review.models import Appeal, SuspectItem


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def file_appeal_with_attachments(item: SuspectItem, *, user, explanation: str, uploads=()) -> Appeal:
    """The institution appeals a confirmed item (review.services.file_appeal) with its files attached.

    The files are checked first (type by content, size, count: ServiceError on field "attachments"), then
    the appeal, its trail and the attachments' rows are written in one transaction."""
    try:
        checked = check_uploads(uploads)
    except ValidationError as exc:
        raise ServiceError([{"line": None, "field": "attachments", "code": "BAD_ATTACHMENT", "message": m}
                            for m in exc.messages]) from exc
    with removed_on_failure(private_storage) as stored, transaction.atomic():
        appeal = review.file_appeal(item, user=user, explanation=explanation)
        for f in checked:
            store_checked(AppealAttachment(appeal=appeal, original_name=f.name, content_type=f.content_type,
                                           size=f.size, sha256=f.sha256, uploaded_by=_user(user)), f, stored)
    return appeal


# --- API tokens --------------------------------------------------------------------------------------------


def _institution_of(user) -> Institution:
    institution_id = _institution_id(user)
    if institution_id is None:
        raise PermissionDenied(_("Only institution users may manage the institution's API tokens."))
    return Institution.objects.get(pk=institution_id)


def issue_token(*, user, username: str, reason: str = "") -> Token:
    """A new API token for the institution the user acts for, on an API user named `username`: created
    (no usable password, linked to the institution) when it does not exist; an API user of the same
    institution without a token gets a new one. The key is the caller's to show once."""
    institution = _institution_of(user)
    username = (username or "").strip()
    if not username:
        raise ServiceError.one("username", "REQUIRED", _("The API user name is required."))
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise ServiceError.one("username", "INVALID", exc.messages[0]) from exc
    User = get_user_model()
    with transaction.atomic():
        api_user = User.objects.select_for_update().filter(username=username).first()
        if api_user is None:
            api_user = User(username=username)
            api_user.set_unusable_password()
            api_user.save()
            InstitutionUser.objects.create(user=api_user, institution=institution)
        else:
            link = InstitutionUser.objects.filter(user=api_user).first()
            if link is None or link.institution_id != institution.pk or api_user.has_usable_password():
                raise ServiceError.one("username", "TAKEN", _("The user name %(u)s is taken.") % {"u": username})
            if Token.objects.filter(user=api_user).exists():
                raise ServiceError.one("username", "HAS_TOKEN", _(
                    "%(u)s already has a token: revoke it first.") % {"u": username})
        token = Token.objects.create(user=api_user)
        ApiTokenEvent.objects.create(institution=institution, api_user=api_user, key_suffix=token.key[-4:],
                                     action=TokenAction.ISSUED, actor=_user(user), reason=reason)
    return token


def revoke_token(*, user, api_user_id: int, reason: str = "") -> None:
    """The token of one API user of the user's institution stops working now (DRF's token is deleted; the
    revocation stays in ApiTokenEvent). Another institution's token, or none: ServiceError (the view: 404)."""
    institution = _institution_of(user)
    with transaction.atomic():
        token = (Token.objects.select_for_update()
                 .filter(user_id=api_user_id, user__institution_link__institution=institution).first())
        if token is None:
            raise ServiceError.one("token", "NOT_FOUND", _("No such token of your institution."))
        ApiTokenEvent.objects.create(institution=institution, api_user_id=api_user_id, key_suffix=token.key[-4:],
                                     action=TokenAction.REVOKED, actor=_user(user), reason=reason)
        token.delete()
