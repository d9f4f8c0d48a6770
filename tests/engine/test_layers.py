"""Steps 2-8: eligibility, deductible, basic pool (bands, caps), large amount, critical illness, medical
assistance, personal account, and the year a settlement belongs to. Every number is computed by hand."""
import pandas as pd
import pytest

from .builders import amounts, benefit, one_person, pack, pick, settle, state_dict, visit

FUND = ("act_pay_dedc", "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt")
ZERO = "0.00"


def run(policy, visits, **kw):
    """Settle one person's visits; return (amounts by mdtrt_id, result)."""
    result = settle(one_person(policy, visits, **kw))
    return amounts(result), result


def col(got, field):
    """One field over the visits V1..Vn."""
    return [got[f"V{i}"][field] for i in range(1, len(got) + 1)]


# --- 2. eligibility -------------------------------------------------------------------------------------

SIMPLE = pack(benefit("310", "21", ratio={"1": "0.50", "2": "0.50", "3": "0.50"}, cap_group="pool"),
              caps={"pool": "100000"}, personal_account={"insutypes": ["310"], "med_types": ["21"]})


def assert_ineligible(s, reason, medfee="100.00"):
    assert s["reason"] == reason
    assert all(s[f] == ZERO for f in FUND + ("acct_pay",))
    assert s["medfee_sumamt"] == s["psn_part_amt"] == s["psn_cash_pay"] == medfee


def test_arrears_month_after_paid_through_is_covered_the_next_is_not():
    got, result = run(SIMPLE, [
        visit("100.00", begntime="2026-04-30T23:00:00"),                                  # M+1: covered
        visit("100.00", begntime="2026-05-01T00:30:00"),                                  # M+2: arrears
        visit("100.00", begntime="2026-04-15T08:00:00", setl_time="2026-06-01T08:00:00"),  # judged at admission
    ], paid_through="2026-03", acct_balance="1000")
    assert got["V1"]["reason"] is None and got["V1"]["hifp_pay"] == "50.00" and got["V1"]["acct_pay"] == "50.00"
    assert_ineligible(got["V2"], "CONTRIBUTION_ARREARS")
    assert got["V3"]["reason"] is None and got["V3"]["hifp_pay"] == "50.00"
    # the ineligible visit accumulates nothing and leaves the account alone
    assert "V2" not in set(result.deltas["mdtrt_id"])
    assert got["V2"]["balc"] == got["V1"]["balc"] == "950.00"


@pytest.mark.parametrize("begntime,reason", [
    ("2026-02-28T23:59:00", "NOT_ENROLLED"),   # the day before enrolled_from
    ("2026-03-01T00:00:00", None),
    ("2026-06-30T23:00:00", None),             # the last day of enrolment
    ("2026-07-01T08:00:00", "NOT_ENROLLED"),   # the day after enrolled_to
])
def test_enrolment_period(begntime, reason):
    got, _ = run(SIMPLE, [visit("100.00", begntime=begntime, setl_time="2026-07-15T08:00:00")],
                 enrolled_from="2026-03-01", enrolled_to="2026-06-30")
    if reason:
        assert_ineligible(got["V1"], reason)
    else:
        assert got["V1"]["reason"] is None and got["V1"]["hifp_pay"] == "50.00"


def test_not_designated_comes_first():
    got, _ = run(SIMPLE, [visit("100.00", designated=False, begntime="2026-08-01T08:00:00")],
                 paid_through="2026-01", enrolled_to="2026-05-31", acct_balance="500")
    assert_ineligible(got["V1"], "NOT_DESIGNATED")
    assert got["V1"]["balc"] == "500.00"


def test_no_benefit_and_level_not_covered():
    got, _ = run(SIMPLE, [visit("100.00", med_type="14"), visit("100.00", level=0),
                          visit("100.00", level=1)])
    assert_ineligible(got["V1"], "NO_BENEFIT")         # 310 / 14 is not in the pack
    assert_ineligible(got["V2"], "LEVEL_NOT_COVERED")  # no ratio for level 0
    assert got["V3"]["reason"] is None and got["V3"]["hifp_pay"] == "50.00"


