"""parse_pack: the demo pack compiles to the right engine parameters, and every rejection of the spec
(shared/spec/policy-pack.md) names the key at fault."""
import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from policy_rules.engine import PolicyPackError, parse_pack
from policy_rules.engine.pack import Band

ROOT = Path(__file__).resolve().parents[2]
# the shared demo pack, or the repository's copy of it when ../shared is not checked out beside the repo
DEMO = next(p for p in (ROOT.parent / "shared" / "policies" / "demo-city-2026.json",
                        ROOT / "policy_rules" / "fixtures" / "demo-city-2026.json") if p.exists())


@pytest.fixture
def demo():
    return json.loads(DEMO.read_text(encoding="utf-8"))


def errors_of(doc) -> dict[str, str]:
    with pytest.raises(PolicyPackError) as exc:
        parse_pack(doc)
    assert exc.value.errors, "a rejection must carry its errors"
    for e in exc.value.errors:
        assert e["key"] in str(exc.value)  # the message names the key too
    return {e["key"]: e["message"] for e in exc.value.errors}


def test_demo_pack_compiles(demo):
    p = parse_pack(demo)
    assert (p.code, p.region) == ("DEMO-2026", "410800")
    assert (p.effective_from, p.effective_to) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert p.covers(dt.date(2026, 12, 31)) and not p.covers(dt.date(2027, 1, 1))
    assert p.default_selfpay_prop_e6 == 100_000
    assert p.caps_fen == {"employee_pool": 18_000_000, "employee_outpatient": 300_000,
                          "resident_pool": 18_000_000, "resident_outpatient": 25_000}
    assert len(p.benefits) == 5
    inpatient = p.benefit("310", "21")
    assert inpatient.deductible.per == "admission"
    assert inpatient.deductible.by_level_fen == {"1": 20_000, "2": 60_000, "3": 80_000}
    assert inpatient.deductible.subsequent_factor_e6 == 1_000_000
    assert inpatient.deductible.annual_max_fen is None
    assert inpatient.ratio_by_level["3"] == (Band(None, 800_000),)
    assert (inpatient.band_base, inpatient.retiree_bonus_e6, inpatient.cap_group) == ("deductible", 50_000,
                                                                                       "employee_pool")
    outpatient = p.benefit("310", "11")
    assert outpatient.deductible.per == "year" and outpatient.deductible.by_level_fen == {"*": 100_000}
    assert p.benefit("390", "14") is None
    assert p.large_amount.insutypes == {"310"} and p.large_amount.cap_groups == {"employee_pool"}
    assert (p.large_amount.ratio_e6, p.large_amount.cap_fen) == (900_000, None)
    ci = p.critical_illness
    assert (ci.deductible_fen, ci.cap_fen, ci.bands_from) == (1_500_000, 40_000_000, "deductible")
    assert ci.bands == (Band(5_000_000, 600_000), Band(None, 700_000))
    assert (ci.include_preselfpay, ci.include_deductible) == (False, True)
    ma = p.medical_assistance
    assert ma.med_types == {"21"} and set(ma.categories) == {"tekun", "dibao"}
    assert (ma.categories["dibao"].ratio_e6, ma.categories["dibao"].cap_fen) == (700_000, 3_000_000)
    assert p.personal_account.med_types == {"11", "14", "21"}
    assert p.document is demo


def test_demo_pack_is_not_modified_by_parsing(demo):
    before = copy.deepcopy(demo)
    parse_pack(demo)
    assert demo == before


# --- rejections: (what is wrong, how to break the demo pack, the key that must be named) ---------------

def _set(path, value):
    def mutate(doc):
        *parents, last = path
        node = doc
        for k in parents:
            node = node[k]
        node[last] = value
    return mutate


def _del(path):
    def mutate(doc):
        *parents, last = path
        node = doc
        for k in parents:
            node = node[k]
        del node[last]
    return mutate


BANDS = [{"upto": "20000", "ratio": "0.55"}, {"upto": "50000", "ratio": "0.62"}, {"upto": None, "ratio": "0.70"}]


