"""Factories of the policy_rules app: catalog items, policy versions (the demo pack), audit rules."""
import datetime

import factory
from factory.django import DjangoModelFactory

from policy_rules import models as policy

from .common import demo_pack

_DEMO = demo_pack()


class CatalogItemFactory(DjangoModelFactory):
    class Meta:
        model = policy.CatalogItem

    med_list_codg = factory.Sequence(lambda n: f"XA01ABD{n:016d}")
    name = factory.Iterator(["阿莫西林胶囊", "依那普利片", "血常规", "床位费(三人间)", "冠脉支架"])
    list_type = policy.ListType.DRUG
    chrg_lv = policy.ChrgLv.CLASS_A
    effective_from = datetime.date(2026, 1, 1)


class PolicyVersionFactory(DjangoModelFactory):
    """An active version whose document is the demo pack with this version's code, name, region and dates."""

    class Meta:
        model = policy.PolicyVersion

    code = factory.Sequence(lambda n: f"TEST-{n}")
    name = "示范市基本医疗保险待遇政策"
    region = "410800"
    effective_from = datetime.date(2026, 1, 1)
    effective_to = datetime.date(2026, 12, 31)
    status = policy.PolicyStatus.ACTIVE
    document = factory.LazyAttribute(
        lambda o: demo_pack(code=o.code, name=o.name, region=o.region, effective_from=o.effective_from.isoformat(),
                            effective_to=o.effective_to.isoformat() if o.effective_to else None)
    )
    source_name = "demo-city-2026.json"


class DemoPolicyFactory(PolicyVersionFactory):
    """The demo city's pack as shipped (DEMO-2026, region 410800, the year 2026), stored as an active version,
    as policy_rules.services.import_policy_pack stores it. For another year give code and dates, e.g.
    DemoPolicyFactory(code="DEMO-2025", effective_from=date(2025, 1, 1), effective_to=date(2025, 12, 31))."""

    code = _DEMO["code"]
    name = _DEMO["name"]
    region = _DEMO["region"]
    effective_from = datetime.date.fromisoformat(_DEMO["effective_from"])
    effective_to = datetime.date.fromisoformat(_DEMO["effective_to"])


class AuditRuleDefinitionFactory(DjangoModelFactory):
    class Meta:
        model = policy.AuditRuleDefinition

    code = factory.Sequence(lambda n: f"DUP-{n:03d}")
    name = "同一项目同一时间重复收费"
    rule_type = "duplicate_charge"
    params = factory.LazyFunction(dict)
    severity = policy.AuditSeverity.SUSPECT
    effective_from = datetime.date(2026, 1, 1)


FACTORIES = {
    "policy_rules.catalogitem": CatalogItemFactory,
    "policy_rules.policyversion": PolicyVersionFactory,
    "policy_rules.auditruledefinition": AuditRuleDefinitionFactory,
}