def test_no_benefit_for_the_insutype():
    got, _ = run(SIMPLE, [visit("100.00")], insutype="390")
    assert_ineligible(got["V1"], "NO_BENEFIT")


def test_no_policy_in_force_at_settlement():
    got, _ = run(SIMPLE, [visit("100.00", begntime="2027-01-02T08:00:00")], paid_through="2027-12")
    assert_ineligible(got["V1"], "NO_POLICY")


# --- 3. deductible --------------------------------------------------------------------------------------

PER_ADMISSION = pack(benefit(
    "310", "21", ratio={"1": "0.80", "2": "0.80", "3": "0.80"},
    deductible={"per": "admission", "by_level": {"1": "200", "2": "600", "3": "801.01"}, "subsequent_factor": "0.5"}))


def test_subsequent_factor_from_the_second_admission_on():
    got, result = run(PER_ADMISSION, [visit("2000.00"), visit("2000.00", begntime="2026-05-01T08:00:00"),
                                      visit("100.00", level=1, begntime="2026-07-01T08:00:00")])
    assert col(got, "act_pay_dedc") == ["801.01", "400.51", "100.00"]  # 801.01 × 0.5 = 400.505 → 400.51
    assert col(got, "hifp_pay") == ["959.19", "1279.59", ZERO]        # 1198.99 × 0.8; 1599.49 × 0.8
    assert state_dict(result.state)[("P1", 2026, "admissions", "")] == 3


def test_an_admission_below_its_deductible_still_counts_an_ineligible_one_does_not():
    got, _ = run(PER_ADMISSION, [
        visit("300.00", designated=False),                       # ineligible: not an admission
        visit("300.00", begntime="2026-04-01T08:00:00"),         # first admission, all deductible
        visit("2000.00", begntime="2026-05-01T08:00:00"),        # second: half the deductible
    ])
    assert col(got, "act_pay_dedc") == [ZERO, "300.00", "400.51"]
    assert got["V2"]["hifp_pay"] == ZERO


def test_admissions_of_earlier_in_the_year_count():
    got, _ = run(PER_ADMISSION, [visit("2000.00")], ytd={"admissions": 1})
    assert got["V1"]["act_pay_dedc"] == "400.51"


ANNUAL_MAX = pack(benefit("390", "21", ratio={"3": "0.60"}, deductible={
    "per": "admission", "by_level": {"3": "1000"}, "subsequent_factor": "1", "annual_max": "1500"}))


def test_annual_max_on_deductibles():
    dates = ["2026-02-01T08:00:00", "2026-05-01T08:00:00", "2026-09-01T08:00:00"]
    got, result = run(ANNUAL_MAX, [visit("3000.00", begntime=d) for d in dates], insutype="390",
                      psn_type="resident_adult")
    assert col(got, "act_pay_dedc") == ["1000.00", "500.00", ZERO]
    assert col(got, "hifp_pay") == ["1200.00", "1500.00", "1800.00"]
    assert state_dict(result.state)[("P1", 2026, "deductible_used", "21")] == 150_000


def test_annual_max_counts_what_was_actually_deducted():
    got, _ = run(ANNUAL_MAX, [visit("600.00"), visit("3000.00", begntime="2026-05-01T08:00:00")],
                 insutype="390", psn_type="resident_adult")
    assert col(got, "act_pay_dedc") == ["600.00", "900.00"]   # min(1000, 1500 - 600)
    assert got["V2"]["hifp_pay"] == "1260.00"


def test_annual_max_with_deductibles_paid_earlier_in_the_year():
    got, _ = run(ANNUAL_MAX, [visit("3000.00")], insutype="390", psn_type="resident_adult",
                 ytd={"deductible_used": {"21": "1200"}, "admissions": 1})
    assert got["V1"]["act_pay_dedc"] == "300.00"


PER_YEAR = pack(
    benefit("310", "11", deductible={"per": "year", "amount": "1000"}),
    benefit("310", "21", deductible={"per": "admission", "by_level": {lv: "200" for lv in "0123"}}),
    benefit("310", "14", deductible={"per": "year", "by_level": {"0": "100", "1": "100", "2": "300", "3": "500"}}),
)