def _bands(bands):
    return _set(["benefits", 0, "ratio", "by_level", "3"], bands)


REJECTIONS = [
    # malformed
    ("benefits not a list", _set(["benefits"], {"310": {}}), "benefits"),
    ("benefit not an object", _set(["benefits", 1], "310/14"), "benefits[1]"),
    ("ratio not a number", _set(["benefits", 0, "ratio", "by_level", "3"], "eighty"), "benefits[0].ratio.by_level.3"),
    ("date not a date", _set(["effective_from"], "2026-13-01"), "effective_from"),
    ("end before start", _set(["effective_to"], "2025-12-31"), "effective_to"),
    ("region not 6 digits", _set(["region"], "4108"), "region"),
    ("unknown deductible per", _set(["benefits", 0, "deductible", "per"], "visit"), "benefits[0].deductible.per"),
    ("unknown level", _set(["benefits", 0, "ratio", "by_level", "4"], "0.5"), "benefits[0].ratio.by_level.4"),
    ("unknown band_base", _set(["benefits", 0, "ratio", "band_base"], "half"), "benefits[0].ratio.band_base"),
    ("flag not a boolean", _set(["critical_illness", "include_preselfpay"], "no"),
     "critical_illness.include_preselfpay"),
    ("empty insutypes", _set(["large_amount", "insutypes"], []), "large_amount.insutypes"),
    ("both amount and by_level", _set(["benefits", 2, "deductible", "by_level"], {"0": "10"}),
     "benefits[2].deductible.amount"),
    ("annual_max on a per-year deductible", _set(["benefits", 2, "deductible", "annual_max"], "100"),
     "benefits[2].deductible.annual_max"),
    ("deductible missing for a level with a ratio", _set(["benefits", 0, "ratio", "by_level", "0"], "0.9"),
     "benefits[0].deductible.by_level.0"),
    ("duplicate benefit", lambda d: d["benefits"].append(copy.deepcopy(d["benefits"][0])), "benefits[5]"),
    # unknown cap group
    ("unknown cap group of a benefit", _set(["benefits", 3, "cap_group"], "nowhere"), "benefits[3].cap_group"),
    ("unknown cap group of the large-amount layer", _set(["large_amount", "cap_groups"], ["employee_pool", "x"]),
     "large_amount.cap_groups"),
    # ratio outside [0, 1]
    ("ratio above 1", _set(["benefits", 0, "ratio", "by_level", "3"], "1.01"), "benefits[0].ratio.by_level.3"),
    ("ratio below 0", _set(["benefits", 4, "ratio", "by_level", "0"], "-0.1"), "benefits[4].ratio.by_level.0"),
    ("band ratio above 1", _bands([{"upto": "20000", "ratio": "1.5"}, {"upto": None, "ratio": "0.7"}]),
     "benefits[0].ratio.by_level.3[0].ratio"),
    ("retiree bonus above 1", _set(["benefits", 0, "ratio", "retiree_bonus"], "2"), "benefits[0].ratio.retiree_bonus"),
    ("large-amount ratio above 1", _set(["large_amount", "ratio"], "1.10"), "large_amount.ratio"),
    ("critical-illness band ratio below 0", _set(["critical_illness", "bands", 1, "ratio"], "-0.70"),
     "critical_illness.bands[1].ratio"),
    ("assistance ratio above 1", _set(["medical_assistance", "categories", "dibao", "ratio"], "1.2"),
     "medical_assistance.categories.dibao.ratio"),
    ("default self-pay share above 1", _set(["default_selfpay_prop"], "1.5"), "default_selfpay_prop"),
    # bands out of order
    ("bands decreasing", _bands([{"upto": "50000", "ratio": "0.5"}, {"upto": "20000", "ratio": "0.6"},
                                 {"upto": None, "ratio": "0.7"}]), "benefits[0].ratio.by_level.3[1].upto"),
    ("bands with equal upto", _bands([{"upto": "20000", "ratio": "0.5"}, {"upto": "20000", "ratio": "0.6"}]),
     "benefits[0].ratio.by_level.3[1].upto"),
    ("critical-illness bands out of order",
     _set(["critical_illness", "bands"], [{"upto": "50000", "ratio": "0.6"}, {"upto": "40000", "ratio": "0.7"}]),
     "critical_illness.bands[1].upto"),
    # unbounded band not last
    ("unbounded band first", _bands([{"upto": None, "ratio": "0.5"}, {"upto": "20000", "ratio": "0.6"}]),
     "benefits[0].ratio.by_level.3[0].upto"),
    ("unbounded critical-illness band in the middle",
     _set(["critical_illness", "bands"], [{"upto": "1", "ratio": "0.5"}, {"upto": None, "ratio": "0.6"},
                                          {"upto": "9", "ratio": "0.7"}]), "critical_illness.bands[1].upto"),
    # unknown key
    ("unknown top-level key", _set(["capz"], {}), "capz"),
    ("unknown benefit key", _set(["benefits", 0, "copay"], "0.1"), "benefits[0].copay"),
    ("unknown deductible key", _set(["benefits", 0, "deductible", "max"], "1"), "benefits[0].deductible.max"),
    ("unknown ratio key", _set(["benefits", 0, "ratio", "bonus"], "0.1"), "benefits[0].ratio.bonus"),
    ("unknown band key", _bands([{"upto": "1", "ratio": "0.5", "rate": "0.5"}, {"upto": None, "ratio": "0.6"}]),
     "benefits[0].ratio.by_level.3[0].rate"),
    ("unknown large-amount key", _set(["large_amount", "limit"], "1"), "large_amount.limit"),
    ("unknown critical-illness key", _set(["critical_illness", "from"], "zero"), "critical_illness.from"),
    ("unknown assistance key", _set(["medical_assistance", "categories", "tekun", "floor"], "0"),
     "medical_assistance.categories.tekun.floor"),
    ("unknown personal-account key", _set(["personal_account", "levels"], ["1"]), "personal_account.levels"),
    # missing required key
    ("no code", _del(["code"]), "code"),
    ("no name", _del(["name"]), "name"),
    ("no region", _del(["region"]), "region"),
    ("no effective_from", _del(["effective_from"]), "effective_from"),
    ("no benefits", _del(["benefits"]), "benefits"),
    ("benefit without insutype", _del(["benefits", 0, "insutype"]), "benefits[0].insutype"),
    ("benefit without med_type", _del(["benefits", 0, "med_type"]), "benefits[0].med_type"),
    ("benefit without deductible", _del(["benefits", 0, "deductible"]), "benefits[0].deductible"),
    ("benefit without ratio", _del(["benefits", 0, "ratio"]), "benefits[0].ratio"),
    ("deductible without amounts", _del(["benefits", 2, "deductible", "amount"]), "benefits[2].deductible.by_level"),
    ("band without upto", _bands([{"ratio": "0.5"}]), "benefits[0].ratio.by_level.3[0].upto"),
    ("band without ratio", _bands([{"upto": None}]), "benefits[0].ratio.by_level.3[0].ratio"),
    ("large amount without ratio", _del(["large_amount", "ratio"]), "large_amount.ratio"),
    ("critical illness without bands", _del(["critical_illness", "bands"]), "critical_illness.bands"),
    ("assistance category without ratio", _del(["medical_assistance", "categories", "dibao", "ratio"]),
     "medical_assistance.categories.dibao.ratio"),
    # more than 2 decimals on money
    ("cap with 3 decimals", _set(["caps", "employee_pool"], "180000.001"), "caps.employee_pool"),
    ("deductible with 3 decimals", _set(["benefits", 0, "deductible", "by_level", "3"], "800.005"),
     "benefits[0].deductible.by_level.3"),
    ("annual_max with 3 decimals", _set(["benefits", 0, "deductible", "annual_max"], "1500.125"),
     "benefits[0].deductible.annual_max"),
    ("band upto with 3 decimals", _bands([{"upto": "20000.001", "ratio": "0.5"}, {"upto": None, "ratio": "0.6"}]),
     "benefits[0].ratio.by_level.3[0].upto"),
    ("large-amount cap with 3 decimals", _set(["large_amount", "cap"], "400000.999"), "large_amount.cap"),
    ("critical-illness deductible with 3 decimals", _set(["critical_illness", "deductible"], "15000.001"),
     "critical_illness.deductible"),
    ("assistance cap with 3 decimals", _set(["medical_assistance", "categories", "tekun", "cap"], "0.001"),
     "medical_assistance.categories.tekun.cap"),
    ("negative money", _set(["caps", "resident_outpatient"], "-250"), "caps.resident_outpatient"),
]


