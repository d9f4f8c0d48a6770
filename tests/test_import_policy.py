"""Policy pack import and export: service, management commands, validation, all-or-nothing."""
import copy
import json
import re
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from policy_rules.models import PolicyStatus, PolicyVersion
from policy_rules.services import (
    PolicyPackError,
    activate_policy_version,
    export_policy_pack,
    import_policy_pack,
    load_policy_document,
    policy_in_force,
    retire_policy_version,
)
from tests.factories import DEMO_PACK_PATH, UserFactory

pytestmark = pytest.mark.django_db

SHARED_PACK = Path(__file__).resolve().parent.parent.parent / "shared" / "policies" / "demo-city-2026.json"
PACK_PATH = SHARED_PACK if SHARED_PACK.exists() else DEMO_PACK_PATH


@pytest.fixture
def pack() -> dict:
    return json.loads(PACK_PATH.read_text(encoding="utf-8"))


def error_keys(exc_info) -> list[str]:
    return [e["key"] for e in exc_info.value.errors]


def test_demo_pack_imports_and_exports_back_equal(pack):
    original = copy.deepcopy(pack)
    user = UserFactory()
    version = import_policy_pack(pack, user=user, source_name="demo-city-2026.json")
    version.refresh_from_db()
    assert (version.code, version.region, version.status) == ("DEMO-2026", "410800", PolicyStatus.ACTIVE)
    assert (str(version.effective_from), str(version.effective_to)) == ("2026-01-01", "2026-12-31")
    assert version.imported_by == user and version.source_name == "demo-city-2026.json"
    assert export_policy_pack(version) == original
    assert pack == original  # the caller's document is not touched


def test_export_is_a_copy(pack):
    version = import_policy_pack(pack)
    exported = export_policy_pack(version)
    exported["caps"]["employee_pool"] = "1"
    assert PolicyVersion.objects.get().document["caps"]["employee_pool"] == "180000"


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d["benefits"][2]["ratio"]["by_level"].update({"3": "1.5"}), "benefits[2].ratio.by_level.3"),
        (lambda d: d["benefits"][1].update(cap_group="no_such_group"), "benefits[1].cap_group"),
        (lambda d: d.update(region="4108"), "region"),
        (lambda d: d.pop("code"), "code"),
    ],
)
def test_bad_pack_stores_nothing_and_names_the_key(pack, mutate, key):
    mutate(pack)
    with pytest.raises(PolicyPackError) as exc:
        import_policy_pack(pack)
    assert key in error_keys(exc)
    assert all(e["message"] for e in exc.value.errors)
    assert PolicyVersion.objects.count() == 0


def test_every_error_of_a_pack_is_reported(pack):
    pack["benefits"][2]["ratio"]["by_level"]["3"] = "1.5"
    pack["benefits"][1]["cap_group"] = "no_such_group"
    with pytest.raises(PolicyPackError) as exc:
        import_policy_pack(pack)
    assert {"benefits[2].ratio.by_level.3", "benefits[1].cap_group"} <= set(error_keys(exc))


def test_overlapping_active_pack_of_the_same_region_is_refused(pack):
    import_policy_pack(pack)
    overlapping = dict(copy.deepcopy(pack), code="DEMO-2026-H2", effective_from="2026-07-01", effective_to=None)
    with pytest.raises(PolicyPackError) as exc:
        import_policy_pack(overlapping)
    assert error_keys(exc) == ["effective_from"]
    assert "DEMO-2026" in exc.value.errors[0]["message"]
    assert list(PolicyVersion.objects.values_list("code", flat=True)) == ["DEMO-2026"]


def test_other_region_or_next_period_does_not_overlap(pack):
    import_policy_pack(pack)
    import_policy_pack(dict(copy.deepcopy(pack), code="OTHER-2026", region="410900"))
    import_policy_pack(dict(copy.deepcopy(pack), code="DEMO-2027", effective_from="2027-01-01",
                            effective_to="2027-12-31"))
    assert PolicyVersion.objects.active().count() == 3
    assert policy_in_force("410800", PolicyVersion.objects.get(code="DEMO-2027").effective_from).code == "DEMO-2027"


def test_duplicate_code_is_refused(pack):
    import_policy_pack(pack, activate=False)
    with pytest.raises(PolicyPackError) as exc:
        import_policy_pack(pack, activate=False)
    assert error_keys(exc) == ["code"]
    assert PolicyVersion.objects.count() == 1


def test_draft_may_overlap_but_cannot_be_activated_while_it_does(pack):
    import_policy_pack(pack)
    draft = import_policy_pack(dict(copy.deepcopy(pack), code="DEMO-2026-REV"), activate=False)
    assert draft.status == PolicyStatus.DRAFT
    with pytest.raises(PolicyPackError) as exc:
        activate_policy_version(draft)
    assert error_keys(exc) == ["effective_from"]
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT
    retire_policy_version(PolicyVersion.objects.get(code="DEMO-2026"))
    assert activate_policy_version(draft).status == PolicyStatus.ACTIVE
    assert policy_in_force("410800", draft.effective_from) == draft