def test_per_year_deductible_is_shared_by_the_visits_of_its_med_type():
    got, result = run(PER_YEAR, [
        visit("600.00", med_type="11", begntime="2026-01-05T08:00:00"),
        visit("1000.00", med_type="21", begntime="2026-02-01T08:00:00"),  # its own, per admission
        visit("800.00", med_type="11", begntime="2026-03-05T08:00:00"),
        visit("100.00", med_type="11", begntime="2026-04-05T08:00:00"),
    ])
    assert col(got, "act_pay_dedc") == ["600.00", "200.00", "400.00", ZERO]
    assert col(got, "hifp_pay") == [ZERO, "400.00", "200.00", "50.00"]
    st = state_dict(result.state)
    assert (st[("P1", 2026, "deductible_used", "11")], st[("P1", 2026, "deductible_used", "21")]) == (100_000, 20_000)


def test_per_year_deductible_by_level_less_what_was_used():
    got, _ = run(PER_YEAR, [visit("80.00", med_type="14", level=0),
                            visit("1000.00", med_type="14", level=3, begntime="2026-04-01T08:00:00")])
    assert col(got, "act_pay_dedc") == ["80.00", "420.00"]  # 500 - 80 already used


def test_per_year_deductible_used_earlier_in_the_year():
    got, _ = run(PER_YEAR, [visit("800.00", med_type="11")], ytd={"deductible_used": {"11": "700"}})
    assert (got["V1"]["act_pay_dedc"], got["V1"]["hifp_pay"]) == ("300.00", "250.00")


# --- 4. basic pool: bands, retiree bonus, caps, rounding ----------------------------------------------

BANDS = [{"upto": "10000", "ratio": "0.50"}, {"upto": None, "ratio": "0.80"}]
BANDED_FROM_DEDUCTIBLE = pack(benefit("310", "21", ratio={"3": BANDS}, retiree_bonus="0.05",
                                      deductible={"per": "year", "amount": "1000"}))
BANDED_FROM_ZERO = pack(benefit("310", "21", ratio={"3": BANDS}, band_base="zero", deductible={
    "per": "admission", "by_level": {"3": "1000"}, "subsequent_factor": "1"}))
LATER = "2026-06-01T08:00:00"


def test_band_base_deductible_visit_ending_at_the_band_edge():
    got, result = run(BANDED_FROM_DEDUCTIBLE, [visit("11000.00"), visit("2000.00", begntime=LATER)])
    assert col(got, "act_pay_dedc") == ["1000.00", ZERO]
    assert col(got, "hifp_pay") == ["5000.00", "1600.00"]  # [0, 10000] at 0.5; [10000, 12000] at 0.8
    assert state_dict(result.state)[("P1", 2026, "band_position", "21")] == 1_200_000


def test_band_base_deductible_visit_straddling_the_band_edge():
    got, _ = run(BANDED_FROM_DEDUCTIBLE, [visit("6000.00"), visit("10000.00", begntime=LATER)])
    assert col(got, "hifp_pay") == ["2500.00", "6500.00"]  # [5000, 15000]: 5000 × 0.5 + 5000 × 0.8


def test_band_base_zero_visit_ending_at_the_band_edge():
    got, result = run(BANDED_FROM_ZERO, [visit("10000.00"), visit("3000.00", begntime=LATER)])
    assert col(got, "act_pay_dedc") == ["1000.00", "1000.00"]
    # [1000, 10000] at 0.5; the 2nd deductible is [10000, 11000], then [11000, 13000] at 0.8
    assert col(got, "hifp_pay") == ["4500.00", "1600.00"]
    assert state_dict(result.state)[("P1", 2026, "band_position", "21")] == 1_300_000


def test_band_base_zero_visit_straddling_the_band_edge():
    got, _ = run(BANDED_FROM_ZERO, [visit("8000.00"), visit("5000.00", begntime=LATER)])
    assert col(got, "hifp_pay") == ["3500.00", "2900.00"]  # [9000, 13000]: 1000 × 0.5 + 3000 × 0.8