@pytest.mark.parametrize("mutate,key", [(m, k) for _, m, k in REJECTIONS], ids=[r[0] for r in REJECTIONS])
def test_rejection_names_the_key(demo, mutate, key):
    mutate(demo)
    errors = errors_of(demo)
    assert key in errors, f"expected an error at {key!r}, got {errors}"


@pytest.mark.parametrize("doc", [[], "DEMO-2026", None, 42])
def test_a_pack_that_is_not_an_object_is_rejected(doc):
    with pytest.raises(PolicyPackError) as exc:
        parse_pack(doc)
    assert exc.value.errors[0]["key"] == ""


def test_every_fault_is_named_at_once(demo):
    demo["caps"]["employee_pool"] = "1.001"
    demo["benefits"][3]["cap_group"] = "nowhere"
    demo["benefits"][0]["ratio"]["by_level"]["3"] = "1.2"
    demo["surprise"] = True
    assert {"caps.employee_pool", "benefits[3].cap_group", "benefits[0].ratio.by_level.3", "surprise"} <= set(
        errors_of(demo))


def test_money_with_two_decimals_and_ratios_with_six_are_fine(demo):
    demo["caps"]["employee_pool"] = "180000.25"
    demo["benefits"][0]["ratio"]["by_level"]["3"] = "0.123456"
    p = parse_pack(demo)
    assert p.caps_fen["employee_pool"] == 18_000_025
    assert p.benefit("310", "21").ratio_by_level["3"] == (Band(None, 123_456),)


