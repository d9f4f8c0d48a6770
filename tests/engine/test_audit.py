"""Smart audit (智能审核, issue #5): every rule type's hits with their exact amounts and evidence, the near
misses at each limit, parameter validation, and batch ≡ one visit at a time.

Numbers are worked by hand; money compares as 2-decimal strings (see audit_builders).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from policy_rules.engine.audit import (
    OUTPUT_COLUMNS,
    RULE_TYPES,
    AuditInputError,
    AuditRule,
    AuditRuleError,
    default_rules,
    run_audit,
    validate_rule_params,
)
from policy_rules.engine.lines import classify_lines

from .audit_builders import audit, catalog, frames, history, hits_of, line, visit

DAY2 = "2026-03-02 09:00"


def only(hits):
    assert len(hits) == 1, hits
    return hits[0]


# --- restriction -------------------------------------------------------------------------------------------

def _engine_split(lines, vis):
    """The engine's own classify_lines over the same lines (the `line_split` the daily job passes on)."""
    pos = pd.Index(vis["mdtrt_id"]).get_indexer(lines["mdtrt_id"])
    ctx = pd.DataFrame({"gender": vis["gender"].to_numpy(object)[pos], "age": vis["age"].to_numpy()[pos],
                        "level": vis["inst_level"].to_numpy()[pos], "med_type": vis["med_type"].to_numpy(object)[pos],
                        "default_prop_e6": 100_000, "day": vis["begntime"].to_numpy("datetime64[D]")[pos]})
    return classify_lines(lines, ctx, catalog())


RESTRICTED_VISIT = visit(med_type="11", level=1, gender="1", age=15, lines=[
    line("F", "2", "30.00"),          # women only, patient is a man
    line("K14", "1", "12.50"),        # up to 14, patient is 15
    line("LV2", "1", "100.00"),       # level 2+, institution is level 1
    line("IN", "1", "8.00"),          # inpatient only, visit is outpatient
    line("K18", "1", "5.00"),         # 18-65, patient is 15
    line("CF", "1", "9.00"),          # class C: the engine says CLASS_C, not a restriction hit
    line("001", "1", "25.00"),
])


@pytest.mark.parametrize("with_split", [False, True])
def test_restriction_hits_name_the_broken_restriction(with_split):
    kw = {}
    if with_split:
        lines, vis = frames([RESTRICTED_VISIT])
        kw["line_split"] = _engine_split(lines, vis)
        assert list(kw["line_split"]["reason"][:6]) == ["RESTRICTED"] * 5 + ["CLASS_C"]
    hits = audit("restriction", {}, [RESTRICTED_VISIT], **kw)
    assert [(h["sns"], h["amount"], h["evidence"]) for h in hits] == [
        (("1",), "60.00", "黄体酮注射液 F 超出限定支付范围：限女性，患者为男性"),
        (("2",), "12.50", "小儿止咳糖浆 K14 超出限定支付范围：限 14 岁及以下，患者入院时 15 岁"),
        (("3",), "100.00", "限二级医院项目 LV2 超出限定支付范围：限 2 级及以上医疗机构，本机构为 1 级"),
        (("4",), "8.00", "限住院项目 IN 超出限定支付范围：限医疗类别 21/22，本次为 11 普通门诊"),
        (("5",), "5.00", "成人专用药 K18 超出限定支付范围：限 18–65 岁，患者入院时 15 岁"),
    ]
    assert {h["related"] for h in hits} == {None}


def test_restriction_near_misses_at_the_limits():
    v = visit(med_type="22", level=2, gender="2", age=14, lines=[
        line("F"), line("K14"), line("LV2"), line("IN"), line("CF"), line("K18")])
    # woman, exactly 14, exactly level 2, med type 22 allowed; class C is not a restriction; K18 is broken (14 < 18)
    assert [h["sns"] for h in audit("restriction", {}, [v])] == [("6",)]
    assert audit("restriction", {}, [visit(age=18, lines=[line("K18")])]) == []
    assert audit("restriction", {}, [visit(age=65, lines=[line("K18")])]) == []
    assert len(audit("restriction", {}, [visit(age=66, lines=[line("K18")])])) == 1


def test_restriction_several_breaks_in_one_line_and_kinds_filter():
    items = [{"code": "X", "name": "限女童", "chrg_lv": "01", "restrict": {"gender": "2", "max_age": 14}}]
    v = visit(gender="1", age=30, lines=[line("X", "1", "10.00")])
    assert only(audit("restriction", {}, [v], items=items))["evidence"] == (
        "限女童 X 超出限定支付范围：限女性，患者为男性；限 14 岁及以下，患者入院时 30 岁")
    assert len(audit("restriction", {"kinds": ["gender"]}, [v], items=items)) == 1
    assert audit("restriction", {"kinds": ["level", "med_type"]}, [v], items=items) == []
    assert audit("restriction", {"kinds": ["age"]}, [visit(gender="2", age=10, lines=[line("X")])], items=items) == []