def test_malformed_documents_are_refused_with_the_error_type():
    with pytest.raises(PolicyPackError) as exc:
        load_policy_document(b'{"code": ', "pack.json")
    assert error_keys(exc) == [""] and "JSON" in exc.value.errors[0]["message"]
    with pytest.raises(PolicyPackError):
        load_policy_document("- a\n- b\n", "pack.yaml")
    with pytest.raises(PolicyPackError):
        load_policy_document("key: [unclosed", "pack.yml")


def test_yaml_keeps_numbers_and_dates_as_written(pack):
    text = yaml.safe_dump(pack, allow_unicode=True, sort_keys=False)
    text = re.sub(r"'([\d.\-]+)'", r"\1", text)  # unquote numbers and dates, as a person would write them
    assert "default_selfpay_prop: 0.10" in text and "effective_from: 2026-01-01" in text and "  3: 0.80" in text
    doc = load_policy_document(text.encode("utf-8"), "demo.yaml")
    assert doc == pack
    assert doc["large_amount"]["cap"] is None and doc["critical_illness"]["include_preselfpay"] is False


# --- management commands -----------------------------------------------------------------------------

def test_import_and_export_commands_round_trip(pack, tmp_path):
    out = StringIO()
    call_command("import_policy", str(PACK_PATH), stdout=out)
    assert "DEMO-2026" in out.getvalue()
    target = tmp_path / "exported.json"
    call_command("export_policy", "DEMO-2026", "-o", str(target), stdout=StringIO())
    assert json.loads(target.read_text(encoding="utf-8")) == pack
    stdout = StringIO()
    call_command("export_policy", "DEMO-2026", stdout=stdout)
    assert json.loads(stdout.getvalue()) == pack


def test_export_command_writes_yaml_by_extension(pack, tmp_path):
    import_policy_pack(pack)
    target = tmp_path / "exported.yaml"
    call_command("export_policy", "DEMO-2026", "-o", str(target), stdout=StringIO())
    assert load_policy_document(target.read_bytes(), target.name) == pack


def test_import_command_yaml_and_draft(pack, tmp_path):
    source = tmp_path / "demo.yml"
    source.write_text(yaml.safe_dump(pack, allow_unicode=True), encoding="utf-8")
    call_command("import_policy", str(source), "--draft", stdout=StringIO())
    version = PolicyVersion.objects.get()
    assert version.status == PolicyStatus.DRAFT and version.source_name == "demo.yml"
    assert version.document == pack


def test_import_command_prints_each_error_and_fails(pack, tmp_path):
    pack["benefits"][2]["ratio"]["by_level"]["3"] = "1.5"
    pack["benefits"][1]["cap_group"] = "no_such_group"
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(pack, ensure_ascii=False), encoding="utf-8")
    stderr = StringIO()
    with pytest.raises(CommandError):
        call_command("import_policy", str(source), stdout=StringIO(), stderr=stderr)
    lines = stderr.getvalue().splitlines()
    assert any(line.startswith("benefits[2].ratio.by_level.3: ") for line in lines)
    assert any(line.startswith("benefits[1].cap_group: ") for line in lines)
    assert PolicyVersion.objects.count() == 0


def test_commands_report_missing_things(tmp_path):
    with pytest.raises(CommandError):
        call_command("import_policy", str(tmp_path / "absent.json"), stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="NOPE"):
        call_command("export_policy", "NOPE", stdout=StringIO())


def _layer_pack(name: str) -> dict:
    path = Path(__file__).resolve().parents[1] / "policy_rules" / "fixtures" / "cases" / f"{name}.json"
    return json.loads(path.read_text())["policy"]


@pytest.mark.parametrize("name", ["civil-servant", "veterans", "maternity"])
def test_a_pack_with_a_stored_layer_is_imported(name):
    """The civil-servant subsidy, veterans and maternity are stored (their amounts, parallel enrollments and
    employer wages): a pack with them is imported."""
    version = import_policy_pack(_layer_pack(name))
    assert PolicyVersion.objects.get().pk == version.pk


def test_a_chronic_pack_is_stored_with_its_capitation():
    """门慢特 pays in the stored amounts and reads stored qualifications, and its per-disease capitation is paid
    by the monthly statements (fund_budget.chronic_capitation): a pack with it imports, capitation included."""
    doc = _layer_pack("chronic-diseases")
    doc["chronic"]["capitation"] = [{"disease": "M03900", "max_level": 1, "monthly_rate": "120"}]
    version = import_policy_pack(copy.deepcopy(doc))
    assert version.document["chronic"]["capitation"] == doc["chronic"]["capitation"]
    assert list(PolicyVersion.objects.values_list("code", flat=True)) == ["PROJ-C-2026"]