def test_band_base_zero_deductible_straddling_the_band_edge_is_never_paid():
    got, _ = run(BANDED_FROM_ZERO, [visit("9500.00"), visit("5000.00", begntime=LATER)])
    # the 2nd deductible covers [9500, 10500]; paid: [10500, 14500] at 0.8
    assert col(got, "hifp_pay") == ["4250.00", "3200.00"]


def test_band_position_from_earlier_in_the_year():
    got, _ = run(BANDED_FROM_ZERO, [visit("5000.00")], ytd={"band_position": {"21": "9000"}})
    assert got["V1"]["hifp_pay"] == "3200.00"  # deductible [9000, 10000], paid [10000, 14000] at 0.8


def test_retiree_bonus_on_every_band_at_most_one():
    policy = pack(benefit("310", "21", ratio={"3": [{"upto": "10000", "ratio": "0.50"},
                                                     {"upto": None, "ratio": "0.98"}]},
                          retiree_bonus="0.05", deductible={"per": "year", "amount": "1000"}))
    got, _ = run(policy, [visit("11000.00"), visit("2000.00", begntime=LATER)], psn_type="retiree")
    assert col(got, "hifp_pay") == ["5500.00", "2000.00"]  # 0.55, then 1.03 → 1.00
    got, _ = run(policy, [visit("11000.00"), visit("2000.00", begntime=LATER)], psn_type="in_service")
    assert col(got, "hifp_pay") == ["5000.00", "1960.00"]


def test_pool_pay_rounds_half_up():
    got, _ = run(pack(benefit("310", "21")), [visit("100.01"), visit("100.03", begntime=LATER)])
    assert col(got, "hifp_pay") == ["50.01", "50.02"]  # 50.005 → 50.01, 50.015 → 50.02


CAPPED = pack(benefit("310", "11", cap_group="pool"), benefit("310", "21", cap_group="pool"), caps={"pool": "1000"})


def test_cap_reached_exactly_then_the_next_visit_gets_nothing():
    got, result = run(CAPPED, [
        visit("1600.00", med_type="11", begntime="2026-01-10T08:00:00"),
        visit("400.00", med_type="21", begntime="2026-02-10T08:00:00"),   # uses exactly the 200 left
        visit("100.00", med_type="11", begntime="2026-03-10T08:00:00"),
    ])
    assert col(got, "hifp_pay") == ["800.00", "200.00", ZERO]
    assert col(got, "psn_part_amt") == ["800.00", "200.00", "100.00"]
    assert state_dict(result.state)[("P1", 2026, "cap_paid", "pool")] == 100_000


def test_cap_cuts_the_visit_that_would_exceed_it():
    got, _ = run(CAPPED, [visit("1600.00"), visit("600.00", begntime=LATER)])
    assert col(got, "hifp_pay") == ["800.00", "200.00"]


def test_cap_counts_what_was_paid_earlier_in_the_year():
    got, _ = run(CAPPED, [visit("400.00")], ytd={"cap_paid": {"pool": "900"}})
    assert got["V1"]["hifp_pay"] == "100.00"
    got, _ = run(CAPPED, [visit("400.00")], ytd={"cap_paid": {"pool": "1000"}})
    assert got["V1"]["hifp_pay"] == ZERO


def test_no_cap_and_no_cap_group():
    unlimited = pack(benefit("310", "21", cap_group="pool"), caps={"pool": None})
    got, _ = run(unlimited, [visit("1000000.00")], ytd={"cap_paid": {"pool": "999999"}})
    assert got["V1"]["hifp_pay"] == "500000.00"
    got, result = run(pack(benefit("310", "21")), [visit("1000000.00")])
    assert got["V1"]["hifp_pay"] == "500000.00"
    assert not any(k[2] == "cap_paid" for k in state_dict(result.state))


# --- 5. employee large amount ---------------------------------------------------------------------------

LARGE = pack(benefit("310", "21", ratio={"3": "0.80"}, cap_group="employee_pool"),
             benefit("390", "21", ratio={"3": "0.80"}, cap_group="resident_pool"),
             caps={"employee_pool": "1000", "resident_pool": "1000"},
             large_amount={"insutypes": ["310"], "cap_groups": ["employee_pool"], "ratio": "0.90", "cap": "1000"})