# --- frequency ---------------------------------------------------------------------------------------------

def test_frequency_per_day_hit():
    v = visit(lines=[line("001", time="2026-03-01 10:00"),
                     line("001", time="2026-03-02 08:00"), line("001", time="2026-03-02 12:00"),
                     line("001", time="2026-03-02 23:59"), line("IV", time="2026-03-02 09:00")])
    h = only(audit("frequency", {"codes": ["001"], "max": 1, "per": "day"}, [v]))
    assert h["sns"] == ("2", "3", "4")
    assert h["amount"] == "50.00"  # 2 too many × 25.00
    assert h["evidence"] == "住院诊查费 001 在 2026-03-02 收费 3 次，超过每日 1 次"


def test_frequency_near_miss_once_every_day():
    v = visit(lines=[line("001", time=f"2026-03-0{d} 10:00") for d in range(1, 6)])
    assert audit("frequency", {"codes": ["001"], "max": 1}, [v]) == []
    # the same quantity in one line: exactly at the limit is no hit, above it is
    assert audit("frequency", {"codes": ["001"], "max": 2}, [visit(lines=[line("001", "2", time=DAY2)])]) == []
    assert len(audit("frequency", {"codes": ["001"], "max": "1.5"}, [visit(lines=[line("001", "2", time=DAY2)])])) == 1


def test_frequency_falls_back_to_the_admission_day_and_counts_items_separately():
    v = visit(begn="2026-03-01 08:00", lines=[line("001"), line("001", time="2026-03-01 18:00"), line("002")])
    h = only(audit("frequency", {"codes": ["001", "002"], "max": 1}, [v]))
    assert h["sns"] == ("1", "2")
    assert h["evidence"] == "住院诊查费 001 在 2026-03-01 收费 2 次，超过每日 1 次"


def test_frequency_per_visit_with_mixed_prices_and_fractions():
    # 2.5 + 1 = 3.5 units, max 2 → 1.5 too many at the average price (2.5×10.00 + 1×12.00) / 3.5 = 10.5714...
    v = visit(med_type="11", lines=[line("002", "2.5", "10.00", time=DAY2), line("002", "1", "12.00", time=DAY2),
                                    line("002", "1", "12.00", time=None, amount="12.00")])
    h = only(audit("frequency", {"codes": ["002"], "max": 2, "per": "visit", "unit": "次"}, [v]))
    # 4.5 units, 2.5 too many; average (25.00 + 12.00 + 12.00) / 4.5 = 10.888..., × 2.5 = 27.2222 → 27.22
    assert h["amount"] == "27.22"
    assert h["evidence"] == "普通门诊诊查费 002 本次就诊收费 4.5 次，超过每次就诊 2 次"
    assert h["sns"] == ("1", "2", "3")


# --- duplicate charge --------------------------------------------------------------------------------------

def test_duplicate_charge_all_but_one():
    t = "2026-03-02 10:30:15"
    v = visit(lines=[line("IV", "1", "12.00", time=t), line("IV", "1", "12.00", time=t), line("IV", "1", "12.00", time=t),
                     line("001", time=t)])
    h = only(audit("duplicate_charge", {}, [v]))
    assert (h["sns"], h["amount"]) == (("1", "2", "3"), "24.00")
    assert h["evidence"] == "静脉输液 IV 在 2026-03-02 10:30:15 收费 3 笔，每笔 12.00 元，重复 2 笔"


def test_duplicate_charge_near_misses():
    t, t1 = "2026-03-02 10:30:15", "2026-03-02 10:30:16"
    assert audit("duplicate_charge", {}, [visit(lines=[line("IV", "1", "12.00", time=t),
                                                       line("IV", "1", "12.00", time=t1)])]) == []
    assert audit("duplicate_charge", {}, [visit(lines=[line("IV", "1", "12.00", time=t),
                                                       line("IV", "2", "12.00", time=t)])]) == []
    assert audit("duplicate_charge", {}, [visit(lines=[line("IV", "1", "12.00"), line("IV", "1", "12.00")])]) == []
    two = [visit(lines=[line("IV", "1", "12.00", time=t)]), visit(lines=[line("IV", "1", "12.00", time=t)])]
    assert audit("duplicate_charge", {}, two) == []  # different visits
    dup = visit(lines=[line("IV", "1", "12.00", time=t), line("IV", "1", "12.00", time=t)])
    assert audit("duplicate_charge", {"exclude_codes": ["IV"]}, [dup]) == []


# --- mutually exclusive (项目内涵) ----------------------------------------------------------------------------

