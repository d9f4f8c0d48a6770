"""Step 1 (明细): 甲/乙/丙, not in catalog, restrictions, price limits, 乙类先行自付, rounding half up.

Every number below is computed by hand from the spec's table; money compares as 2-decimal strings.
"""
import pandas as pd
import pytest

from policy_rules.engine import classify

from .builders import CATALOG, amounts, benefit, line_amounts, one_person, pack, settle, visit

POLICY = pack(benefit("310", "21"), benefit("310", "11"))

ITEMS = CATALOG + [
    {"code": "L40", "name": "床位费", "chrg_lv": "01", "price_limit": "40.00"},
    {"code": "LB", "name": "冠脉支架", "chrg_lv": "02", "selfpay_prop": "0.30", "price_limit": "800.00"},
    {"code": "L4", "name": "4位小数限价", "chrg_lv": "01", "price_limit": "3.3000"},
    {"code": "L1", "name": "限价1元", "chrg_lv": "01", "price_limit": "1.0000"},
    {"code": "L0", "name": "限价0元", "chrg_lv": "01", "price_limit": "0"},
    {"code": "B15", "name": "乙类15%", "chrg_lv": "02", "selfpay_prop": "0.15"},
    {"code": "F", "name": "限女性", "chrg_lv": "01", "restrict": {"gender": "2"}},
    {"code": "K14", "name": "限14岁及以下", "chrg_lv": "02", "restrict": {"max_age": 14}},
    {"code": "K18", "name": "限18岁及以上", "chrg_lv": "01", "restrict": {"min_age": 18}},
    {"code": "LV2", "name": "限二级及以上", "chrg_lv": "02", "restrict": {"min_level": "2"}},
    {"code": "IN", "name": "限住院", "chrg_lv": "01", "restrict": {"med_types": ["21"]}},
    {"code": "CF", "name": "丙类且限女性", "chrg_lv": "03", "restrict": {"gender": "2"}},
]

PARTS = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "reason")


def split(lines, *, med_type="21", level=3, begntime="2026-03-01T08:00:00", setl_time=None, **person):
    """The split of each line of one visit: [(fulamt, overlmt, preselfpay, inscp, reason), ...]."""
    frames = one_person(POLICY, [visit(lines=lines, med_type=med_type, level=level, begntime=begntime,
                                       setl_time=setl_time)], catalog=ITEMS, **person)
    result = settle(frames)
    got = line_amounts(result)
    return [tuple(got[("V1", str(i))][f] for f in PARTS) for i in range(1, len(lines) + 1)]


def test_classes_and_catalog():
    assert split([
        ("A", "20", "1.50", "30.00"),
        ("B", "30", "2.00", "60.00"),        # 乙 with the policy's default share 0.10
        ("B20", "1", "50.00", "50.00"),      # 乙 with its own share 0.20
        ("C", "1", "10.00", "10.00"),        # 丙
        ("Z-UNKNOWN", "1", "300.00", "300.00"),
    ]) == [
        ("0.00", "0.00", "0.00", "30.00", None),
        ("0.00", "0.00", "6.00", "54.00", None),
        ("0.00", "0.00", "10.00", "40.00", None),
        ("10.00", "0.00", "0.00", "0.00", "CLASS_C"),
        ("300.00", "0.00", "0.00", "0.00", "NOT_IN_CATALOG"),
    ]


def test_visit_totals_are_the_sums_of_the_lines():
    frames = one_person(POLICY, [visit(lines=[("A", "1", "30.00", "30.00"), ("B", "1", "60.00", "60.00"),
                                              ("C", "1", "10.00", "10.00"), ("L40", "8", "50.00", "400.00")])],
                        catalog=ITEMS)
    s = amounts(settle(frames))["V1"]
    assert (s["medfee_sumamt"], s["fulamt_ownpay_amt"], s["overlmt_selfpay"], s["preselfpay_amt"],
            s["inscp_scp_amt"]) == ("500.00", "10.00", "80.00", "6.00", "404.00")


def test_price_limit():
    assert split([
        ("L40", "8", "50.00", "400.00"),    # 10.00 over the limit × 8
        ("L40", "8", "40.00", "320.00"),    # at the limit: nothing over
        ("L40", "2", "35.00", "70.00"),     # below the limit
        ("LB", "1", "1000.00", "1000.00"),  # 乙 over its limit: share on what is left after the excess
    ]) == [
        ("0.00", "80.00", "0.00", "320.00", None),
        ("0.00", "0.00", "0.00", "320.00", None),
        ("0.00", "0.00", "0.00", "70.00", None),
        ("0.00", "200.00", "240.00", "560.00", None),   # 240 = (1000 - 200) × 0.30
    ]


def test_price_limit_with_four_decimal_cnt_and_pric():
    assert split([
        # amount round(2.5 × 3.3333 = 8.33325) = 8.33; over round((3.3333 - 3.3000) × 2.5 = 0.08325) = 0.08
        ("L4", "2.5000", "3.3333", "8.33"),
        # over (3.3049 - 3.3) × 1.5 = 0.00735 → 0.01
        ("L4", "1.5000", "3.3049", "4.96"),
        # over 0.0001 × 0.3333 → 0.00
        ("L4", "0.3333", "3.3001", "1.10"),
    ]) == [
        ("0.00", "0.08", "0.00", "8.25", None),
        ("0.00", "0.01", "0.00", "4.95", None),
        ("0.00", "0.00", "0.00", "1.10", None),
    ]


def test_excess_over_the_limit_never_exceeds_the_line_amount():
    # pric 1.0050 over a limit of 0: round(1.005) = 1.01 > the uploaded 1.00 (within its 0.01 tolerance)
    assert split([("L0", "1", "1.0050", "1.00")]) == [("0.00", "1.00", "0.00", "0.00", None)]


