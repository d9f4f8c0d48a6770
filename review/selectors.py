"""Reads of the smart-audit review, always scoped to the user asking (claims.permissions decides the scope).

Bureau roles see every institution; an institution user sees its own items (not dismissed ones) and
their trail; anyone else sees nothing. Views and the API build on these querysets.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Visit
from claims.permissions import _institution_id, can_see_certno, can_view_review, can_view_review_stats
from core.periods import days_bounds, year_bounds
from fund_budget.models import AuditDeduction
from insurance.validators import mask_certno
from review.models import Appeal, AppealState, AuditHit, ReviewEvent, SuspectItem, SuspectState

INSTITUTION_VISIBLE_STATES = (SuspectState.PENDING, SuspectState.CONFIRMED, SuspectState.APPEALED,
                              SuspectState.REVERSED)


def items_for(user) -> QuerySet[SuspectItem]:
    """The suspect items the user may see."""
    qs = SuspectItem.objects.select_related("visit", "settlement", "institution", "rule", "appeal")
    if can_view_review.test(user):
        return qs
    institution_id = _institution_id(user)
    if institution_id is not None:
        return qs.filter(institution_id=institution_id, state__in=INSTITUTION_VISIBLE_STATES)
    return qs.none()


def review_queue(user, *, state: str | None = SuspectState.PENDING, institution=None, rule=None,
                 min_amount: Decimal | None = None, max_amount: Decimal | None = None,
                 min_age_days: int | None = None, max_age_days: int | None = None,
                 now: dt.datetime | None = None) -> QuerySet[SuspectItem]:
    """The review queue: items filtered by state (None: all), institution, rule (object, id or code),
    amount at stake range and age in days since the item was opened; oldest first."""
    qs = items_for(user).select_related("visit__person")
    if state:
        qs = qs.filter(state=state)
    if institution is not None:
        qs = qs.filter(institution_id=getattr(institution, "pk", institution))
    if rule is not None:
        qs = qs.filter(rule__code=rule) if isinstance(rule, str) else qs.filter(rule_id=getattr(rule, "pk", rule))
    if min_amount is not None:
        qs = qs.filter(amount_at_stake__gte=min_amount)
    if max_amount is not None:
        qs = qs.filter(amount_at_stake__lte=max_amount)
    now = now or timezone.now()
    if min_age_days is not None:
        qs = qs.filter(created_at__lte=now - dt.timedelta(days=min_age_days))
    if max_age_days is not None:
        qs = qs.filter(created_at__gt=now - dt.timedelta(days=max_age_days + 1))
    return qs.order_by("created_at", "pk")


def queue_neighbour(queue: QuerySet[SuspectItem], item: SuspectItem, *, forward: bool = True
                    ) -> SuspectItem | None:
    """The pending item that comes after (forward) or before `item` in the queue's order, or None.

    `queue` is the filtered queue, ordered by plain fields that end with the pk (so the order is total:
    review_queue's order, or the queue table's sort). The item itself need not be in the queue any more
    (just confirmed, it has left the pending queue): its place is found from its own sort values, so the
    lookup costs one keyset query, however long the queue."""
    order = []
    for f in [f for f in queue.query.order_by if isinstance(f, str)] or ["created_at", "pk"]:
        if f.lstrip("-") not in {o.lstrip("-") for o in order}:  # a field sorted twice counts once
            order.append(f)
    names = [f.lstrip("-") for f in order]
    values = SuspectItem.objects.filter(pk=item.pk).values(*names).first()
    if values is None:
        return None
    after = Q(pk__in=[])
    for i, (field, name) in enumerate(zip(order, names, strict=True)):
        op = "gt" if forward != field.startswith("-") else "lt"
        after |= Q(**{n: values[n] for n in names[:i]}, **{f"{name}__{op}": values[name]})
    if not forward:
        order = [f[1:] if f.startswith("-") else f"-{f}" for f in order]
    return (queue.filter(after, state=SuspectState.PENDING).exclude(pk=item.pk).order_by(*order)
            .first())


def appeals_for(user, *, state: str | None = AppealState.FILED) -> QuerySet[Appeal]:
    """Appeals the user may see (by default those waiting for a decision), oldest first."""
    items = items_for(user)
    qs = Appeal.objects.filter(item__in=items).select_related("item", "item__rule", "item__visit", "institution")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("filed_at", "pk")


def visit_trail(user, visit: Visit) -> QuerySet[ReviewEvent]:
    """Every review step on a visit's items, in order, as far as the user may see them."""
    return (ReviewEvent.objects.filter(visit=visit, item__in=items_for(user))
            .select_related("item", "item__rule", "actor", "appeal").order_by("at", "pk"))


def item_hits(user, item: SuspectItem) -> QuerySet[AuditHit]:
    if not items_for(user).filter(pk=item.pk).exists():
        return AuditHit.objects.none()
    return item.hits.order_by("pk")


def visit_review(user, visit: Visit) -> dict:
    """A visit's audit hits and suspect items, as far as the user may see them (the visit page)."""
    items = items_for(user).filter(visit=visit).order_by("created_at", "pk")
    hits = AuditHit.objects.filter(visit=visit).order_by("pk")
    if not can_view_review.test(user):
        hits = hits.filter(item__in=items)
    return {"items": list(items), "hits": list(hits.select_related("item"))}