ME = {"pairs": [{"main": "OP", "included": ["DRESS", "IV"]}]}


def test_mutually_exclusive_same_day():
    v = visit(lines=[line("OP", "1", "900.00", time="2026-03-02 09:00"), line("DRESS", "1", "30.00", time="2026-03-02 15:00"),
                     line("IV", "2", "12.00", time="2026-03-02 16:00"), line("DRESS", "1", "30.00", time="2026-03-03 09:00")])
    h = only(audit("mutually_exclusive", ME, [v]))
    assert (h["sns"], h["amount"]) == (("1", "2", "3"), "54.00")
    assert h["evidence"] == "2026-03-02 已收取 阑尾切除术 OP，同日又收取其包含的 换药 DRESS、静脉输液 IV，金额 54.00 元"


def test_mutually_exclusive_near_misses():
    next_day = visit(lines=[line("OP", time="2026-03-02 23:59"), line("DRESS", time="2026-03-03 00:00")])
    assert audit("mutually_exclusive", ME, [next_day]) == []
    no_main = visit(lines=[line("DRESS", time=DAY2), line("IV", time=DAY2)])
    assert audit("mutually_exclusive", ME, [no_main]) == []
    other_visit = [visit(lines=[line("OP", time=DAY2)]), visit(lines=[line("DRESS", time=DAY2)])]
    assert audit("mutually_exclusive", ME, other_visit) == []


# --- bed days --------------------------------------------------------------------------------------------------

def test_bed_days_above_the_length_of_stay():
    # 03-01 → 03-05: 4 days; 5 bed-days of 40.00 and 1 ICU day
    v = visit(lines=[line("BED", "4", "40.00", time="2026-03-04 20:00"), line("BED", "1", "40.00", time="2026-03-05 09:00"),
                     line("001", "1", "25.00")])
    h = only(audit("bed_days", {"codes": ["BED", "ICU"]}, [v]))
    assert (h["sns"], h["amount"]) == (("1", "2"), "40.00")
    assert h["evidence"] == ("床位费 BED 共收取 5 床日，住院 4 天（2026-03-01 入院，2026-03-05 出院），超出 1 床日")
    v2 = visit(lines=[line("BED", "4", "40.00"), line("ICU", "1", "300.00")])
    h2 = only(audit("bed_days", {"codes": ["BED", "ICU"]}, [v2]))
    # 1 too many at the average price (160.00 + 300.00) / 5 = 92.00
    assert h2["amount"] == "92.00"
    assert h2["evidence"] == "床位费 BED 等 共收取 5 床日，住院 4 天（2026-03-01 入院，2026-03-05 出院），超出 1 床日"


def test_bed_days_near_misses_and_open_stays():
    assert audit("bed_days", {"codes": ["BED"]}, [visit(lines=[line("BED", "4", "40.00")])]) == []
    same_day = visit(begn="2026-03-01 08:00", end="2026-03-01 17:00", lines=[line("BED", "1", "40.00")])
    assert audit("bed_days", {"codes": ["BED"]}, [same_day]) == []  # at least one day
    assert len(audit("bed_days", {"codes": ["BED"]}, [same_day | {"lines": [line("BED", "2", "40.00")]}])) == 1
    # not discharged: the latest fee day of any line is 03-04, so 4 days counting that day (3 with the literal rule)
    open_stay = visit(end=None, lines=[line("BED", "4", "40.00", time="2026-03-03 20:00"), line("IV", time="2026-03-04 09:00")])
    assert audit("bed_days", {"codes": ["BED"]}, [open_stay]) == []
    h = only(audit("bed_days", {"codes": ["BED"], "open_stay_counts_last_day": False}, [open_stay]))
    assert h["amount"] == "40.00"
    assert h["evidence"] == ("床位费 BED 共收取 4 床日，住院 3 天（2026-03-01 入院，最后收费日 2026-03-04，未出院），"
                             "超出 1 床日")
    assert audit("bed_days", {"codes": ["BED"], "med_types": ["22"]}, [visit(lines=[line("BED", "9")])]) == []


# --- prescription days -------------------------------------------------------------------------------------

RX = {"daily_dose": {"AMOX": 3, "MET": "1.5"}, "long_prescription_codes": ["MET"]}


def test_prescription_days_hit():
    v = visit(med_type="11", lines=[line("AMOX", "8", "0.50"), line("AMOX", "4", "0.50")])
    h = only(audit("prescription_days", RX, [v]))
    # 12 units at 3 a day = 4 days > 3: 3 units too many × 0.50
    assert (h["sns"], h["amount"]) == (("1", "2"), "1.50")
    assert h["evidence"] == "阿莫西林胶囊 AMOX 开药 12，按每日 3 计可用 4 天，超过普通门诊处方 3 天用量（9），超量 3"


