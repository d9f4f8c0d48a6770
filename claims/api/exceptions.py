"""One error shape for the whole provider API.

Every error answer is {"errors": [{"line": i | null, "field": "...", "code": "...", "message": "..."}]}:
ServiceError keeps its own list; a DRF ValidationError is flattened (a field of the i-th fee line
becomes line i); 401/403/404/405/415/... carry one entry with the exception's code.
"""
from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from claims.errors import ServiceError

LINE_CONTAINERS = ("lines",)


def _flatten(detail, path: tuple) -> list[tuple[tuple, exceptions.ErrorDetail]]:
    if isinstance(detail, dict):
        return [item for key, value in detail.items() for item in _flatten(value, (*path, key))]
    if isinstance(detail, list):
        if all(isinstance(d, str) for d in detail):
            return [(path, d) for d in detail]
        return [item for i, value in enumerate(detail) if value for item in _flatten(value, (*path, i))]
    return [(path, detail)]


def validation_errors(detail) -> list[dict]:
    errors = []
    for path, message in _flatten(detail, ()):
        parts = [p for p in path if p not in (api_settings.NON_FIELD_ERRORS_KEY, NON_FIELD_ERRORS)]
        line = None
        if len(parts) >= 2 and parts[0] in LINE_CONTAINERS and isinstance(parts[1], int):
            line, parts = parts[1], parts[2:]
        code = getattr(message, "code", None) or "invalid"
        errors.append({"line": line, "field": ".".join(str(p) for p in parts), "code": str(code).upper(),
                       "message": str(message)})
    return errors


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = validation_errors(exc.detail)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        errors = [{"line": None, "field": "", "code": str(getattr(detail, "code", None) or "error").upper(),
                   "message": str(detail)}]
    response.data = {"errors": errors}
    return response