def rule_hit_stats(user, *, date_from: dt.date, date_to: dt.date, stage: str | None = None,
                   institution=None) -> list[dict]:
    """For supervision: per rule, the hits found in [date_from, date_to] (local dates) and their amount,
    and of the suspect items opened in that period how many were confirmed and for how much."""
    if not can_view_review_stats.test(user):
        raise PermissionDenied(_("只有稽核主管可以查看规则统计。"))
    start, end = days_bounds(date_from, date_to)
    hits = AuditHit.objects.filter(created_at__gte=start, created_at__lt=end)
    items = SuspectItem.objects.filter(created_at__gte=start, created_at__lt=end)
    if stage:
        hits = hits.filter(stage=stage)
    if institution is not None:
        inst = getattr(institution, "pk", institution)
        hits, items = hits.filter(institution_id=inst), items.filter(institution_id=inst)
    stats: dict[str, dict] = {}
    for row in hits.values("rule__code", "rule__name", "rule__rule_type").annotate(
            hits=Count("pk"), visits=Count("visit", distinct=True), amount=Sum("amount")).order_by("rule__code"):
        stats[row["rule__code"]] = {
            "rule_code": row["rule__code"], "rule_name": row["rule__name"], "rule_type": row["rule__rule_type"],
            "hits": row["hits"], "visits": row["visits"], "hit_amount": row["amount"] or Decimal("0.00"),
            "items": 0, "confirmed": 0, "confirmed_amount": Decimal("0.00"), "dismissed": 0, "reversed": 0,
        }
    confirmed_states = [SuspectState.CONFIRMED, SuspectState.APPEALED]
    for row in items.values("rule__code", "rule__name", "rule__rule_type").annotate(
            n=Count("pk"),
            confirmed=Count("pk", filter=Q(state__in=confirmed_states)),
            confirmed_amount=Sum("confirmed_amount", filter=Q(state__in=confirmed_states)),
            dismissed=Count("pk", filter=Q(state=SuspectState.DISMISSED)),
            reversed=Count("pk", filter=Q(state=SuspectState.REVERSED))):
        s = stats.setdefault(row["rule__code"], {
            "rule_code": row["rule__code"], "rule_name": row["rule__name"], "rule_type": row["rule__rule_type"],
            "hits": 0, "visits": 0, "hit_amount": Decimal("0.00")})
        s.update(items=row["n"], confirmed=row["confirmed"], confirmed_amount=row["confirmed_amount"] or Decimal("0.00"),
                 dismissed=row["dismissed"], reversed=row["reversed"])
    return [stats[k] for k in sorted(stats)]


def business_day_hits(start: dt.datetime, end: dt.datetime) -> QuerySet[AuditHit]:
    """The rule hits of the business day [start, end): a hit on a settlement belongs to the settlement's day
    (its setl_time, as the day's settlement figures count it), whenever the audit recorded it (the daily job
    of a day runs after it, a demo's job months later); a hit before any settlement (upload, pre-settlement)
    belongs to the day it was found, which is its business day."""
    return AuditHit.objects.filter(
        Q(settlement__setl_time__gte=start, settlement__setl_time__lt=end)
        | Q(settlement__isnull=True, created_at__gte=start, created_at__lt=end))


def review_day_figures(user, start: dt.datetime, end: dt.datetime) -> dict:
    """The review side of the bureau's business day [start, end): the suspect items opened on the day's
    settlements (how many, their amount at stake, how many still wait), the day's rule hits per rule
    (business_day_hits), and the whole queue's pending items. By business day, not by the clock: the items
    and hits of a day's settlements count on that day even when the audit ran on another."""
    items = items_for(user).filter(settlement__setl_time__gte=start, settlement__setl_time__lt=end)
    opened = items.aggregate(n=Count("pk"), amount=Sum("amount_at_stake"),
                             pending=Count("pk", filter=Q(state=SuspectState.PENDING)))
    hits = (business_day_hits(start, end)
            .values("rule_code", "rule__name", "severity")
            .annotate(n=Count("pk"), visits=Count("visit", distinct=True), amount=Sum("amount"))
            .order_by("-n", "rule_code"))
    return {
        "new_items": opened["n"], "new_items_amount": opened["amount"] or Decimal("0.00"),
        "new_items_pending": opened["pending"], "hits": list(hits),
        "queue_pending": items_for(user).filter(state=SuspectState.PENDING).count(),
    }


def institution_review(user, institution, year: int) -> dict:
    """An institution's review record for the institution page: the rule hits and suspect items of one year
    (so the page costs one year, not every year), its deductions and their totals, and its appeals."""
    start, end = year_bounds(year)
    hits = AuditHit.objects.filter(institution=institution, created_at__gte=start, created_at__lt=end)
    deductions = AuditDeduction.objects.filter(institution=institution).order_by("-confirmed_at", "-pk")
    items = items_for(user).filter(institution=institution, created_at__gte=start, created_at__lt=end)
    return {
        "hits": hits.select_related("visit"),
        "hit_counts": hits.values("rule_code", "rule__name").annotate(n=Count("pk"), amount=Sum("amount"))
                          .order_by("-n", "rule_code"),
        "deductions": deductions,
        "deduction_totals": deductions.aggregate(n=Count("pk"), total=Sum("amount"),
                                                 reversed=Sum("amount", filter=Q(reversed_at__isnull=False))),
        "appeals": appeals_for(user, state=None).filter(institution=institution),
        "item_counts": items.values("state").annotate(n=Count("pk")).order_by("state"),
    }


def display_certno(user, certno: str | None) -> str:
    """The identity number in full for roles that may see it (claims.see_certno), else masked."""
    if not certno:
        return ""
    return certno if can_see_certno.test(user) else mask_certno(certno)