def test_prescription_days_limits_by_kind():
    assert audit("prescription_days", RX, [visit(med_type="11", lines=[line("AMOX", "9", "0.50")])]) == []
    chronic = visit(med_type="14", lines=[line("AMOX", "21", "0.50")])
    assert audit("prescription_days", RX, [chronic]) == []  # 7 days at 3 a day
    h = only(audit("prescription_days", RX, [chronic | {"lines": [line("AMOX", "22", "0.50")]}]))
    assert h["evidence"].endswith("可用 7.3 天，超过慢特病处方 7 天用量（21），超量 1")
    long_rx = visit(med_type="11", lines=[line("MET", "45", "1.00")])  # 30 days at 1.5
    assert audit("prescription_days", RX, [long_rx]) == []
    h = only(audit("prescription_days", RX, [visit(med_type="11", lines=[line("MET", "46", "1.00")])]))
    assert h["amount"] == "1.00" and h["evidence"].endswith("，超过长处方 30 天用量（45），超量 1")
    assert audit("prescription_days", RX, [visit(med_type="21", lines=[line("AMOX", "90")])]) == []


# --- course limit ------------------------------------------------------------------------------------------

def test_course_limit_days_beyond_the_first_n():
    v = visit(end="2026-03-10 10:00", lines=[line("DS", "1", "10.00", time=f"2026-03-0{d} 09:00") for d in (1, 2, 2, 3, 4, 5)]
              + [line("DS", "2", "10.00", time="2026-03-04 18:00")])
    h = only(audit("course_limit", {"codes": ["DS"], "max_days": 3}, [v]))
    assert (h["sns"], h["amount"]) == (("5", "6", "7"), "40.00")
    assert h["evidence"] == ("复方丹参滴丸 DS 在 5 个不同日期收费（2026-03-01 至 2026-03-05），超过限定支付疗程 3 天；"
                             "2026-03-04 起 2 天的费用 40.00 元")


def test_course_limit_near_miss_exactly_n_days():
    v = visit(lines=[line("DS", time=f"2026-03-0{d} 09:00") for d in (1, 1, 2, 3)])
    assert audit("course_limit", {"codes": ["DS"], "max_days": 3}, [v]) == []
    two_visits = [visit(lines=[line("DS", time=f"2026-03-0{d} 09:00") for d in (1, 2)]),
                  visit(lines=[line("DS", time=f"2026-03-0{d} 09:00") for d in (3, 4)])]
    assert audit("course_limit", {"codes": ["DS"], "max_days": 3}, two_visits) == []


# --- indication -------------------------------------------------------------------------------------------

IND = {"items": {"MET": ["E11", "R73.0"]}}


def test_indication_hit():
    v = visit(dx=("I10", "J18.900"), lines=[line("MET", "30", "1.00"), line("001")])
    h = only(audit("indication", IND, [v]))
    assert (h["sns"], h["amount"]) == (("1",), "30.00")
    assert h["evidence"] == "二甲双胍片 MET 限适应症 E11/R73.0，本次诊断 I10/J18.900，均不符合"
    h = only(audit("indication", IND, [v | {"diagnoses": ()}]))
    assert h["evidence"] == "二甲双胍片 MET 限适应症 E11/R73.0，本次无诊断，均不符合"


def test_indication_prefix_matches():
    for dx in (("I10", "E11.900"), ("e11",), ("R73.001",), "I10,R730"):
        assert audit("indication", IND, [visit(dx=dx, lines=[line("MET")])]) == [], dx
    assert len(audit("indication", IND, [visit(dx=("E1",), lines=[line("MET")])])) == 1  # shorter than the prefix
    assert len(audit("indication", IND, [visit(dx=("R74",), lines=[line("MET")])])) == 1


# --- readmission and overlapping stays ----------------------------------------------------------------------

def test_readmission_within_days_of_a_discharge():
    old = history([visit("OLD1", begn="2026-02-20 08:00", end="2026-03-01 10:00")])
    v = visit("V9", begn="2026-03-16 09:00", end="2026-03-20 09:00", lines=[line("001", "4", "25.00"), line("BED", "4", "40.00")])
    h = only(audit("readmission", {"days": 15}, [v], history=old))
    assert (h["sns"], h["amount"], h["related"]) == ((), "260.00", "OLD1")
    assert h["evidence"] == "2026-03-01 从 H1 出院（就诊 OLD1）后第 15 天于 2026-03-16 再次入院同一机构，间隔不超过 15 天"


