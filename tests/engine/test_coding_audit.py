"""The coding-quality rules over settlement lists (policy_rules/engine/audit/coding.py; docs/dip.md, worked
examples of the section "Coding-quality rules")."""
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy_rules.engine.audit import AuditRule, default_rules, run_audit, validate_rule
from policy_rules.engine.audit.coding import prefix_pairs, run_coding_audit
from policy_rules.engine.audit.runner import OUTPUT_COLUMNS
from policy_rules.engine.dip import groups_frame

GROUPS = groups_frame([
    {"code": "A", "diag": "K35", "oprn": "47.0", "points": "1000", "ref_cost": {"3": "10000", "2": "8000"}},
    {"code": "A0", "diag": "K35", "oprn": None, "points": "420", "ref_cost": {"3": "4200"}},
    {"code": "B", "diag": "E11", "oprn": None, "points": "600", "ref_cost": {"3": "6000", "2": "5000"}},
])
MCC = AuditRule("CODE-MCC", "coding_cc", {"support": {"J96": ["120800001", "310603"], "N17": ["311300002"]}},
                "suspect", "高套")
DXPX = AuditRule("CODE-DXPX", "coding_dxpx", {"use_grouping_table": True}, "suspect", "诊断手术不符")
LOWADM = AuditRule("CODE-LOWADM", "coding_low_admission",
                   {"diag_prefixes": ["E11", "I10"], "max_days": 3, "cost_ratio": "0.3"}, "suspect", "低标准入院")
SPLIT = AuditRule("CODE-SPLIT", "coding_split", {"readmission_rule": "READM-001"}, "suspect", "分解住院")
READM = AuditRule("READM-001", "readmission", {"days": 15}, "suspect", "再入院")


def case(mdtrt_id, diag, oprn="", *, psn="P1", inst="H1", begn="2026-03-01 08:00", end="2026-03-05 10:00",
         group="", level=3, medfee=900_000, fund=700_000):
    return {"mdtrt_id": mdtrt_id, "psn_no": psn, "fixmedins_code": inst, "med_type": "21",
            "begntime": pd.Timestamp(begn), "endtime": pd.Timestamp(end) if end else pd.NaT, "level": level,
            "main_diag": diag, "main_oprn": oprn, "group": group, "medfee_fen": medfee, "fund_fen": fund}


def frames(cases, diagnoses=(), lines=()):
    return (pd.DataFrame(cases), pd.DataFrame(list(diagnoses), columns=["mdtrt_id", "diag_code", "diag_name"]),
            pd.DataFrame(list(lines), columns=["mdtrt_id", "med_list_codg"]))


def audit(cases, diagnoses=(), lines=(), rules=(MCC, DXPX, LOWADM, SPLIT, READM)):
    c, d, ln = frames(cases, diagnoses, lines)
    return run_coding_audit(c, d, ln, GROUPS, rules)


def test_mcc_without_supporting_lines_is_a_hit():
    hits = audit([case("m1", "K35.800", "47.0100", group="A"), case("m2", "K35.800", "47.0100", group="A", psn="P2"),
                  case("m3", "K35.800", "47.0100", group="A", psn="P3")],
                 [("m1", "J96.000", "急性呼吸衰竭"), ("m2", "J96.000", "急性呼吸衰竭"), ("m3", "J96.100", "慢性呼吸衰竭"),
                  ("m3", "I10.x00", "高血压")],
                 [("m1", "331003002"), ("m2", "120800001"), ("m3", "310603001")], rules=[MCC])
    assert list(hits.columns) == OUTPUT_COLUMNS
    assert hits["mdtrt_id"].tolist() == ["m1"]
    row = hits.iloc[0]
    assert (row.rule_code, row.severity, row.amount_fen, row.feedetl_sns) == ("CODE-MCC", "suspect", 700_000, ())
    assert row.evidence == ("次要诊断 J96.000 急性呼吸衰竭 属严重并发症/合并症目录(J96)，但本次住院费用明细中没有支持性项目"
                            "(编码前缀 120800001、310603)")


def test_mcc_names_every_unsupported_diagnosis_of_a_case_once():
    hits = audit([case("m1", "K35.800", "47.0100", group="A")],
                 [("m1", "J96.000", "急性呼吸衰竭"), ("m1", "N17.900", "急性肾衰竭")], rules=[MCC])
    assert len(hits) == 1
    assert "J96.000" in hits.evidence[0] and "N17.900" in hits.evidence[0] and "311300002" in hits.evidence[0]