def test_rounding_half_up_at_half_a_fen():
    assert split([
        ("B", "1", "10.05", "10.05"),        # 10.05 × 0.10 = 1.005 → 1.01
        ("B", "1", "10.04", "10.04"),        # 1.004 → 1.00
        ("B15", "1", "0.10", "0.10"),        # 0.10 × 0.15 = 0.015 → 0.02
        ("B15", "1", "0.30", "0.30"),        # 0.045 → 0.05
        ("L1", "1", "1.0050", "1.01"),       # over the limit by 0.005 → 0.01
        ("L1", "1", "1.0049", "1.00"),       # over by 0.0049 → 0.00
    ]) == [
        ("0.00", "0.00", "1.01", "9.04", None),
        ("0.00", "0.00", "1.00", "9.04", None),
        ("0.00", "0.00", "0.02", "0.08", None),
        ("0.00", "0.00", "0.05", "0.25", None),
        ("0.00", "0.01", "0.00", "1.00", None),
        ("0.00", "0.00", "0.00", "1.00", None),
    ]


def _restricted(code, **kw):
    (row,) = split([(code, "1", "100.00", "100.00")], **kw)
    return row[4] == "RESTRICTED"


def test_restricted_line_is_paid_in_full_by_the_patient():
    assert split([("F", "1", "100.00", "100.00")], gender="1") == [("100.00", "0.00", "0.00", "0.00", "RESTRICTED")]
    assert split([("F", "1", "100.00", "100.00")], gender="2") == [("0.00", "0.00", "0.00", "100.00", None)]


@pytest.mark.parametrize("birth_date,restricted", [
    ("2011-03-01", True),    # 15th birthday on the day of admission: 15 > 14
    ("2011-03-02", False),   # 15th birthday the day after admission: still 14
    ("2012-03-01", False),   # 14th birthday on the day of admission
])
def test_max_age_in_full_years_at_admission(birth_date, restricted):
    assert _restricted("K14", birth_date=birth_date, begntime="2026-03-01T08:00:00") is restricted


@pytest.mark.parametrize("birth_date,restricted", [
    ("2008-03-01", False),   # 18th birthday on the day of admission
    ("2008-03-02", True),    # 18th birthday the day after admission: 17
    ("2008-02-29", False),   # born on 29 February: 18 on 1 March 2026
])
def test_min_age_in_full_years_at_admission(birth_date, restricted):
    assert _restricted("K18", birth_date=birth_date, begntime="2026-03-01T08:00:00") is restricted


def test_age_is_taken_at_admission_not_at_settlement():
    # admitted at 14 on 20 February, 15th birthday on 1 March, settled on 5 March: still allowed
    assert not _restricted("K14", birth_date="2011-03-01", begntime="2026-02-20T08:00:00",
                           setl_time="2026-03-05T08:00:00")


@pytest.mark.parametrize("level,restricted", [(0, True), (1, True), (2, False), (3, False)])
def test_min_level(level, restricted):
    assert _restricted("LV2", level=level, med_type="11") is restricted


@pytest.mark.parametrize("med_type,restricted", [("11", True), ("21", False)])
def test_allowed_med_types(med_type, restricted):
    assert _restricted("IN", med_type=med_type) is restricted


def test_reason_order_not_in_catalog_then_class_c_then_restricted():
    # a 丙 item whose restriction is also broken is CLASS_C
    assert split([("CF", "1", "5.00", "5.00")], gender="1") == [("5.00", "0.00", "0.00", "0.00", "CLASS_C")]


def test_ineligible_visit_still_gets_its_lines_split():
    frames = one_person(POLICY, [visit(lines=[("B", "1", "60.00", "60.00"), ("C", "1", "10.00", "10.00")],
                                       designated=False)], catalog=ITEMS)
    result = settle(frames)
    assert amounts(result)["V1"]["reason"] == "NOT_DESIGNATED"
    assert line_amounts(result) == {
        ("V1", "1"): dict(zip(PARTS, ("0.00", "0.00", "6.00", "54.00", None), strict=True)),
        ("V1", "2"): dict(zip(PARTS, ("10.00", "0.00", "0.00", "0.00", "CLASS_C"), strict=True)),
    }


def test_classify_at_upload_matches_the_settlement_split():
    frames = one_person(POLICY, [visit(lines=[("LB", "1", "1000.00", "1000.00"), ("K14", "2", "3.50", "7.00"),
                                              ("Z", "1", "1.00", "1.00")])], catalog=ITEMS)
    upfront = classify(frames["lines"], frames["visits"], frames["persons"], frames["catalog"], frames["policies"])
    settled = settle(frames).lines
    assert upfront.equals(settled)


def test_an_empty_effective_dated_catalog_leaves_every_line_outside_it():
    """A chunk of uncatalogued sales reads no catalog row at all: its lines are 自费, NOT_IN_CATALOG (not an
    IndexError on the empty frame)."""
    frames = one_person(POLICY, [visit(lines=[("Z-1", "1", "12.00", "12.00"), ("Z-2", "2", "3.00", "6.00")])],
                        catalog=[])
    no_day = pd.Series([], dtype="datetime64[ns]")
    frames["catalog"] = frames["catalog"].assign(effective_from=no_day, effective_to=no_day)  # as the readers give it
    got = line_amounts(settle(frames))
    assert [tuple(got[("V1", sn)][f] for f in PARTS) for sn in ("1", "2")] == [
        ("12.00", "0.00", "0.00", "0.00", "NOT_IN_CATALOG"), ("6.00", "0.00", "0.00", "0.00", "NOT_IN_CATALOG")]