def test_readmission_near_misses():
    old = history([visit("OLD1", begn="2026-02-20 08:00", end="2026-03-01 10:00")])
    assert audit("readmission", {"days": 15}, [visit(begn="2026-03-17 08:00", lines=[line("001")])], history=old) == []
    assert audit("readmission", {"days": 15}, [visit(inst="H2", begn="2026-03-05 08:00")], history=old) == []
    assert audit("readmission", {"days": 15}, [visit(psn_no="P2", begn="2026-03-05 08:00")], history=old) == []
    assert audit("readmission", {"days": 15}, [visit(med_type="11", begn="2026-03-05 08:00")], history=old) == []


def test_readmission_inside_the_batch():
    batch = [visit("A", begn="2026-03-01 08:00", end="2026-03-05 10:00", lines=[line("001")]),
             visit("B", begn="2026-03-05 14:00", end="2026-03-09 10:00", lines=[line("001", "2")])]
    h = only(audit("readmission", {"days": 0}, batch))
    assert (h["mdtrt_id"], h["related"], h["amount"]) == ("B", "A", "50.00")


def test_overlapping_stays_in_two_institutions():
    old = history([visit("OLD1", inst="H2", begn="2026-03-03 08:00", end="2026-03-10 10:00")])
    v = visit("V1", inst="H1", begn="2026-03-01 08:00", end="2026-03-05 10:00", lines=[line("001", "4")])
    h = only(audit("overlapping_stays", {}, [v], history=old))
    assert (h["amount"], h["related"], h["sns"]) == ("100.00", "OLD1", ())
    assert h["evidence"] == ("在 H1 住院（2026-03-01 至 2026-03-05）期间，同时在 H2 住院（就诊 OLD1，"
                             "2026-03-03 至 2026-03-10）")
    still_in = history([visit("OLD2", inst="H3", begn="2026-02-01 08:00", end=None)])
    h = only(audit("overlapping_stays", {}, [v], history=still_in))
    assert h["evidence"].endswith("（就诊 OLD2，2026-02-01 至 未出院）")


def test_overlapping_stays_near_misses():
    v = visit(inst="H1", begn="2026-03-05 10:00", end="2026-03-09 10:00", lines=[line("001")])
    transfer = history([visit("OLD1", inst="H2", begn="2026-03-01 08:00", end="2026-03-05 10:00")])
    assert audit("overlapping_stays", {}, [v], history=transfer) == []  # discharged as the other stay began
    same_inst = history([visit("OLD1", inst="H1", begn="2026-03-01 08:00", end="2026-03-06 10:00")])
    assert audit("overlapping_stays", {}, [v], history=same_inst) == []
    other_person = history([visit("OLD1", psn_no="P2", inst="H2", begn="2026-03-01 08:00", end="2026-03-06 10:00")])
    assert audit("overlapping_stays", {}, [v], history=other_person) == []


def test_overlapping_stays_inside_the_batch_flags_both():
    batch = [visit("A", inst="H1", lines=[line("001")]), visit("B", inst="H2", begn="2026-03-04 08:00", lines=[])]
    hits = audit("overlapping_stays", {}, batch)
    assert [(h["mdtrt_id"], h["related"], h["amount"]) for h in hits] == [("A", "B", "25.00"), ("B", "A", "0.00")]


# --- fees outside the visit ----------------------------------------------------------------------------------

def test_fee_outside_visit():
    v = visit(begn="2026-03-01 08:00", end="2026-03-05 10:00", lines=[
        line("IV", "1", "12.00", time="2026-02-28 23:59"),   # before the admission day
        line("IV", "1", "12.00", time="2026-03-01 00:00"),   # the admission day, before the hour: fine
        line("IV", "1", "12.00", time="2026-03-05 10:00"),   # exactly at discharge: fine
        line("IV", "1", "13.00", time="2026-03-05 10:00:01"),
        line("IV", "1", "12.00"),                            # no fee time
    ])
    hits = audit("fee_outside_visit", {}, [v])
    assert [(h["sns"], h["amount"], h["evidence"]) for h in hits] == [
        (("1",), "12.00", "静脉输液 IV 收费时间 2026-02-28 23:59:00，早于入院日期 2026-03-01"),
        (("4",), "13.00", "静脉输液 IV 收费时间 2026-03-05 10:00:01，晚于出院时间 2026-03-05 10:00:00"),
    ]
    assert [h["sns"] for h in audit("fee_outside_visit", {"grace_hours": 2}, [v])] == [("1",)]
    late = visit(end="2026-03-05 10:00", lines=[line("IV", time="2026-03-05 12:00:01")])
    assert len(audit("fee_outside_visit", {"grace_hours": 2}, [late])) == 1
    assert audit("fee_outside_visit", {}, [visit(end=None, lines=[line("IV", time="2026-04-30 10:00")])]) == []


# --- price markup ---------------------------------------------------------------------------------------------