def test_large_amount_pays_what_the_cap_cut_up_to_its_own_cap():
    dates = ["2026-01-10T08:00:00", "2026-02-10T08:00:00", "2026-03-10T08:00:00", "2026-04-10T08:00:00"]
    got, result = run(LARGE, [visit(a, begntime=d) for a, d in zip(["1000.00", "100.00", "500.00", "100.00"],
                                                                   dates, strict=True)],
                      ytd={"cap_paid": {"employee_pool": "900"}})
    assert col(got, "hifp_pay") == ["100.00", ZERO, ZERO, ZERO]
    # 1000 × (800 - 100) / 800 = 875 over the cap, × 0.9; then 90; then 450 but only 122.50 left
    assert col(got, "hifob_pay") == ["787.50", "90.00", "122.50", ZERO]
    assert col(got, "fund_pay_sumamt") == ["887.50", "90.00", "122.50", ZERO]
    assert state_dict(result.state)[("P1", 2026, "large_amount_paid", "")] == 100_000


def test_large_amount_paid_earlier_in_the_year():
    got, _ = run(LARGE, [visit("100.00")], ytd={"cap_paid": {"employee_pool": "1000"}, "large_amount_paid": "950"})
    assert got["V1"]["hifob_pay"] == "50.00"


def test_large_amount_only_when_the_cap_cut_and_only_for_its_insutypes():
    got, _ = run(LARGE, [visit("500.00")])
    assert got["V1"]["hifob_pay"] == ZERO and got["V1"]["hifp_pay"] == "400.00"
    got, _ = run(LARGE, [visit("1000.00")], insutype="390", psn_type="resident_adult",
                 ytd={"cap_paid": {"resident_pool": "900"}})
    assert (got["V1"]["hifp_pay"], got["V1"]["hifob_pay"]) == ("100.00", ZERO)


# --- 6. critical illness --------------------------------------------------------------------------------

CI_BANDS = [{"upto": "50000", "ratio": "0.60"}, {"upto": None, "ratio": "0.70"}]
RESIDENT = dict(insutype="390", psn_type="resident_adult")


def ci_pack(**ci):
    return pack(
        benefit("390", "21", ratio={"3": "0.60"},
                deductible={"per": "admission", "by_level": {"3": "1000"}, "subsequent_factor": "1"}),
        benefit("390", "11"), benefit("310", "21", ratio={"3": "0.60"}),
        critical_illness={"insutypes": ["390"], "med_types": ["21"], "deductible": "15000", "bands": CI_BANDS,
                          "cap": "400000", "include_preselfpay": False, **ci})


def test_critical_illness_bands_above_the_deductible_including_the_deductible():
    got, result = run(ci_pack(), [visit("51000.00"), visit("151000.00", begntime=LATER)], **RESIDENT)
    assert col(got, "hifp_pay") == ["30000.00", "90000.00"]
    # B = 21000 then 82000; above the 15000 deductible: 6000 × 0.6; then 50000 × 0.6 + 17000 × 0.7 - 3600
    assert col(got, "hifmi_pay") == ["3600.00", "38300.00"]
    assert got["V2"]["psn_part_amt"] == "22700.00"
    assert state_dict(result.state)[("P1", 2026, "critical_illness_base", "")] == 8_200_000


def test_critical_illness_bands_from_zero_without_the_deductible():
    got, _ = run(ci_pack(bands_from="zero", include_deductible=False),
                 [visit("51000.00"), visit("151000.00", begntime=LATER)], **RESIDENT)
    # B = 20000 then 80000: [15000, 20000] × 0.6; [20000, 50000] × 0.6 + [50000, 80000] × 0.7
    assert col(got, "hifmi_pay") == ["3000.00", "39000.00"]


def test_critical_illness_bands_from_zero_including_the_deductible():
    got, _ = run(ci_pack(bands_from="zero"), [visit("51000.00"), visit("151000.00", begntime=LATER)], **RESIDENT)
    # B = 21000 then 82000: [15000, 21000] × 0.6 = 3600; [21000, 50000] × 0.6 + [50000, 82000] × 0.7 = 39800
    assert col(got, "hifmi_pay") == ["3600.00", "39800.00"]