def test_main_operation_that_the_table_never_pairs_with_the_diagnosis():
    hits = audit([case("d1", "K35.800", "36.0600"), case("d2", "K35.800", "47.0100", group="A", psn="P2"),
                  case("d3", "J18.900", "96.0400", psn="P3"), case("d4", "K35.800", "", group="A0", psn="P4")],
                 rules=[DXPX])
    assert hits["mdtrt_id"].tolist() == ["d1"]
    assert hits.evidence[0] == "主要诊断 K35.800 与主要手术操作 36.0600 不相符：与该诊断配对的手术操作编码前缀为 47.0"
    # a list of allowed pairs widens (or, without the table, replaces) what fits
    pairs = AuditRule("CODE-DXPX", "coding_dxpx", {"pairs": {"K35": ["36"], "J18": ["33"]}}, "suspect")
    assert audit([case("d1", "K35.800", "36.0600"), case("d3", "J18.900", "96.0400", psn="P3")],
                 rules=[pairs])["mdtrt_id"].tolist() == ["d3"]
    only = AuditRule("CODE-DXPX", "coding_dxpx", {"pairs": {"J18": ["33"]}, "use_grouping_table": False}, "suspect")
    assert audit([case("d1", "K35.800", "36.0600")], rules=[only]).empty


def test_low_standard_admission():
    hits = audit([case("l1", "E11.900", group="B", begn="2026-03-01 09:00", end="2026-03-03 09:00", medfee=149_999),
                  case("l2", "E11.900", group="B", psn="P2", end="2026-03-03 09:00", medfee=180_000),
                  case("l3", "E11.900", group="B", psn="P3", end="2026-03-05 09:00", medfee=100_000),
                  case("l4", "E11.900", group="", psn="P4", end="2026-03-02 09:00", medfee=100_000),
                  case("l5", "E11.900", group="B", psn="P5", end=None, medfee=100_000),
                  case("l6", "E11.900", group="B", psn="P6", level=2, end="2026-03-01 18:00", medfee=149_999)],
                 rules=[LOWADM])
    # l2 is exactly 0.3 × 6,000 (not below), l3 stays 4 days, l4 is ungrouped, l5 not discharged
    assert hits["mdtrt_id"].tolist() == ["l1", "l6"]
    assert hits.evidence[0] == ("住院 2 天，医疗费用 1,499.99 元，低于病种 B 参考费用 6,000.00 元的 0.3 倍(1,800.00 元)；"
                                "主要诊断 E11.900 属低标准入院监测病种(E11)")
    assert hits.evidence[1].startswith("住院 1 天，医疗费用 1,499.99 元，低于病种 B 参考费用 5,000.00 元")


def test_split_admission_is_the_readmission_rule_with_the_same_main_diagnosis():
    cases = [case("s1", "K35.800", "47.0100", begn="2026-03-01 08:00", end="2026-03-10 10:00"),
             case("s2", "K35.900", "", begn="2026-03-20 08:00", end="2026-03-25 10:00"),
             case("t1", "K35.800", psn="P2", begn="2026-03-01 08:00", end="2026-03-10 10:00"),
             case("t2", "E11.900", psn="P2", begn="2026-03-15 08:00", end="2026-03-18 10:00"),
             case("u1", "K35.800", psn="P3", begn="2026-03-01 08:00", end="2026-03-10 10:00"),
             case("u2", "K35.800", psn="P3", begn="2026-03-26 08:00", end="2026-03-28 10:00"),
             case("v1", "K35.800", psn="P4", inst="H1", begn="2026-03-01 08:00", end="2026-03-10 10:00"),
             case("v2", "K35.800", psn="P4", inst="H2", begn="2026-03-12 08:00", end="2026-03-14 10:00")]
    hits = audit(cases, rules=[SPLIT, READM])
    assert hits[["mdtrt_id", "related_mdtrt_id"]].values.tolist() == [["s2", "s1"]]
    assert hits.evidence[0] == ("2026-03-10 从 H1 出院（就诊 s1）后第 10 天于 2026-03-20 再次入院同一机构，间隔不超过 15 天"
                                "(规则 READM-001)；两次住院主要诊断同属 K35(K35.800 / K35.900)，疑似分解住院")
    # the window is the readmission rule's: without it in force, nothing; a wider one widens it
    assert audit(cases, rules=[SPLIT]).empty
    wide = AuditRule("READM-001", "readmission", {"days": 20}, "suspect")
    assert sorted(audit(cases, rules=[SPLIT, wide])["mdtrt_id"]) == ["s2", "u2"]
    widest = AuditRule("CODE-SPLIT", "coding_split", {}, "suspect")  # no code: the widest readmission rule
    assert sorted(audit(cases, rules=[widest, READM, wide])["mdtrt_id"]) == ["s2", "u2"]