def test_price_markup():
    v = visit(lines=[line("STENT", "2", "11.01"), line("STENT", "2", "11.00"), line("BED", "1", "40.00"),
                     line("LIM0", "1", "0.01"), line("001", "1", "99.00")])
    hits = audit("price_markup", {"ratio": "0.10"}, [v])
    assert [(h["sns"], h["amount"], h["evidence"]) for h in hits] == [
        (("1",), "2.02", "冠脉支架 STENT 单价 11.01 元，超过限价 10.00 元（上浮 10.1%），允许上浮 10%；数量 2，超限价金额 2.02 元"),
        (("4",), "0.01", "限价0元 LIM0 单价 0.01 元，超过限价 0.00 元，允许上浮 10%；数量 1，超限价金额 0.01 元"),
    ]
    exact = audit("price_markup", {}, [v])
    assert [(h["sns"], h["amount"]) for h in exact] == [(("1",), "2.02"), (("2",), "2.00"), (("4",), "0.01")]
    assert exact[1]["evidence"] == "冠脉支架 STENT 单价 11.00 元，超过限价 10.00 元（上浮 10%）；数量 2，超限价金额 2.00 元"


# --- outlier ---------------------------------------------------------------------------------------------------

STATS = pd.DataFrame({"fixmedins_code": ["H1", "H1"], "med_type": ["21", "11"], "avg_amount_fen": [100_000, 5_000],
                      "visits": [40, 10]})


def test_outlier():
    v = visit(lines=[line("OP", "1", "3000.01")])
    h = only(audit("outlier", {"factor": 3, "min_visits": 30}, [v], inst_stats=STATS))
    assert (h["amount"], h["sns"]) == ("0.01", ())
    assert h["evidence"] == "本次医疗费用 3,000.01 元，超过本机构普通住院次均费用 1,000.00 元（40 人次）的 3 倍 3,000.00 元"


def test_outlier_near_misses():
    at_limit = visit(lines=[line("OP", "1", "3000.00")])
    assert audit("outlier", {"factor": 3}, [at_limit], inst_stats=STATS) == []
    few = visit(med_type="11", lines=[line("OP", "1", "500.00")])  # 10 visits < 30
    assert audit("outlier", {"factor": 3}, [few], inst_stats=STATS) == []
    assert len(audit("outlier", {"factor": 3, "min_visits": 10}, [few], inst_stats=STATS)) == 1
    assert audit("outlier", {"factor": 3, "med_types": ["11"]}, [visit(lines=[line("OP", "1", "9000.00")])],
                 inst_stats=STATS) == []
    assert audit("outlier", {"factor": 3}, [visit(inst="H9", lines=[line("OP", "1", "9000.00")])],
                 inst_stats=STATS) == []
    assert audit("outlier", {"factor": 3}, [at_limit]) == []  # no statistics


# --- validation ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule_type, params, errors", [
    ("nonsense", {}, ["rule_type: "]),
    ("frequency", {}, ["codes: 必填", "max: 必填"]),
    ("frequency", {"codes": [], "max": -1, "per": "week", "extra": 1},
     ["extra: 未知参数", "codes: 不能为空", "max: 必须不小于 0", "per: 必须是 day / visit 之一"]),
    ("frequency", {"codes": ["A", ""], "max": True}, ["codes: 每一项都必须是非空字符串", "max: 必须是数值"]),
    ("frequency", {"codes": "A", "max": "1.00001"}, ["codes: 必须是字符串列表", "max: 最多 4 位小数"]),
    ("course_limit", {"codes": ["A"], "max_days": 0}, ["max_days: 必须不小于 1"]),
    ("course_limit", {"codes": ["A"], "max_days": 1.5}, ["max_days: 必须是整数"]),
    ("mutually_exclusive", {"pairs": [{"main": "A", "included": ["A"]}, {"included": "B", "x": 1}, 3]},
     ["pairs[0].included: 不能包含主项目 A", "pairs[1].x: 未知参数", "pairs[1].main: 必填",
      "pairs[1].included: 必须是字符串列表", "pairs[2]: 必须是对象"]),
    ("mutually_exclusive", {"pairs": []}, ["pairs: 必须是非空列表"]),
    ("prescription_days", {"daily_dose": {"A": 0, "B": "x"}, "acute_days": "3", "med_types": "11"},
     ["daily_dose.A: 每日用量必须是大于 0 的数值", "daily_dose.B: 每日用量必须是大于 0 的数值", "acute_days: 必须是整数",
      "med_types: 必须是字符串列表"]),
    ("indication", {"items": {"A": []}}, ["items.A: 不能为空"]),
    ("indication", {"items": []}, ["items: 必须是非空对象"]),
    ("readmission", {"days": -1}, ["days: 必须不小于 0"]),
    ("bed_days", {"codes": ["B"], "open_stay_counts_last_day": "yes"}, ["open_stay_counts_last_day: 必须是 true 或 false"]),
    ("restriction", {"kinds": ["gender", "weight"]}, ["kinds: 未知的限定种类 ['weight']"]),
    ("price_markup", {"ratio": "-0.1"}, ["ratio: 必须不小于 0"]),
    ("outlier", {"factor": "0.5"}, ["outlier"[:0] + "factor: 必须不小于 1"]),
    ("fee_outside_visit", {"grace_hours": None}, []),
    ("overlapping_stays", "x", ["params: 必须是对象"]),
])
def test_validate_rule_params(rule_type, params, errors):
    got = validate_rule_params(rule_type, params)
    assert len(got) == len(errors), got
    for g, e in zip(got, errors, strict=True):
        assert g.startswith(e), (g, e)