def test_critical_illness_bands_from_deductible_without_the_deductible():
    got, _ = run(ci_pack(include_deductible=False), [visit("51000.00"), visit("151000.00", begntime=LATER)],
                 **RESIDENT)
    # B = 20000 then 80000; above 15000: 5000 × 0.6 = 3000; 50000 × 0.6 + 15000 × 0.7 - 3000 = 37500
    assert col(got, "hifmi_pay") == ["3000.00", "37500.00"]


@pytest.mark.parametrize("include,hifmi", [(True, "4320.00"), (False, "3120.00")])
def test_critical_illness_include_preselfpay(include, hifmi):
    # 乙 20000 (2000 self-pay first) + 甲 31000: inscp 49000, deductible 1000, pool 28800
    lines = [("B", "1", "20000.00", "20000.00"), ("A", "1", "31000.00", "31000.00")]
    got, _ = run(ci_pack(include_preselfpay=include), [visit(lines=lines)], **RESIDENT)
    assert (got["V1"]["preselfpay_amt"], got["V1"]["hifp_pay"]) == ("2000.00", "28800.00")
    assert got["V1"]["hifmi_pay"] == hifmi  # base 22200 or 20200, less 15000, × 0.6


def test_critical_illness_cap_reached_exactly():
    got, _ = run(ci_pack(cap="5000"), [visit("51000.00"), visit("151000.00", begntime=LATER),
                                       visit("51000.00", begntime="2026-09-01T08:00:00")], **RESIDENT)
    assert col(got, "hifmi_pay") == ["3600.00", "1400.00", ZERO]


def test_critical_illness_base_from_earlier_in_the_year():
    got, _ = run(ci_pack(), [visit("51000.00")], ytd={"critical_illness_base": "14000"}, **RESIDENT)
    assert got["V1"]["hifmi_pay"] == "12000.00"  # B from 14000 to 35000: 20000 × 0.6


def test_critical_illness_only_for_its_insutypes_and_med_types():
    got, _ = run(ci_pack(), [visit("51000.00")])  # an employee
    assert got["V1"]["hifmi_pay"] == ZERO
    got, _ = run(ci_pack(), [visit("51000.00", med_type="11")], **RESIDENT)
    assert got["V1"]["hifmi_pay"] == ZERO


# --- 7. medical assistance ------------------------------------------------------------------------------

def ma_pack(include_preselfpay=False, critical_illness=None):
    layers = {"critical_illness": critical_illness} if critical_illness else {}
    return pack(
        benefit("390", "21", ratio={"3": "0.60"},
                deductible={"per": "admission", "by_level": {"3": "1000"}, "subsequent_factor": "1"}),
        benefit("390", "11", ratio={"3": "0.60"}),
        medical_assistance={"med_types": ["21"], "include_preselfpay": include_preselfpay, "categories": {
            "dibao": {"ratio": "0.70", "deductible": "500", "cap": "1000"},
            "tekun": {"ratio": "1.00", "deductible": "0", "cap": None}}},
        **layers)


def test_assistance_by_category_with_deductible_and_cap():
    dates = ["2026-01-10T08:00:00", "2026-02-10T08:00:00", "2026-03-10T08:00:00"]
    got, result = run(ma_pack(), [visit(a, begntime=d) for a, d in zip(["3000.00", "1000.00", "1000.00"], dates,
                                                                        strict=True)],
                      assistance_category="dibao", **RESIDENT)
    assert col(got, "hifp_pay") == ["1200.00", ZERO, ZERO]
    # A = 1800: (1800 - 500) × 0.7 = 910; A = 2800: 1610, capped at 1000 → 90; then nothing
    assert col(got, "maf_pay") == ["910.00", "90.00", ZERO]
    assert state_dict(result.state)[("P1", 2026, "assistance_base", "")] == 380_000


def test_assistance_other_category():
    got, _ = run(ma_pack(), [visit("3000.00")], assistance_category="tekun", **RESIDENT)
    assert (got["V1"]["maf_pay"], got["V1"]["psn_part_amt"]) == ("1800.00", ZERO)


