"""The API's JSON parser: numbers read as Decimal (so that "cnt": 1.5 never passes through a binary float), NaN
and Infinity refused, the body size (DATA_UPLOAD_MAX_MEMORY_SIZE, a 413) and the nesting depth
(CLAIMS_JSON_MAX_DEPTH, a 400) bounded, so that no body makes the server run out of memory or stack."""
from __future__ import annotations

import codecs
import json
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("请求体过大。")
    default_code = "request_too_large"


def json_depth(value) -> int:
    """The nesting depth of parsed JSON (a scalar is 0, [] is 1), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((c, depth) for c in children if isinstance(c, dict | list))
    return deepest


def _reject_constant(name):
    raise ValueError(f"{name} is not a number")


class BoundedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = b"" if stream is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(_("请求体不能超过 %(n)d 字节。") % {"n": limit})
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
            data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
        except RecursionError as exc:
            raise exceptions.ParseError(_("JSON 嵌套过深。"), code="too_deep") from exc
        except ValueError as exc:
            raise exceptions.ParseError(_("JSON 格式错误：%(e)s") % {"e": exc}) from exc
        if json_depth(data) > settings.CLAIMS_JSON_MAX_DEPTH:
            raise exceptions.ParseError(_("JSON 嵌套不能超过 %(n)d 层。") % {"n": settings.CLAIMS_JSON_MAX_DEPTH},
                                        code="too_deep")
        return data
