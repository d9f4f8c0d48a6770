"""The smart-audit rule library between the database and the audit engine (policy_rules.engine.audit).

rules_in_force(day) is what a caller passes to run_audit(); load_default_rules() fills an empty library
from the engine's default_rules(); set_rules_enabled() is the admin's enable/disable action.
"""
from __future__ import annotations

import datetime
import json

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from core.prepared import Bound

from .engine.audit import AuditRule, default_rules
from .models import AuditRuleDefinition, CatalogItem

DEFAULT_EFFECTIVE_FROM = datetime.date(2000, 1, 1)


# md5 of every row of the rule table as PostgreSQL prints it: any change to any column of any row (an UPDATE
# through the ORM or not, with or without updated_at; an INSERT; a DELETE) changes it
_DIGEST = "(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM {table} t)"
# (digest, date) → the engine's rules, per process; a handful of dates are ever asked for
_CACHE: dict[tuple[str, datetime.date], tuple] = {}
_CACHE_SIZE = 64


def _params(value) -> dict:
    """A jsonb value as a raw cursor gives it (Django's psycopg2 connection leaves jsonb as text)."""
    return dict(json.loads(value) if isinstance(value, str) else value or {})


def digest_read() -> Bound | None:
    """The rule table's digest as rules_in_force reads it first, bound (core.prepared.fold) so that a settlement
    can read it with its other reads; its result is rules_in_force's `digest`. None off PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    return Bound.raw(f"SELECT {_digest_sql()}", [], 1)


def _digest_sql() -> str:
    return _DIGEST.format(table=connection.ops.quote_name(AuditRuleDefinition._meta.db_table))


def rules_in_force(on_date: datetime.date | datetime.datetime, digest: list | None = None) -> list:
    """The enabled rules effective on a date, as the engine's AuditRule dataclasses (with their row's id), ordered
    by code.

    On PostgreSQL the rules are kept per process under a digest of the whole rule table's content, read in
    one statement on every call: the rows are read and converted again only when the table has changed
    since, so a stale rule is never returned (the rows and their digest are read in one statement, one
    snapshot). Elsewhere (the demo's SQLite) they are read every time. digest: the digest's read already run
    (digest_read's result), so that only a change of the table costs a statement."""
    if isinstance(on_date, datetime.datetime):
        on_date = on_date.date()
    if connection.vendor != "postgresql":
        return [row.to_engine() for row in AuditRuleDefinition.objects.in_force(on_date).order_by("code")]
    digest_sql = _digest_sql()
    with connection.cursor() as cursor:
        if digest is None:
            cursor.execute(f"SELECT {digest_sql}")
            digest = cursor.fetchall()
        digest = digest[0][0]
        rules = _CACHE.get((digest, on_date))
        if rules is None:
            rows = AuditRuleDefinition.objects.in_force(on_date).values_list(
                "code", "rule_type", "params", "severity", "name", "id")
            sql, params = rows.order_by().query.sql_with_params()
            # the rows with the digest of the same snapshot (one statement), so that what is cached is what
            # that digest names; the LEFT JOIN gives the digest when no rule is in force
            cursor.execute(f"SELECT d.digest, q.* FROM (SELECT {digest_sql} AS digest) d "
                           f"LEFT JOIN ({sql}) q ON true ORDER BY 2", params)
            fetched = cursor.fetchall()
            digest = fetched[0][0]
            rules = tuple(AuditRule(code=code, rule_type=rule_type, params=_params(p), severity=severity,
                                    name=name, id=pk)
                          for _d, code, rule_type, p, severity, name, pk in fetched if code is not None)
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.clear()
            _CACHE[(digest, on_date)] = rules
    # a fresh copy of each rule's params, so that no caller can change the cached rules (built directly: half of
    # dataclasses.replace's cost, which looks the fields up every time)
    return [AuditRule(r.code, r.rule_type, dict(r.params), r.severity, r.name, r.id) for r in rules]


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
