"""Smart-audit review verbs (issue #5): record the engine's hits, confirm or dismiss a suspect item,
file and decide an appeal. Views, the API, admin actions and the settlement pipeline call these; none
of them reopens the patient's settlement — a confirmed item becomes an audit deduction on the
institution (fund_budget), counted in its monthly statement, and a successful appeal gives it back.

Every step checks who may take it (claims.permissions), requires a reason, and writes a ReviewEvent.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.errors import ServiceError
from claims.models import FeeLine, Settlement, Visit
from claims.permissions import can_decide_appeal, can_file_appeal, can_review_item
from core.inserts import insert_new
from core.ledger import money_writes
from core.prepared import Prepared
from fund_budget.funds import pool_fund_of
from fund_budget.services import FundError, record_deduction, reverse_deduction
from policy_rules.engine.audit import AuditRule
from policy_rules.models import AuditRuleDefinition
from review.hits import hit_columns, hit_table, stored_hit
from review.models import (
    Appeal,
    AppealState,
    AuditHit,
    HitSeverity,
    HitStage,
    ReviewAction,
    ReviewEvent,
    SuspectItem,
    SuspectState,
)
from review.writers import opened_events, record_new, suspect_items

DEDUCTION_SOURCE = "audit.suspect"
CENT = Decimal("0.01")


def appeal_window_days() -> int:
    return settings.APPEAL_WINDOW_DAYS


def appeal_deadline(item: SuspectItem) -> dt.datetime | None:
    """The last moment an appeal may be filed (confirmation + APPEAL_WINDOW_DAYS), None before confirmation."""
    if item.confirmed_at is None:
        return None
    return item.confirmed_at + dt.timedelta(days=appeal_window_days())


# --- recording hits ---------------------------------------------------------------------------------


# the rules of these codes (compiled once per number of codes: core.prepared)
_RULES = Prepared(AuditRuleDefinition, lambda codes: AuditRuleDefinition.objects.filter(code__in=codes))


def record_hits(hits_df, *, stage: str, visits_by_mdtrt: dict[str, Visit],
                settlements_by_mdtrt: dict[str, Settlement] | None = None, new_settlements: bool = False,
                line_ids: dict[tuple[int, str], int] | None = None, rules: list | None = None) -> dict:
    """Store the audit engine's hits (run_audit's frame) and, at the settlement stage, open suspect items.

    Every hit is stored with its rule, its lines (feedetl_sn and FeeLine id), the evidence in words and the
    amount at stake. At stage "settlement" the hits of severity "suspect" are grouped by settlement and
    rule into one SuspectItem each; its amount at stake is the sum of the hits' amounts, at most what
    the fund paid for that settlement (an item with nothing the fund paid is not opened; its hits remain).

    Idempotent: a hit already recorded (same stage, rule, visit, settlement, lines and amount) is not
    stored again, and a settlement never gets a second item for the same rule.
    Returns {"hits": [new AuditHit], "items": [new SuspectItem]}. Raises ServiceError, writing nothing.

    new_settlements: the caller created these settlements in its own transaction, which is still open (the
    counter's settle_visits): no other transaction can see them, so none can record against them, and nothing
    is recorded against them yet. Their lock and the look-ups of the hits and items already there are then
    left out (they could find nothing), and the writes join the caller's transaction without a savepoint of
    their own (an error ends the caller's transaction anyway: it rolls back the settlements too).
    line_ids: {(visit_id, feedetl_sn): FeeLine id} of the visits' lines when the caller holds them (every line
    a hit can name, e.g. the settled lines), so that they are not read again.
    rules: the rules the hits came from as the engine's AuditRules read with their ids (policy_rules.audit_library.
    rules_in_force), so that at new settlements on PostgreSQL they are not read again.
    """
    if stage not in HitStage.values:
        raise ServiceError.one("stage", "UNKNOWN_STAGE", _("未知的审核环节：%(s)s") % {"s": stage})
    if hits_df is None or len(hits_df) == 0:
        return {"hits": [], "items": []}
    settlements_by_mdtrt = settlements_by_mdtrt or {}
    cols = hit_columns(hits_df)
    codes, mdtrt = cols["rule_code"], cols["mdtrt_id"]
    at_settlement = stage == HitStage.SETTLEMENT

    new_settlements = new_settlements and at_settlement
    one_statement = new_settlements and connection.vendor == "postgresql"
    wanted = list(dict.fromkeys(codes))
    rules = {r.code: r for r in rules or () if r.id is not None} if one_statement else {}
    if not all(c in rules for c in wanted):  # (record_new takes the rules as they are given; the ORM, its rows)
        rules = {r.code: r for r in _RULES(wanted)}
    rule_of = {r.id if isinstance(r, AuditRule) else r.pk: r for r in rules.values()}  # by rule id
    for line, (code, m) in enumerate(zip(codes, mdtrt, strict=True)):
        if code not in rules:
            raise ServiceError.one("rule_code", "UNKNOWN_RULE", _("规则库中没有规则 %(c)s。") % {"c": code}, line=line)
        if m not in visits_by_mdtrt:
            raise ServiceError.one("mdtrt_id", "UNKNOWN_VISIT", _("没有提供就诊 %(id)s。") % {"id": m}, line=line)
        if at_settlement and m not in settlements_by_mdtrt:
            raise ServiceError.one("settlement", "MISSING_SETTLEMENT",
                                   _("就诊 %(id)s 没有对应的结算记录。") % {"id": m}, line=line)

    with transaction.atomic(savepoint=not new_settlements):
        visits = {m: visits_by_mdtrt[m] for m in mdtrt}
        ours = {m: settlements_by_mdtrt[m] for m in mdtrt} if at_settlement else {}
        settlements: dict[int, Settlement] = {s.pk: s for s in ours.values()}
        if at_settlement and not new_settlements:  # (the caller's new rows are invisible to any other recorder)
            # one recorder at a time per settlement, so that "already there?" below is reliable
            settlements = {s.pk: s for s in
                           Settlement.objects.select_for_update().filter(pk__in=sorted(settlements)).order_by("pk")}
        if line_ids is None:
            line_ids = {
                (visit_id, sn): pk for visit_id, sn, pk in FeeLine.objects.filter(
                    visit__in=[v.pk for v in visits.values()],
                    feedetl_sn__in={sn for sns in cols["feedetl_sns"] for sn in sns},
                ).values_list("visit_id", "feedetl_sn", "pk")
            }
        related_ids = set(cols["related_mdtrt_id"]) - {""}
        related = {v.mdtrt_id: v for v in Visit.objects.filter(mdtrt_id__in=related_ids)} if related_ids else {}
        table = hit_table(cols, stage, rules={r.code: (pk, r.rule_type) for pk, r in rule_of.items()},
                          visit_id=[visits[m].pk for m in mdtrt],
                          institution_id=[visits[m].institution_id for m in mdtrt],
                          settlement_id=[ours[m].pk for m in mdtrt] if at_settlement else [None] * len(mdtrt),
                          line_ids=line_ids, related={m: v.pk for m, v in related.items()})
        if one_statement:
            return record_new(table, rule_of, settlements)

        built: dict[str, AuditHit] = {}
        fen: dict[str, int] = dict(zip(table["key"], table["amount"], strict=True))
        by_pk = {v.pk: v for v in visits.values()}
        for values in zip(*table.values(), strict=True):
            hit = AuditHit(*stored_hit(values))
            # the instances in hand, so that reading them from the hits asks nothing
            hit.rule, hit.visit = rule_of[hit.rule_id], by_pk[hit.visit_id]
            if hit.settlement_id is not None:
                hit.settlement = settlements[hit.settlement_id]
            built[hit.key] = hit
        # the hits recorded before under these keys: (id, item, severity)
        found = {} if new_settlements else {
            key: (pk, item_id, severity) for key, pk, item_id, severity in AuditHit.objects.filter(
                key__in=list(built)).values_list("key", "pk", "item_id", "severity")}
        new = [h for k, h in built.items() if k not in found]
        new_items: list[SuspectItem] = []
        if at_settlement:
            new_items, item_of = _open_items(built, fen, found, settlements, rule_of, none_open=new_settlements)
            for h in new:
                if h.severity == HitSeverity.SUSPECT:
                    h.item_id = item_of.get((h.settlement_id, h.rule_id))
            # hits recorded before without their item (none at a new settlement) join the item now
            attach = {pk: item_of[(built[k].settlement_id, built[k].rule_id)]
                      for k, (pk, item_id, severity) in found.items()
                      if item_id is None and severity == HitSeverity.SUSPECT
                      and (built[k].settlement_id, built[k].rule_id) in item_of}
            if attach:
                AuditHit.objects.filter(pk__in=list(attach), item__isnull=True).update(
                    item=Case(*[When(pk=pk, then=Value(item)) for pk, item in attach.items()]))
        insert_new(AuditHit, new, "key")
    # a hit a concurrent recorder wrote first (outside the settlement stage's lock) is not ours: no pk
    return {"hits": [h for h in new if h.pk is not None], "items": new_items}


def _open_items(built: dict[str, AuditHit], fen: dict[str, int], found: dict[str, tuple],
                settlements: dict[int, Settlement], rule_of: dict[int, AuditRuleDefinition], none_open: bool = False
                ) -> tuple[list[SuspectItem], dict[tuple[int, int], int]]:
    """The suspect items these hits open (review.hits.items_to_open: one per settlement and rule, the at-stake cap)
    with their OPENED events, in one INSERT each. Returns the new items and {(settlement, rule): item id} of
    every item, new or already open, that the hits' suspect groups belong to. none_open: the settlements are
    the caller's new ones (record_hits' new_settlements), which no item can name yet: none is looked for."""
    suspect = []
    for key, h in built.items():
        severity = found[key][2] if key in found else h.severity  # a hit recorded before keeps its severity
        if severity == HitSeverity.SUSPECT:
            suspect.append((h.settlement_id, h.rule_id, fen[key]))
    if not suspect:
        return [], {}
    groups = {(s, r) for s, r, _fen in suspect}
    existing = {} if none_open else {(s, r): pk for s, r, pk in SuspectItem.objects.filter(
        settlement_id__in={s for s, _r in groups}, rule_id__in={r for _s, r in groups}
    ).values_list("settlement_id", "rule_id", "pk") if (s, r) in groups}
    items, counts = suspect_items(suspect, settlements, set(existing))
    for i in items:
        i.rule = rule_of[i.rule_id]  # the instance in hand
    if items:
        insert_new(SuspectItem, items, None)
        insert_new(ReviewEvent, opened_events(items, counts, rule_of), None)
    item_of = {**existing, **{(i.settlement_id, i.rule_id): i.pk for i in items}}
    return items, item_of


# --- the reviewer's verbs --------------------------------------------------------------------------------


def _reason(value, field: str = "reason") -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not text:
        raise ServiceError.one(field, "REQUIRED", _("必须填写%(what)s。") % {
            "what": _("申诉说明") if field == "explanation" else _("原因")})
    return text


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def _require(predicate, user, obj, message: str) -> None:
    if not predicate.test(user, obj):
        raise PermissionDenied(message)


def _event(item: SuspectItem, *, user, action: str, from_state: str, amount=None, reason: str = "",
           appeal: Appeal | None = None) -> ReviewEvent:
    return ReviewEvent.objects.create(item=item, visit_id=item.visit_id, appeal=appeal, actor=_user(user),
                                      action=action, from_state=from_state, to_state=item.state, amount=amount,
                                      reason=reason)


def _locked(item: SuspectItem) -> SuspectItem:
    return SuspectItem.objects.select_for_update().get(pk=item.pk)


def _amount(value) -> Decimal:
    try:
        if isinstance(value, (bool, float)):
            raise InvalidOperation
        amount = Decimal(str(value).strip())
        if not amount.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ServiceError.one("amount", "NOT_DECIMAL", _("不是有效的金额：%(v)r") % {"v": value}) from exc
    if amount != amount.quantize(CENT):
        raise ServiceError.one("amount", "TOO_MANY_DECIMALS", _("金额最多 2 位小数。"))
    return amount


def confirm_item(item: SuspectItem, *, user, amount, reason: str) -> SuspectItem:
    """审核员 confirms a pending item for an amount (0 < amount ≤ amount at stake): a deduction is recorded
    on the institution (fund_budget), to be counted in its next monthly statement."""
    _require(can_review_item, user, item, _("只有审核员可以确认疑点。"))
    reason = _reason(reason)
    amount = _amount(amount)
    with transaction.atomic(), money_writes(user=user, reason=reason):
        item = _locked(item)
        if item.state != SuspectState.PENDING:
            raise ServiceError.one("state", "NOT_PENDING", _("疑点当前状态为“%(s)s”，不能确认。") % {
                "s": item.get_state_display()})
        if amount <= 0:
            raise ServiceError.one("amount", "NOT_POSITIVE", _("确认扣款金额必须大于 0。"))
        if amount > item.amount_at_stake:
            raise ServiceError.one("amount", "ABOVE_AT_STAKE", _("确认扣款金额不能超过疑点金额 %(a)s。") % {
                "a": item.amount_at_stake})
        try:
            deduction = record_deduction(
                institution=item.institution, amount=amount, reason=reason, source_type=DEDUCTION_SOURCE,
                source_id=str(item.pk), fund=pool_fund_of(item.settlement_id), user=_user(user))
        except FundError as exc:
            raise ServiceError.one("amount", "DEDUCTION_REFUSED", str(exc)) from exc
        item.state = SuspectState.CONFIRMED
        item.confirmed_amount = amount
        item.confirmed_by = _user(user)
        item.confirmed_at = timezone.now()
        item.review_reason = reason
        item.deduction = deduction
        item.save(update_fields=["state", "confirmed_amount", "confirmed_by", "confirmed_at", "review_reason",
                                 "deduction"])
        _event(item, user=user, action=ReviewAction.CONFIRMED, from_state=SuspectState.PENDING, amount=amount,
               reason=reason)
    return item


def dismiss_item(item: SuspectItem, *, user, reason: str) -> SuspectItem:
    """审核员 dismisses a pending item: nothing is deducted."""
    _require(can_review_item, user, item, _("只有审核员可以排除疑点。"))
    reason = _reason(reason)
    with transaction.atomic(), money_writes(user=user, reason=reason):
        item = _locked(item)
        if item.state != SuspectState.PENDING:
            raise ServiceError.one("state", "NOT_PENDING", _("疑点当前状态为“%(s)s”，不能排除。") % {
                "s": item.get_state_display()})
        item.state = SuspectState.DISMISSED
        item.dismissed_by = _user(user)
        item.dismissed_at = timezone.now()
        item.review_reason = reason
        item.save(update_fields=["state", "dismissed_by", "dismissed_at", "review_reason"])
        _event(item, user=user, action=ReviewAction.DISMISSED, from_state=SuspectState.PENDING, reason=reason)
    return item


# --- bulk verbs (the queue's checkboxes) -----------------------------------------------------------------


@dataclass
class BulkResult:
    """What a bulk verb did: the items decided, and the items skipped with the reason why
    (skipped: [(item, code, message)], code e.g. NOT_PENDING, NOT_PERMITTED)."""

    done: list[SuspectItem] = field(default_factory=list)
    skipped: list[tuple[SuspectItem, str, str]] = field(default_factory=list)


def confirm_items(items, *, user, reason: str) -> BulkResult:
    """Confirm several items at once, each for its whole amount at stake (a lower amount needs the item page).
    Every item goes through confirm_item, so the same rules hold per item; see _bulk."""
    return _bulk(items, reason, lambda item, text: confirm_item(item, user=user, amount=item.amount_at_stake,
                                                                reason=text), user)


def dismiss_items(items, *, user, reason: str) -> BulkResult:
    """Dismiss several items at once through dismiss_item; see _bulk."""
    return _bulk(items, reason, lambda item, text: dismiss_item(item, user=user, reason=text), user)


def _bulk(items, reason, verb, user) -> BulkResult:
    """Apply a single-item verb to each item (in id order, so that two bulk runs lock rows in the same order)
    in one transaction, each item in its own savepoint: an item the verb refuses (not pending any more, not
    permitted, the fund refusing the deduction) is rolled back to nothing written and reported as skipped,
    and the others go on. A missing reason refuses the whole batch before anything is written."""
    text = _reason(reason)
    result = BulkResult()
    unique = {item.pk: item for item in items}
    with transaction.atomic():
        for pk in sorted(unique):
            item = unique[pk]
            try:
                with transaction.atomic():
                    result.done.append(verb(item, text))
            except PermissionDenied as exc:
                result.skipped.append((item, "NOT_PERMITTED", str(exc)))
            except ServiceError as exc:
                result.skipped.append((item, exc.errors[0]["code"], "; ".join(e["message"] for e in exc.errors)))
    return result


def close_items_of_cancelled(settlement: Settlement, *, user, reason: str) -> list[SuspectItem]:
    """A cancelled settlement's pending items are dismissed: the fund's payment they questioned is given back
    by the reversal. Called by cancel_settlement in its transaction (the canceller needs no reviewer role);
    confirmed, appealed and reversed items stay as they are, with their deductions, for a reviewer to decide."""
    text = _("结算已撤销：%(reason)s") % {"reason": reason}
    now = timezone.now()
    closed = []
    with money_writes(user=user, reason=reason):
        for item in SuspectItem.objects.select_for_update().filter(settlement=settlement, state=SuspectState.PENDING):
            item.state = SuspectState.DISMISSED
            item.dismissed_by = _user(user)
            item.dismissed_at = now
            item.review_reason = text
            item.save(update_fields=["state", "dismissed_by", "dismissed_at", "review_reason"])
            _event(item, user=user, action=ReviewAction.DISMISSED, from_state=SuspectState.PENDING, reason=text)
            closed.append(item)
    return closed


def file_appeal(item: SuspectItem, *, user, explanation: str) -> Appeal:
    """The institution appeals a confirmed item within APPEAL_WINDOW_DAYS of its confirmation (once)."""
    _require(can_file_appeal, user, item, _("只有该疑点所属机构的用户可以申诉。"))
    explanation = _reason(explanation, "explanation")
    now = timezone.now()
    with transaction.atomic(), money_writes(user=user, reason=explanation):
        item = _locked(item)
        if Appeal.objects.filter(item=item).exists():
            raise ServiceError.one("item", "ALREADY_APPEALED", _("该疑点已申诉过，不能再次申诉。"))
        if item.state != SuspectState.CONFIRMED:
            raise ServiceError.one("state", "NOT_CONFIRMED", _("只能对已确认扣款的疑点申诉。"))
        deadline = appeal_deadline(item)
        if now > deadline:
            raise ServiceError.one("confirmed_at", "APPEAL_WINDOW_CLOSED", _(
                "申诉期限已过：确认后 %(n)d 天内可申诉，截止 %(d)s。") % {
                "n": appeal_window_days(), "d": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")})
        appeal = Appeal.objects.create(item=item, institution_id=item.institution_id, explanation=explanation,
                                       filed_by=_user(user), filed_at=now)
        item.state = SuspectState.APPEALED
        item.save(update_fields=["state"])
        _event(item, user=user, action=ReviewAction.APPEAL_FILED, from_state=SuspectState.CONFIRMED,
               amount=item.confirmed_amount, reason=explanation, appeal=appeal)
    return appeal


def decide_appeal(appeal: Appeal, *, user, upheld: bool, reason: str) -> Appeal:
    """申诉复核员 decides an appeal: upheld keeps the deduction; otherwise the deduction is reversed and
    given back in the institution's next monthly statement. Four eyes: the reviewer who confirmed the item
    may not decide its appeal."""
    with transaction.atomic(), money_writes(user=user):
        appeal = Appeal.objects.select_for_update().select_related("item").get(pk=appeal.pk)
        if not can_decide_appeal.test(user, appeal):
            if getattr(user, "is_authenticated", False) and appeal.item.confirmed_by_id == user.pk:
                raise PermissionDenied(_("四眼原则：确认该疑点的审核员不能复核其申诉。"))
            raise PermissionDenied(_("只有申诉复核员可以复核申诉。"))
        reason = _reason(reason)
        if appeal.state != AppealState.FILED:
            raise ServiceError.one("state", "ALREADY_DECIDED", _("该申诉已复核。"))
        item = _locked(appeal.item)
        appeal.state = AppealState.UPHELD if upheld else AppealState.REVERSED
        appeal.decided_by = _user(user)
        appeal.decided_at = timezone.now()
        appeal.decision_reason = reason
        appeal.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
        if not upheld:
            try:
                reverse_deduction(item.deduction, user=_user(user), reason=reason)
            except FundError as exc:
                raise ServiceError.one("reason", "REVERSAL_REFUSED", str(exc)) from exc
        item.state = SuspectState.CONFIRMED if upheld else SuspectState.REVERSED
        item.save(update_fields=["state"])
        _event(item, user=user, action=ReviewAction.APPEAL_UPHELD if upheld else ReviewAction.APPEAL_REVERSED,
               from_state=SuspectState.APPEALED, amount=item.confirmed_amount, reason=reason, appeal=appeal)
    return appeal
