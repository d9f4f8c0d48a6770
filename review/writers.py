"""How review.services.record_hits writes: the OPENED events of new suspect items, and at the counter's new
settlements (PostgreSQL) the hits, items and events in one statement.

The hit rows are review.hits.hit_table's (HIT_ROW: the one layout of a stored hit, shared with the general path
and the night's COPY, claims.batch.audit); this module only encodes them for its medium (SQL parameters).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core import statements
from core.inserts import insert_arrays_sql, model_columns
from review.hits import HIT_JSON, HIT_ROW, items_to_open, json_text, stored_hit
from review.models import AuditHit, HitSeverity, ReviewAction, ReviewEvent, SuspectItem, SuspectState


def opened_events(items: list[SuspectItem], groups: dict[tuple[int, int], int], rule_of: dict) -> list[ReviewEvent]:
    """The OPENED event of each new item (groups: {(settlement, rule): its suspect hits}; rule_of: {rule id: the
    rule, with its code and name}). An item without its pk (inserted in the same statement) leaves the event's
    item_id to the caller's SQL."""
    return [ReviewEvent(item=item if item.pk is not None else None, visit_id=item.visit_id,
                        action=ReviewAction.OPENED, from_state="", to_state=SuspectState.PENDING,
                        amount=item.amount_at_stake, reason=_("规则 %(code)s %(name)s 命中 %(n)d 处") % {
                            "code": rule_of[item.rule_id].code, "name": rule_of[item.rule_id].name,
                            "n": groups[(item.settlement_id, item.rule_id)]})
            for item in items]


def suspect_items(suspect: list[tuple[int, int, int]], settlements: dict, existing=frozenset()
              ) -> tuple[list[SuspectItem], dict[tuple[int, int], int]]:
    """The unsaved SuspectItems these suspect hits ((settlement, rule id, amount in fen) each) open (review.hits.
    items_to_open) and {(settlement, rule): suspect hits} of every group (their OPENED events' count)."""
    groups: dict[tuple[int, int], int] = defaultdict(int)
    for settlement_id, rule_id, _fen in suspect:
        groups[(settlement_id, rule_id)] += 1
    opened = items_to_open(suspect, {pk: int(s.fund_pay_sumamt.scaleb(2)) for pk, s in settlements.items()},
                           existing) if suspect else []
    return [SuspectItem(visit_id=settlements[s].visit_id, settlement=settlements[s],
                        institution_id=settlements[s].institution_id, rule_id=r,
                        amount_at_stake=Decimal(at_stake).scaleb(-2))
            for s, r, at_stake, _n in opened], groups


# (settlement, rule) → the item the WITH query `item` of the same statement inserted for them: the row's keys
# item_settlement and item_rule (NULL for a hit without an item: no item)
_ITEM_OF = "(SELECT id FROM item WHERE settlement_id = r.item_settlement AND rule_id = r.item_rule)"
_RULE, _SEVERITY, _SETTLEMENT, _ITEM = (HIT_ROW.index(c) for c in ("rule_id", "severity", "settlement_id", "item_id"))
_ON_CONFLICT = " ON CONFLICT (key) DO NOTHING RETURNING id, key, item_id"


def _item_keys(keys: list[tuple | None]) -> dict[str, tuple[str, list]]:
    """The extra columns that _ITEM_OF reads, of rows each naming its item's (settlement, rule) or None."""
    return {"item_settlement": ("bigint", [k[0] if k else None for k in keys]),
            "item_rule": ("bigint", [k[1] if k else None for k in keys])}


def record_new(table: dict[str, list], rule_of: dict, settlements: dict) -> dict:
    """record_hits at settlements new in the caller's transaction, on PostgreSQL: the same hits (hit_table's rows),
    items and OPENED events as the general path (nothing to look up: no hit or item can name these settlements
    yet), written in one statement (the items a WITH query whose ids the events and the suspect hits take by
    sub-select), the hits as plain values, without an AuditHit built and checked field by field before the INSERT.
    Each table's rows are one array parameter per column (core.inserts.insert_arrays_sql): the statement's text
    is the same for any number of hits and items, prepared once per connection (core.statements).
    rule_of {rule id: the rule (an AuditRuleDefinition, or the engine's AuditRule read with its id)}, settlements
    {id: Settlement} of the hits."""
    now = timezone.now()
    rows = [stored_hit(values, created_at=now) for values in zip(*table.values(), strict=True)]
    items, groups = suspect_items([(h[_SETTLEMENT], h[_RULE], fen) for h, fen in zip(rows, table["amount"], strict=True)
                               if h[_SEVERITY] == HitSeverity.SUSPECT], settlements)
    with_items = {(i.settlement_id, i.rule_id) for i in items}
    columns = {c: [json_text(h[at]) for h in rows] if c in HIT_JSON else [h[at] for h in rows]
               for at, c in enumerate(HIT_ROW) if at > 0}
    if items:
        del columns["item_id"]
        keys = [(h[_SETTLEMENT], h[_RULE]) if h[_SEVERITY] == HitSeverity.SUSPECT
                and (h[_SETTLEMENT], h[_RULE]) in with_items else None for h in rows]
        sql, params = insert_arrays_sql(AuditHit, columns, refs={"item_id": _ITEM_OF}, keys=_item_keys(keys))
        item_sql, item_params = insert_arrays_sql(SuspectItem, model_columns(SuspectItem, items))
        event_sql, event_params = insert_arrays_sql(
            ReviewEvent, model_columns(ReviewEvent, opened_events(items, groups, rule_of), skip=("item_id",)),
            refs={"item_id": _ITEM_OF}, keys=_item_keys([(i.settlement_id, i.rule_id) for i in items]))
        sql = (f"WITH item AS ({item_sql} RETURNING id, settlement_id, rule_id), event AS ({event_sql} RETURNING 1) "
               f"{sql}")
        params = item_params + event_params + params
    else:
        sql, params = insert_arrays_sql(AuditHit, columns)
    with connection.cursor() as cursor:
        statements.run(connection, cursor, sql + _ON_CONFLICT, params)
        written = {key: (pk, item) for pk, key, item in cursor.fetchall()}
    item_ids = {}
    new = []
    key_at = HIT_ROW.index("key")
    for h in rows:
        if h[key_at] in written:  # (all of them: a key names its new settlement)
            h[0], h[_ITEM] = written[h[key_at]]
            hit = AuditHit(*h)  # positionally, as from_db builds a row's instance
            hit._state.adding, hit._state.db = False, connection.alias
            new.append(hit)
            if h[_ITEM] is not None:
                item_ids[(h[_SETTLEMENT], h[_RULE])] = h[_ITEM]
    for i in items:
        i.pk = item_ids.get((i.settlement_id, i.rule_id))
        i._state.adding, i._state.db = False, connection.alias
    return {"hits": new, "items": items}
