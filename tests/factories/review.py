"""Factories of the smart-audit review (today models of the claims app, claims/review_models.py): audit
hits, suspect items, appeals and the review trail. The audit rules are in policy_rules.py."""
import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from review import models as review

from .claims import SettlementFactory
from .common import D
from .policy_rules import AuditRuleDefinitionFactory


class AuditHitFactory(DjangoModelFactory):
    class Meta:
        model = review.AuditHit

    rule = factory.SubFactory(AuditRuleDefinitionFactory)
    rule_code = factory.SelfAttribute("rule.code")
    rule_type = factory.SelfAttribute("rule.rule_type")
    severity = factory.SelfAttribute("rule.severity")
    stage = review.HitStage.SETTLEMENT
    settlement = factory.SubFactory(SettlementFactory)
    visit = factory.SelfAttribute("settlement.visit")
    institution = factory.SelfAttribute("settlement.institution")
    feedetl_sns = factory.LazyFunction(lambda: ["1", "2"])
    amount = D("30.00")
    evidence = "2026-03-05 血常规重复收取 2 次"
    key = factory.Sequence(lambda n: f"{n:064d}")


class SuspectItemFactory(DjangoModelFactory):
    """A pending item; SuspectItemFactory(confirmed=True) one confirmed now for its whole amount, open to appeal."""

    class Meta:
        model = review.SuspectItem

    class Params:
        confirmed = factory.Trait(
            state=review.SuspectState.CONFIRMED,
            confirmed_amount=factory.SelfAttribute("amount_at_stake"),
            confirmed_at=factory.LazyFunction(timezone.now),
            review_reason="同日重复收费属实",
        )

    settlement = factory.SubFactory(SettlementFactory)
    visit = factory.SelfAttribute("settlement.visit")
    institution = factory.SelfAttribute("settlement.institution")
    rule = factory.SubFactory(AuditRuleDefinitionFactory)
    amount_at_stake = D("30.00")


class AppealFactory(DjangoModelFactory):
    class Meta:
        model = review.Appeal

    item = factory.SubFactory(SuspectItemFactory, state=review.SuspectState.APPEALED, confirmed_amount=D("30.00"),
                              confirmed_at=factory.LazyFunction(timezone.now))
    institution = factory.SelfAttribute("item.institution")
    explanation = "复查有医嘱"
    filed_at = factory.LazyFunction(timezone.now)


class ReviewEventFactory(DjangoModelFactory):
    class Meta:
        model = review.ReviewEvent

    item = factory.SubFactory(SuspectItemFactory)
    visit = factory.SelfAttribute("item.visit")
    action = review.ReviewAction.OPENED
    to_state = review.SuspectState.PENDING
    amount = D("30.00")
    reason = "规则命中"


FACTORIES = {
    "review.audithit": AuditHitFactory,
    "review.suspectitem": SuspectItemFactory,
    "review.appeal": AppealFactory,
    "review.reviewevent": ReviewEventFactory,
}