def test_ratio_with_seven_decimals_is_rejected(demo):
    demo["benefits"][0]["ratio"]["by_level"]["3"] = "0.1234567"
    assert "benefits[0].ratio.by_level.3" in errors_of(demo)


def test_bands_compile(demo):
    demo["benefits"][3]["ratio"]["by_level"]["3"] = BANDS
    demo["benefits"][3]["ratio"]["band_base"] = "zero"
    demo["critical_illness"].update(bands_from="zero", include_deductible=False, include_preselfpay=True)
    p = parse_pack(demo)
    b = p.benefit("390", "21")
    assert b.ratio_by_level["3"] == (Band(2_000_000, 550_000), Band(5_000_000, 620_000), Band(None, 700_000))
    assert b.band_base == "zero"
    ci = p.critical_illness
    assert (ci.bands_from, ci.include_deductible, ci.include_preselfpay) == ("zero", False, True)


def test_per_admission_deductible_options(demo):
    demo["benefits"][3]["deductible"].update(subsequent_factor="0.5", annual_max="1500")
    d = parse_pack(demo).benefit("390", "21").deductible
    assert (d.subsequent_factor_e6, d.annual_max_fen) == (500_000, 150_000)


def test_optional_layers_may_be_left_out(demo):
    for k in ("large_amount", "critical_illness", "medical_assistance", "personal_account"):
        del demo[k]
    p = parse_pack(demo)
    assert (p.large_amount, p.critical_illness, p.medical_assistance, p.personal_account) == (None,) * 4


def test_a_cap_group_without_a_cap(demo):
    demo["caps"]["resident_outpatient"] = None
    assert parse_pack(demo).caps_fen["resident_outpatient"] is None