def test_rule_types_and_the_starter_library():
    assert set(RULE_TYPES) == {
        "restriction", "frequency", "duplicate_charge", "mutually_exclusive", "bed_days", "prescription_days",
        "course_limit", "indication", "readmission", "overlapping_stays", "fee_outside_visit", "price_markup", "outlier",
        "coding_cc", "coding_dxpx", "coding_low_admission", "coding_split"}
    for label, doc in RULE_TYPES.values():
        assert label and all(isinstance(v, str) for v in doc.values())
    rules = default_rules()
    assert {r.rule_type for r in rules} == set(RULE_TYPES)
    assert len({r.code for r in rules}) == len(rules)
    assert all(r.name and r.severity in ("warn", "suspect") and validate_rule_params(r.rule_type, r.params) == []
               for r in rules)
    # with a catalog, items are found by name; rules whose items are missing are left out
    named = default_rules([{"med_list_codg": "Z1", "name": "住院诊查费"}, {"med_list_codg": "Z2", "name": "住院诊查费"}])
    freq = next(r for r in named if r.code == "FREQ-001")
    assert freq.params["codes"] == ["Z1", "Z2"]
    assert "BED-001" not in {r.code for r in named}


def test_run_audit_rejects_invalid_rules():
    lines, vis = frames([visit(lines=[line("001")])])
    with pytest.raises(AuditRuleError) as exc:
        run_audit(lines, vis, catalog(), [AuditRule("F-1", "frequency", {"codes": ["001"]}, "fatal")])
    assert exc.value.errors == ["F-1: severity: 必须是 warn / suspect 之一", "F-1: max: 必填 —— 每日或每次就诊允许的数量上限"]
    with pytest.raises(AuditInputError):
        run_audit(lines.assign(mdtrt_id="NOPE"), vis, catalog(), default_rules())


# --- the whole library, batch vs one visit at a time ------------------------------------------------------------

def _demo_batch():
    return [
        visit("V1", lines=[line("001", time=DAY2), line("001", time=DAY2), line("BED", "5", "40.00"), line("F")]),
        visit("V2", psn_no="P2", med_type="11", begn="2026-03-02 08:00", end="2026-03-02 09:00", dx=("E11.9",),
              lines=[line("002"), line("002"), line("MET", "60", "1.00"), line("AMOX", "30", "0.50")]),
        visit("V3", begn="2026-03-10 08:00", end=None, lines=[line("OP", "1", "900.00", time="2026-03-11 10:00"),
                                                               line("DRESS", "1", "30.00", time="2026-03-11 11:00"),
                                                               line("STENT", "1", "20.00", time="2026-03-09 11:00")]),
        visit("V4", psn_no="P3", inst="H2", begn="2026-03-03 08:00", end="2026-03-06 08:00", lines=[]),
        visit("V5", psn_no="P3", inst="H3", begn="2026-03-05 08:00", end="2026-03-07 08:00",
              lines=[line("DS", time=f"2026-03-0{d} 09:00") for d in (5, 6, 7)] * 6),
    ]


def _rules():
    rules = [r for r in default_rules() if r.rule_type not in ("frequency", "mutually_exclusive", "bed_days",
                                                                 "prescription_days", "course_limit", "indication")]
    return rules + [
        AuditRule("F1", "frequency", {"codes": ["001", "002"], "max": 1}, "warn"),
        AuditRule("F2", "frequency", {"codes": ["002"], "max": 1, "per": "visit"}, "warn"),
        AuditRule("M1", "mutually_exclusive", ME, "suspect"),
        AuditRule("B1", "bed_days", {"codes": ["BED"]}, "warn"),
        AuditRule("R1", "prescription_days", RX, "warn"),
        AuditRule("C1", "course_limit", {"codes": ["DS"], "max_days": 2}, "warn"),
        AuditRule("I1", "indication", {"items": {"MET": ["E10"], "F": ["O"]}}, "warn"),
    ]


