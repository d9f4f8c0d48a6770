"""The API's token authentication: DRF's TokenAuthentication in one read compiled once.

DRF reads the token with its user (one statement, built and compiled by Django on every request), and then
IsInstitutionUser reads the user's institution link and the institution (two more). Here one read, compiled once
per process (core.prepared), brings the token, its user, the user's link and its institution: the permission and
the views' `institution` then find them on the user. What is accepted and refused, and with which message, is
DRF's: an unknown key is 401 "Invalid token.", an inactive user 401 "User inactive or deleted." (DRF's own
translated texts). A user without a link still gets IsInstitutionUser's 403.
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from core.prepared import Prepared

_TOKEN = Prepared(Token, lambda key: Token.objects.select_related("user__institution_link__institution")
                  .filter(key=key))


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` as DRF reads it, the user's institution read with it."""

    def authenticate_credentials(self, key):
        found = _TOKEN(key)
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = found[0]
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
