"""The smart-audit rule library between the database and the audit engine (policy_rules.engine.audit).

rules_in_force(day) is what a caller passes to run_audit(); load_default_rules() fills an empty library
from the engine's default_rules(); set_rules_enabled() is the admin's enable/disable action.
"""
from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from .engine.audit import default_rules
from .models import AuditRuleDefinition, CatalogItem

DEFAULT_EFFECTIVE_FROM = datetime.date(2000, 1, 1)


def rules_in_force(on_date: datetime.date | datetime.datetime) -> list:
    """The enabled rules effective on a date, as the engine's AuditRule dataclasses, ordered by code."""
    if isinstance(on_date, datetime.datetime):
        on_date = on_date.date()
    return [row.to_engine() for row in AuditRuleDefinition.objects.in_force(on_date).order_by("code")]


def load_default_rules(*, effective_from: datetime.date = DEFAULT_EFFECTIVE_FROM, user=None,
                       use_catalog: bool = True) -> dict:
    """Create each rule of the engine's default library whose code is not in the database yet.

    The library names its items (血常规, 床位费…); with use_catalog and a catalog in the database the rules
    get the codes of the catalog items of those names (a rule whose items are not there is left out),
    otherwise the engine's illustrative codes.
    Idempotent: a rule already there (perhaps edited or disabled by a supervisor) is left as it is.
    Returns {"created": [codes], "kept": [codes]}.
    """
    user = user if getattr(user, "is_authenticated", False) else None
    catalog = None
    if use_catalog and CatalogItem.objects.exists():
        catalog = list(CatalogItem.objects.order_by().values("med_list_codg", "name").distinct())
    created, kept = [], []
    with transaction.atomic():
        existing = set(AuditRuleDefinition.objects.select_for_update().values_list("code", flat=True))
        for rule in default_rules(catalog):
            if rule.code in existing:
                kept.append(rule.code)
                continue
            row = AuditRuleDefinition(
                code=rule.code, name=rule.name or rule.code, rule_type=rule.rule_type, params=dict(rule.params or {}),
                severity=rule.severity, effective_from=effective_from, enabled=True, created_by=user,
                updated_by=user,
            )
            try:
                row.full_clean()
            except ValidationError as exc:
                raise ValidationError({rule.code: exc.messages}) from exc
            row.save()
            existing.add(rule.code)
            created.append(rule.code)
    return {"created": created, "kept": kept}


def set_rules_enabled(queryset, enabled: bool, *, user=None) -> int:
    """Enable or disable rules; each change is kept by pghistory. Returns how many rows changed."""
    user = user if getattr(user, "is_authenticated", False) else None
    changed = 0
    for row in queryset.exclude(enabled=enabled):
        row.enabled = enabled
        row.updated_by = user
        row.save(update_fields=["enabled", "updated_by", "updated_at"])
        changed += 1
    return changed
