"""The rule library: params validated naming the key, effective dating, rules_in_force as the engine's
dataclasses, the admin (filters, enable/disable, who may edit), history, and the default library."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from policy_rules.audit_library import load_default_rules, rules_in_force
from policy_rules.engine.audit import RULE_TYPES, AuditRule, default_rules
from policy_rules.models import AuditRuleDefinition, CatalogItem

from .conftest import make_user


def rule(**kw) -> AuditRuleDefinition:
    fields = {"code": "FREQ-T", "name": "血常规每日限 2 次", "rule_type": "frequency",
              "params": {"codes": ["250101001"], "max": 2}, "severity": "suspect",
              "effective_from": dt.date(2026, 1, 1), **kw}
    return AuditRuleDefinition(**fields)


def test_valid_params_pass(world):
    rule().full_clean()


@pytest.mark.parametrize("params, key", [
    ({"codes": ["250101001"]}, "max"),                       # required key missing
    ({"codes": ["250101001"], "max": -1}, "max"),            # below the minimum
    ({"codes": "250101001", "max": 2}, "codes"),             # wrong kind
    ({"codes": ["250101001"], "max": 2, "per": "week"}, "per"),  # not a choice
    ({"codes": ["250101001"], "max": 2, "maxx": 3}, "maxx"),  # unknown key
])
def test_bad_params_are_refused_naming_the_key(world, params, key):
    with pytest.raises(ValidationError) as exc:
        rule(params=params).full_clean()
    messages = exc.value.message_dict["params"]
    assert any(m.startswith(f"{key}:") for m in messages), messages


def test_params_must_be_an_object_and_the_type_known(world):
    with pytest.raises(ValidationError) as exc:
        rule(params=["codes"]).full_clean()
    assert "params" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        rule(rule_type="no_such_type", params={}).full_clean()
    assert "rule_type" in exc.value.message_dict


def test_the_choices_are_the_engines_rule_types(world):
    field = AuditRuleDefinition._meta.get_field("rule_type")
    assert [code for code, _label in field.choices] == list(RULE_TYPES)


def test_effective_to_cannot_precede_effective_from(world):
    with pytest.raises(ValidationError) as exc:
        rule(effective_from=dt.date(2026, 6, 1), effective_to=dt.date(2026, 5, 31)).full_clean()
    assert "effective_to" in exc.value.message_dict


def test_rules_in_force_are_enabled_effective_and_engine_dataclasses(world):
    rule(code="A-1").save()
    rule(code="A-2", enabled=False).save()
    rule(code="A-3", effective_from=dt.date(2026, 4, 1)).save()
    rule(code="A-4", effective_to=dt.date(2026, 2, 28)).save()
    codes = [r.code for r in rules_in_force(dt.date(2026, 3, 10))]
    assert "A-1" in codes and not {"A-2", "A-3", "A-4"} & set(codes)
    [a1] = [r for r in rules_in_force(dt.date(2026, 3, 10)) if r.code == "A-1"]
    assert a1 == AuditRule(code="A-1", rule_type="frequency", params={"codes": ["250101001"], "max": 2},
                           severity="suspect", name="血常规每日限 2 次")
    assert "A-3" in [r.code for r in rules_in_force(dt.datetime(2026, 4, 1, 8))]


def test_rules_in_force_see_every_change_of_the_table_however_it_is_made(world):
    day = dt.date(2026, 3, 10)
    rule(code="A-1").save()
    rule(code="A-2").save()
    ours = lambda: {r.code: r for r in rules_in_force(day) if r.code.startswith("A-")}  # noqa: E731
    assert set(ours()) == {"A-1", "A-2"}
    # an UPDATE that does not touch updated_at (queryset.update), then a DELETE, then an INSERT
    AuditRuleDefinition.objects.filter(code="A-1").update(params={"codes": ["250101001"], "max": 3})
    assert ours()["A-1"].params["max"] == 3
    AuditRuleDefinition.objects.filter(code="A-2").delete()
    assert set(ours()) == {"A-1"}
    AuditRuleDefinition.objects.filter(code="A-1").update(enabled=False)
    assert ours() == {}
    rule(code="A-5").save()
    assert set(ours()) == {"A-5"}
    # a caller changing its rules' params changes nothing for the next caller
    ours()["A-5"].params["max"] = 99
    assert ours()["A-5"].params["max"] == 2


def test_changes_are_kept_in_history(world):
    r = rule()
    r.save()
    r.params = {"codes": ["250101001"], "max": 3}
    r.save()
    events = list(r.events.order_by("pgh_id").values_list("pgh_label", "params"))
    assert [label for label, _p in events] == ["insert", "update"]
    assert events[-1][1] == {"codes": ["250101001"], "max": 3}


# --- admin ---------------------------------------------------------------------------------------------


def test_supervisor_lists_and_filters_rules_in_the_admin(world, client):
    client.force_login(world.supervisor)
    url = reverse("admin:policy_rules_auditruledefinition_changelist")
    page = client.get(url, {"rule_type": "bed_days"}).content.decode()
    assert "BED-01" in page and "DUP-01" not in page
    page = client.get(url, {"severity": "warn"}).content.decode()
    assert "PRICE-W" in page and "BED-01" not in page
    world.dup_rule.enabled = False
    world.dup_rule.save()
    page = client.get(url, {"enabled__exact": "0"}).content.decode()
    assert "DUP-01" in page and "BED-01" not in page


def test_enable_and_disable_actions(world, client):
    client.force_login(world.supervisor)
    url = reverse("admin:policy_rules_auditruledefinition_changelist")
    ids = [world.dup_rule.pk, world.bed_rule.pk]
    response = client.post(url, {"action": "disable_rules", "_selected_action": ids})
    assert response.status_code == 302
    assert not AuditRuleDefinition.objects.filter(pk__in=ids, enabled=True).exists()
    assert AuditRuleDefinition.objects.get(pk=world.dup_rule.pk).updated_by == world.supervisor
    assert [r.code for r in rules_in_force(dt.date(2026, 3, 10))] == ["PRICE-W"]
    client.post(url, {"action": "enable_rules", "_selected_action": [world.dup_rule.pk]})
    assert AuditRuleDefinition.objects.get(pk=world.dup_rule.pk).enabled


def test_the_admin_form_shows_the_params_error_with_its_key(world, client):
    client.force_login(world.supervisor)
    response = client.post(reverse("admin:policy_rules_auditruledefinition_add"), {
        "code": "FREQ-X", "name": "超频次", "rule_type": "frequency", "params": '{"codes": ["250101001"]}',
        "severity": "suspect", "effective_from": "2026-01-01", "enabled": "on",
    })
    assert response.status_code == 200 and "max: " in response.content.decode()
    assert not AuditRuleDefinition.objects.filter(code="FREQ-X").exists()
    response = client.post(reverse("admin:policy_rules_auditruledefinition_add"), {
        "code": "FREQ-X", "name": "超频次", "rule_type": "frequency",
        "params": '{"codes": ["250101001"], "max": 2}', "severity": "suspect", "effective_from": "2026-01-01",
        "enabled": "on",
    })
    assert response.status_code == 302
    created = AuditRuleDefinition.objects.get(code="FREQ-X")
    assert created.created_by == world.supervisor and created.params == {"codes": ["250101001"], "max": 2}


def test_other_roles_may_read_but_not_edit_rules(world, client):
    reviewer = make_user("shenhe_staff", "reviewer", is_staff=True)
    client.force_login(reviewer)
    assert client.get(reverse("admin:policy_rules_auditruledefinition_changelist")).status_code == 200
    assert client.get(reverse("admin:policy_rules_auditruledefinition_add")).status_code == 403
    client.post(reverse("admin:policy_rules_auditruledefinition_changelist"),
                {"action": "disable_rules", "_selected_action": [world.dup_rule.pk]})
    assert AuditRuleDefinition.objects.get(pk=world.dup_rule.pk).enabled


# --- the default library ---------------------------------------------------------------------------------


def test_load_default_rules_is_idempotent_and_keeps_edits(world):
    AuditRuleDefinition.objects.all().delete()
    CatalogItem.objects.all().delete()
    first = load_default_rules()
    expected = [r.code for r in default_rules()]
    assert first["created"] == expected and first["kept"] == []
    assert AuditRuleDefinition.objects.count() == len(expected) > 10
    for row in AuditRuleDefinition.objects.all():
        row.full_clean()
    edited = AuditRuleDefinition.objects.get(code="READM-001")
    edited.params, edited.enabled = {"days": 30}, False
    edited.save()
    second = load_default_rules()
    assert second == {"created": [], "kept": expected}
    edited.refresh_from_db()
    assert edited.params == {"days": 30} and not edited.enabled


def test_the_default_library_uses_the_catalogs_codes(world, capsys):
    AuditRuleDefinition.objects.all().delete()
    CatalogItem.objects.create(med_list_codg="250101001-LOCAL", name="血常规", chrg_lv="01",
                               effective_from=dt.date(2025, 1, 1))
    call_command("load_default_rules", "--effective-from", "2026-01-01")
    freq = AuditRuleDefinition.objects.get(code="FREQ-003")
    assert "250101001-LOCAL" in freq.params["codes"] and freq.effective_from == dt.date(2026, 1, 1)
    assert "created" in capsys.readouterr().out
