"""Codes by their labels on the pages, where a model field's get_FOO_display does not reach:
  {{ group.name|role }}   a bureau role (auth group) by its label: supervisor → 稽核主管 (claims.roles.ROLE_LABELS)
"""
from __future__ import annotations

from django import template

from claims.roles import role_label

register = template.Library()


@register.filter
def role(value) -> str:
    return role_label(str(value)) if value else ""