def test_fee_line_audit_passes_the_coding_rules_by_and_the_library_has_them():
    library = {r.code: r for r in default_rules()}
    assert {"CODE-MCC", "CODE-DXPX", "CODE-LOWADM", "CODE-SPLIT"} <= set(library)
    assert all(validate_rule(library[c]) == [] for c in ("CODE-MCC", "CODE-DXPX", "CODE-LOWADM", "CODE-SPLIT"))
    lines = pd.DataFrame({"mdtrt_id": ["v"], "feedetl_sn": ["1"], "med_list_codg": ["X"], "cnt_e4": [10_000],
                          "pric_e4": [10_000], "amount_fen": [100]})
    visits = pd.DataFrame([{"mdtrt_id": "v", "psn_no": "P", "fixmedins_code": "H", "med_type": "21",
                            "begntime": pd.Timestamp("2026-03-01"), "endtime": pd.Timestamp("2026-03-02"),
                            "inst_level": 3, "gender": "1", "age": 40, "diagnoses": "K35.800"}])
    catalog = pd.DataFrame({"med_list_codg": ["X"]})
    assert run_audit(lines, visits, catalog, [MCC, DXPX, LOWADM, SPLIT]).empty


def test_bad_parameters_are_refused_naming_the_key():
    bad = AuditRule("CODE-LOWADM", "coding_low_admission", {"diag_prefixes": [], "cost_ratio": "0"}, "suspect")
    assert [e.split(":")[0] for e in validate_rule(bad)] == ["diag_prefixes", "cost_ratio"]
    with pytest.raises(ValueError, match="CODE-LOWADM: diag_prefixes"):
        audit([case("x", "E11.900")], rules=[bad])


CODES = st.text(alphabet="AB12.", min_size=0, max_size=5)


@settings(max_examples=200, deadline=None)
@given(st.lists(CODES, max_size=12), st.lists(CODES.filter(bool), max_size=6))
def test_prefix_pairs_is_every_startswith_pair(codes, prefixes):
    i, j = prefix_pairs(pd.Series(codes, dtype=object), pd.Series(prefixes, dtype=object))
    expected = [(a, b) for a, c in enumerate(codes) for b, p in enumerate(prefixes) if c.startswith(p)]
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 700_000), st.sampled_from([2, 3]),
                          st.sampled_from(["B", "A0", ""])), min_size=1, max_size=10),
       st.integers(1, 5), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1.5"), places=2))
def test_low_admission_matches_its_definition(rows, max_days, ratio):
    """A hit exactly when grouped, stay ≤ max_days and cost < ratio × the group's reference at the level."""
    rule = AuditRule("L", "coding_low_admission", {"diag_prefixes": ["E11", "K35"], "max_days": max_days,
                                                   "cost_ratio": str(ratio)}, "suspect")
    refs = {("B", 3): 600_000, ("B", 2): 500_000, ("A0", 3): 420_000}
    cases = [case(f"c{n}", "E11.900" if g != "A0" else "K35.900", group=g, psn=f"P{n}", level=level,
                  begn="2026-03-01 08:00", end=str(pd.Timestamp("2026-03-01 20:00") + pd.Timedelta(days=days)),
                  medfee=cost) for n, (days, cost, level, g) in enumerate(rows)]
    got = set(audit(cases, rules=[rule])["mdtrt_id"])
    expected = {f"c{n}" for n, (days, cost, level, g) in enumerate(rows)
                if (g, level) in refs and max(days, 1) <= max_days
                and Decimal(cost) < ratio * refs[(g, level)]}
    assert got == expected
    assert np.all(audit(cases, rules=[rule])["amount_fen"] == 700_000)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["P1", "P2"]), st.sampled_from(["H1", "H2"]), st.integers(0, 60),
                          st.integers(0, 10), st.sampled_from(["K35.800", "K35.900", "E11.900", "K80.100"])),
                min_size=1, max_size=8))
def test_split_is_exactly_the_readmission_pairs_with_the_same_diagnosis(stays):
    """CODE-SPLIT's hits are READM-001's (run by the fee-line audit on the same stays) whose two main diagnoses
    share their first three characters: the same window, the same pairs."""
    start = pd.Timestamp("2026-01-01 08:00")
    cases = [case(f"v{n}", diag, psn=psn, inst=inst, begn=str(start + pd.Timedelta(days=b)),
                  end=str(start + pd.Timedelta(days=b + length, hours=2)))
             for n, (psn, inst, b, length, diag) in enumerate(stays)]
    diag = {c["mdtrt_id"]: c["main_diag"] for c in cases}
    visits = pd.DataFrame(cases)[["mdtrt_id", "psn_no", "fixmedins_code", "med_type", "begntime", "endtime"]]
    no_lines = pd.DataFrame({"mdtrt_id": pd.Series(dtype=object), "feedetl_sn": pd.Series(dtype=object),
                             "med_list_codg": pd.Series(dtype=object), "cnt_e4": pd.Series(dtype=np.int64),
                             "pric_e4": pd.Series(dtype=np.int64), "amount_fen": pd.Series(dtype=np.int64)})
    readm = run_audit(no_lines, visits, pd.DataFrame({"med_list_codg": []}), [READM])
    expected = {(m, r) for m, r in zip(readm["mdtrt_id"], readm["related_mdtrt_id"], strict=True)
                if diag[m][:3] == diag[r][:3]}
    split = audit(cases, rules=[SPLIT, READM])
    assert set(zip(split["mdtrt_id"], split["related_mdtrt_id"], strict=True)) == expected
