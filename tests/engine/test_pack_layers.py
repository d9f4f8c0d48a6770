"""Reading the project's pack keys (docs/benefit-layers.md): each error names the key at fault."""
import copy
import json
from pathlib import Path

import pytest

from policy_rules.engine.pack import PolicyPackError, parse_pack

CASES = Path(__file__).resolve().parents[2] / "policy_rules" / "fixtures" / "cases"


def policy(name):
    return copy.deepcopy(json.loads((CASES / f"{name}.json").read_text())["policy"])


def errors(doc) -> dict:
    with pytest.raises(PolicyPackError) as exc:
        parse_pack(doc)
    return {e["key"]: e["message"] for e in exc.value.errors}


def test_the_four_layers_parse():
    cs = parse_pack(policy("civil-servant")).civil_servant
    assert (cs.insutype, cs.ratio_e6, cs.deductible_ratio_e6, cs.cap_fen) == ("320", 600_000, 500_000, 2_000_000)
    vet = parse_pack(policy("veterans")).veterans
    assert vet.schemes["350"].amount == "hifdm_pay" and vet.schemes["340"].fund == "340100"
    mat = parse_pack(policy("maternity")).maternity
    assert mat.delivery_lump_sum_fen["1"] == 380_000 and mat.schemes["390"].factor_e6 == 600_000
    assert mat.allowance_days["3"] == 113 and mat.med_types == {"51", "52"}
    chronic = parse_pack(policy("chronic-diseases")).chronic
    diabetes = chronic.diseases["M03900"]
    assert diabetes.benefits["310"].deductible_key == "chronic"
    assert chronic.diseases["M07800"].benefits["310"].deductible_key == "M07800"
    assert chronic.diseases["M07800"].institution_required and diabetes.icd10_prefixes == ("E10", "E11", "E14")


def test_civil_servant_ratio_out_of_range():
    doc = policy("civil-servant")
    doc["civil_servant"]["ratio"] = "1.5"
    assert "civil_servant.ratio" in errors(doc)


def test_veteran_amount_must_be_a_national_field():
    doc = policy("veterans")
    doc["veterans"]["schemes"]["340"]["amount"] = "lxgb_pay"
    assert "veterans.schemes.340.amount" in errors(doc)


def test_maternity_med_type_may_not_also_be_a_basic_benefit():
    doc = policy("maternity")
    doc["benefits"].append({**doc["benefits"][0], "med_type": "52"})
    assert "benefits[1].med_type" in errors(doc)


def test_maternity_allowance_days_are_whole_days():
    doc = policy("maternity")
    doc["maternity"]["allowance_days"]["1"] = "98"
    assert "maternity.allowance_days.1" in errors(doc)


def test_chronic_disease_cap_group_must_exist():
    doc = policy("chronic-diseases")
    doc["chronic"]["diseases"][0]["benefits"]["310"]["cap_group"] = "nowhere"
    assert "chronic.diseases[0].benefits.310.cap_group" in errors(doc)


def test_chronic_capitation_names_a_listed_disease():
    doc = policy("chronic-diseases")
    doc["chronic"]["capitation"] = [{"disease": "M00000", "max_level": 1, "monthly_rate": "120"}]
    assert "chronic.capitation[0].disease" in errors(doc)


def test_chronic_duplicate_disease():
    doc = policy("chronic-diseases")
    doc["chronic"]["diseases"].append(copy.deepcopy(doc["chronic"]["diseases"][0]))
    assert "chronic.diseases[2].code" in errors(doc)