def test_batch_equals_one_visit_at_a_time():
    batch = _demo_batch()
    stats = pd.DataFrame({"fixmedins_code": ["H1", "H3"], "med_type": ["21", "21"], "avg_amount_fen": [10_000, 5_000],
                          "visits": [100, 100]})
    lines, vis = frames(batch)
    whole = run_audit(lines, vis, catalog(), _rules(), inst_stats=stats, line_split=_engine_split(lines, vis))
    assert set(whole["rule_code"]) >= {"RST-001", "F1", "F2", "M1", "B1", "R1", "C1", "I1", "DUP-001", "OVL-001",
                                       "OUT-001", "PRC-001", "OUTL-001", "READM-001"}
    one_by_one = []
    for i, v in enumerate(batch):
        lines1, vis1 = frames([v])
        others = vis.drop(index=i).reset_index(drop=True)
        got = run_audit(lines1, vis1, catalog(), _rules(), history=others, inst_stats=stats)
        one_by_one.append(got)
    single = pd.concat(one_by_one, ignore_index=True)

    def key(df):
        return sorted(tuple(str(x) for x in r) for r in df.itertuples(index=False))

    assert key(whole) == key(single)
    assert whole["amount_fen"].dtype == np.int64 and (whole["amount_fen"] >= 0).all()
    assert list(whole.columns) == OUTPUT_COLUMNS


def test_empty_batch_and_no_hits():
    lines, vis = frames([])
    out = run_audit(lines, vis, catalog(), default_rules(), history=history([visit()]), inst_stats=STATS)
    assert list(out.columns) == OUTPUT_COLUMNS and len(out) == 0
    lines, vis = frames([visit(lines=[line("001")])])
    assert hits_of(run_audit(lines, vis, catalog(), default_rules())) == []
    # an audit without fee times and without the endtime column still runs
    out = run_audit(lines.drop(columns="fee_ocur_time"), vis.drop(columns="endtime"), catalog(), default_rules())
    assert len(out) == 0


# --- input variants ----------------------------------------------------------------------------------------------

def test_effective_dated_catalog_uses_the_version_in_force_on_the_fee_day():
    items = [{"code": "STENT", "name": "冠脉支架", "chrg_lv": "02", "price_limit": "10.00",
              "effective_from": "2026-01-01", "effective_to": "2026-03-01"},
             {"code": "STENT", "name": "冠脉支架", "chrg_lv": "02", "price_limit": "12.00",
              "effective_from": "2026-03-02", "effective_to": None}]
    v = visit(lines=[line("STENT", "1", "11.00", time="2026-03-01 20:00"), line("STENT", "1", "11.00", time=DAY2)])
    h = only(audit("price_markup", {}, [v], items=items))
    assert (h["sns"], h["amount"]) == (("1",), "1.00")


def test_line_split_is_matched_by_visit_and_serial_when_not_aligned():
    lines, vis = frames([RESTRICTED_VISIT])
    split = _engine_split(lines, vis).iloc[::-1].reset_index(drop=True)  # reversed
    rule = AuditRule("R", "restriction", {}, "warn")
    got = hits_of(run_audit(lines, vis, catalog(), [rule], line_split=split))
    assert [h["sns"] for h in got] == [("1",), ("2",), ("3",), ("4",), ("5",)]
    # the engine's verdict rules: a line it did not restrict is no hit, even if the catalog says otherwise
    split.loc[split["feedetl_sn"] == "1", "reason"] = None
    got = hits_of(run_audit(lines, vis, catalog(), [rule], line_split=split))
    assert [h["sns"] for h in got] == [("2",), ("3",), ("4",), ("5",)]


def test_overlapping_stays_counts_every_other_stay():
    old = history([visit("OLD1", inst="H2", begn="2026-03-02 08:00", end="2026-03-03 08:00"),
                   visit("OLD2", inst="H3", begn="2026-02-27 08:00", end="2026-03-02 08:00")])
    h = only(audit("overlapping_stays", {}, [visit(lines=[line("001")])], history=old))
    assert h["related"] == "OLD2"  # the earliest
    assert h["evidence"] == ("在 H1 住院（2026-03-01 至 2026-03-05）期间，同时在 H3 住院（就诊 OLD2，"
                             "2026-02-27 至 2026-03-02）等 2 次住院")


def test_items_without_a_name_are_labelled_by_code():
    v = visit(lines=[line("NONAME", time=DAY2), line("NONAME", time=DAY2), line("Z-LOCAL", time=DAY2)])
    hits = audit("frequency", {"codes": ["NONAME", "Z-LOCAL"], "max": 1}, [v])
    assert [h["evidence"] for h in hits] == ["NONAME 在 2026-03-02 收费 2 次，超过每日 1 次"]
    assert audit("frequency", {"codes": ["Z-LOCAL"], "max": 0}, [v])[0]["evidence"].startswith("Z-LOCAL 在")