@pytest.mark.parametrize("category,med_type", [(None, "21"), ("dibian", "21"), ("tekun", "11")])
def test_no_assistance_without_a_listed_category_or_med_type(category, med_type):
    got, _ = run(ma_pack(), [visit("3000.00", med_type=med_type)], assistance_category=category, **RESIDENT)
    assert got["V1"]["reason"] is None and got["V1"]["maf_pay"] == ZERO


@pytest.mark.parametrize("include,maf", [(False, "910.00"), (True, "1000.00")])
def test_assistance_include_preselfpay(include, maf):
    # 乙 2000 (200 self-pay first) + 甲 1200: inscp 3000; base 1800 (+ 200): × 0.7 above 500, cap 1000
    lines = [("B", "1", "2000.00", "2000.00"), ("A", "1", "1200.00", "1200.00")]
    got, _ = run(ma_pack(include), [visit(lines=lines)], assistance_category="dibao", **RESIDENT)
    assert got["V1"]["maf_pay"] == maf


def test_assistance_base_from_earlier_in_the_year():
    got, _ = run(ma_pack(), [visit("3000.00")], assistance_category="dibao", ytd={"assistance_base": "100"},
                 **RESIDENT)
    assert got["V1"]["maf_pay"] == "980.00"  # A from 100 to 1900: (1900 - 500) × 0.7; G(100) = 0


def test_assistance_after_critical_illness():
    ci = {"insutypes": ["390"], "med_types": ["21"], "deductible": "15000", "bands": CI_BANDS, "cap": None}
    got, _ = run(ma_pack(critical_illness=ci), [visit("51000.00")], assistance_category="tekun", **RESIDENT)
    assert pick(got["V1"], "hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt") == {
        "hifp_pay": "30000.00", "hifmi_pay": "3600.00", "maf_pay": "17400.00", "fund_pay_sumamt": "51000.00",
        "psn_part_amt": ZERO}


# --- 8. totals and the personal account -----------------------------------------------------------------

ACCOUNT = pack(benefit("310", "11"), benefit("310", "21"), benefit("390", "11"),
               personal_account={"insutypes": ["310"], "med_types": ["11"]})
OUT = dict(med_type="11", level=1)


def test_account_balance_zero():
    got, result = run(ACCOUNT, [visit("100.00", **OUT)], acct_balance="0")
    assert pick(got["V1"], "psn_part_amt", "acct_pay", "psn_cash_pay", "balc") == {
        "psn_part_amt": "50.00", "acct_pay": ZERO, "psn_cash_pay": "50.00", "balc": ZERO}
    assert result.accounts["balance_fen"].tolist() == [0]


def test_account_pays_until_it_is_empty():
    dates = ["2026-01-10T08:00:00", "2026-02-10T08:00:00", "2026-03-10T08:00:00"]
    got, result = run(ACCOUNT, [visit("100.00", begntime=d, **OUT) for d in dates], acct_balance="80")
    assert col(got, "acct_pay") == ["50.00", "30.00", ZERO]
    assert col(got, "psn_cash_pay") == [ZERO, "20.00", "50.00"]
    assert col(got, "balc") == ["30.00", ZERO, ZERO]
    assert result.accounts["balance_fen"].tolist() == [0]


def test_account_balance_exactly_the_personal_part():
    got, _ = run(ACCOUNT, [visit("100.00", **OUT)], acct_balance="50")
    assert (got["V1"]["acct_pay"], got["V1"]["psn_cash_pay"], got["V1"]["balc"]) == ("50.00", ZERO, ZERO)


def test_account_pays_the_whole_personal_part_including_self_paid_lines():
    got, _ = run(ACCOUNT, [visit(lines=[("C", "1", "100.00", "100.00"), ("A", "1", "100.00", "100.00")], **OUT)],
                 acct_balance="1000")
    assert (got["V1"]["psn_part_amt"], got["V1"]["acct_pay"], got["V1"]["balc"]) == ("150.00", "150.00", "850.00")


