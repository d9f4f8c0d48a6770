"""Figures on the pages, formatted in one place (core.display) and the same in every locale (zh-hans's own
number format has no thousands separators):
  {{ amount|money }}   two decimals, rounded half up, thousands separators: 17146.15 → 17,146.15 (empty for None)
  {{ n|count }}        an integer: a counter kept as 1.00 → 1
  {{ x|decimals:4 }}    that many decimals, half up, thousands separators: 1940 → 1,940.0000 (DIP points)
  {{ rate|percent }}   a value in percent with one decimal: 12.34 → 12.3%;  {{ share|percent:"ratio" }} 0.1234 → 12.3%
"""
from __future__ import annotations

from django import template

from core.display import count_text, decimal_text, money_text, percent_text

register = template.Library()


@register.filter
def money(value) -> str:
    return money_text(value)


@register.filter
def count(value) -> str:
    return count_text(value)


@register.filter
def percent(value, arg: str = "") -> str:
    return percent_text(value, ratio=arg == "ratio")


@register.filter
def decimals(value, places) -> str:
    return decimal_text(value, int(places))