def test_account_only_for_its_insutypes_and_med_types():
    got, _ = run(ACCOUNT, [visit("100.00")], acct_balance="1000")  # med_type 21 is not listed
    assert (got["V1"]["acct_pay"], got["V1"]["balc"]) == (ZERO, "1000.00")
    got, _ = run(ACCOUNT, [visit("100.00", **OUT)], acct_balance="1000", insutype="390", psn_type="resident_adult")
    assert got["V1"]["acct_pay"] == ZERO


# --- the settlement's year: an admission in December settled in January --------------------------------

def year_pack(year, ratio):
    return pack(benefit("310", "21", ratio={"3": ratio}, cap_group="pool",
                        deductible={"per": "year", "amount": "1000"}),
                year=year, caps={"pool": "5000"})


ACROSS = [year_pack(2025, "0.50"), year_pack(2026, "0.80")]
YTD_2025 = {2025: {"deductible_used": {"21": "1000"}, "cap_paid": {"pool": "5000"}}}


def test_admission_in_december_settled_in_january_belongs_to_january_year():
    got, result = run(ACROSS, [
        visit("3000.00", begntime="2025-12-01T08:00:00", setl_time="2025-12-10T08:00:00"),
        visit("3000.00", begntime="2025-12-20T08:00:00", setl_time="2026-01-05T08:00:00"),
        visit("1000.00", begntime="2026-02-01T08:00:00"),
    ], ytd=YTD_2025, paid_through="2026-12")
    s = result.settlements.set_index("mdtrt_id")
    assert s.loc["V1", "year"] == 2025 and s.loc["V1", "policy_code"] == "T-2025"
    assert s.loc["V2", "year"] == 2026 and s.loc["V2", "policy_code"] == "T-2026"
    # 2025: deductible used and cap exhausted; 2026: a fresh deductible, a fresh cap, the 2026 ratio
    assert col(got, "act_pay_dedc") == [ZERO, "1000.00", ZERO]
    assert col(got, "hifp_pay") == [ZERO, "1600.00", "800.00"]
    st = state_dict(result.state)
    assert st[("P1", 2025, "deductible_used", "21")] == 100_000 and st[("P1", 2025, "cap_paid", "pool")] == 500_000
    assert st[("P1", 2026, "deductible_used", "21")] == 100_000 and st[("P1", 2026, "cap_paid", "pool")] == 240_000
    assert set(result.deltas.loc[result.deltas["mdtrt_id"] == "V2", "year"]) == {2026}


def test_year_end_admission_is_judged_at_admission_for_arrears():
    # paid through November 2025: December is the month in arrears and still covered, even settled in 2026
    got, _ = run(ACROSS, [visit("3000.00", begntime="2025-12-20T08:00:00", setl_time="2026-01-05T08:00:00")],
                 paid_through="2025-11")
    assert got["V1"]["reason"] is None and got["V1"]["hifp_pay"] == "1600.00"
    got, _ = run(ACROSS, [visit("3000.00", begntime="2026-01-02T08:00:00")], paid_through="2025-11")
    assert got["V1"]["reason"] == "CONTRIBUTION_ARREARS"


def test_settlement_order_is_setl_time_not_the_order_given():
    got, _ = run(CAPPED, [visit("600.00", begntime="2026-05-01T08:00:00"), visit("1600.00")])
    assert col(got, "hifp_pay") == ["200.00", "800.00"]  # V2 settles first and takes 800 of the cap


def test_settlement_time_ties_are_broken_by_mdtrt_id():
    same = "2026-05-01T08:00:00"
    frames = one_person(CAPPED, [visit("600.00", begntime=same, mdtrt_id="B"),
                                 visit("1600.00", begntime=same, mdtrt_id="A")])
    got = amounts(settle(frames))
    assert (got["A"]["hifp_pay"], got["B"]["hifp_pay"]) == ("800.00", "200.00")


def test_deltas_are_what_each_settlement_added():
    got, result = run(CAPPED, [visit("1600.00"), visit("400.00", begntime=LATER)])
    d = result.deltas[result.deltas["mdtrt_id"] == "V2"].set_index(["kind", "key"])["delta"].to_dict()
    assert d == {("cap_paid", "pool"): 20_000, ("band_position", "pool"): 40_000}
    assert isinstance(result.deltas, pd.DataFrame)
