"""The starter rule library (`default_rules`): a few rules of every type, for the demo and the benchmarks."""
from __future__ import annotations

import pandas as pd

from .schema import AuditRule, validate_rule

# Illustrative items (national-style codes) for the starter library when no catalog is given; with a catalog
# that has item names (the demo's synthetic city), default_rules(catalog) uses the codes of items of those names.
DEMO_ITEMS = {
    "普通门诊诊查费": "110200001", "住院诊查费": "110200005", "床位费(三人间)": "110900001",
    "静脉输液": "120400006", "换药": "120300001", "阑尾切除术": "331003002", "心电图": "310701001",
    "冠状动脉造影术": "320600003", "血常规": "250101015", "CT平扫": "210300001",
    "阿莫西林胶囊": "XJ01CAA040", "头孢克肟片": "XJ01DDA041", "二甲双胍片": "XA10BAA042",
    "硝苯地平缓释片": "XC08CAA043", "阿托伐他汀钙片": "XC10AAA044", "胰岛素注射液": "XA10ABA045",
    "利妥昔单抗注射液": "XL01XCA046", "黄体酮注射液": "XG03DAA047", "小儿止咳糖浆": "XR05CBA048",
    "复方丹参滴丸": "ZC01AAA049", "银杏叶片": "ZC01AAA050", "吸氧": "120800001", "呼吸机辅助呼吸": "310603001",
    "血液透析": "311300002",
}


def _codes_by_name(catalog) -> dict[str, list[str]]:
    if catalog is None:
        return {name: [code] for name, code in DEMO_ITEMS.items()}
    df = catalog if isinstance(catalog, pd.DataFrame) else pd.DataFrame(list(catalog))
    code_col = "med_list_codg" if "med_list_codg" in df.columns else "code"
    name_col = "name" if "name" in df.columns else "med_list_name"
    out: dict[str, list[str]] = {}
    for code, name in zip(df[code_col].astype(str), df[name_col].astype(str), strict=True):
        out.setdefault(name, []).append(code)
    return out


def default_rules(catalog=None) -> list[AuditRule]:
    """A starter rule library, a few rules of every type, for the demo.

    The items are named; without `catalog` they get the illustrative codes of DEMO_ITEMS, with a catalog
    (a frame or records with med_list_codg/code and name) every item of that name. A rule whose items are
    not in the catalog is left out.
    """
    by_name = _codes_by_name(catalog)

    def codes(*names):
        return [c for n in names for c in by_name.get(n, [])]

    def one(name):
        c = codes(name)
        return c[0] if c else None

    drugs_doses = {"阿莫西林胶囊": 6, "头孢克肟片": 2, "二甲双胍片": 3, "硝苯地平缓释片": 2, "阿托伐他汀钙片": 1,
                   "小儿止咳糖浆": 30}
    daily_dose = {c: d for n, d in drugs_doses.items() for c in codes(n)}
    pairs = [{"main": m, "included": inc} for m, inc in (
        (one("住院诊查费"), codes("普通门诊诊查费")),
        (one("阑尾切除术"), codes("换药")),
        (one("冠状动脉造影术"), codes("心电图")),
    ) if m and inc]
    indication = {c: prefixes for n, prefixes in (
        ("二甲双胍片", ["E11", "E13", "E14", "R73"]),
        ("胰岛素注射液", ["E10", "E11", "E13", "E14", "O24"]),
        ("利妥昔单抗注射液", ["C82", "C83", "C85", "C91.1"]),
        ("黄体酮注射液", ["N91", "N92", "N97", "O20", "O26.2"]),
    ) for c in codes(n)}
    candidates = [
        ("RST-001", "restriction", "目录限定支付范围（性别/年龄/机构等级/医疗类别）", "warn", {}),
        ("RST-002", "restriction", "限性别项目用于不符性别患者", "suspect", {"kinds": ["gender"]}),
        ("FREQ-001", "frequency", "住院诊查费每日限收 1 次", "warn",
         {"codes": codes("住院诊查费"), "max": 1, "per": "day"}),
        ("FREQ-002", "frequency", "普通门诊诊查费每次就诊限收 1 次", "warn",
         {"codes": codes("普通门诊诊查费"), "max": 1, "per": "visit"}),
        ("FREQ-003", "frequency", "血常规每日限 2 次", "suspect", {"codes": codes("血常规"), "max": 2, "per": "day"}),
        ("FREQ-004", "frequency", "CT平扫每日限 3 个部位", "suspect",
         {"codes": codes("CT平扫"), "max": 3, "per": "day", "unit": "部位"}),
        ("DUP-001", "duplicate_charge", "同一项目同一时间重复收费", "warn", {}),
        ("DUP-002", "duplicate_charge", "同一项目同一时间重复收费（疑点）", "suspect",
         {"exclude_codes": codes("静脉输液")}),
        ("MEX-001", "mutually_exclusive", "项目内涵重复收费", "suspect", {"pairs": pairs}),
        ("BED-001", "bed_days", "床位费超住院天数", "warn", {"codes": codes("床位费(三人间)")}),
        ("BED-002", "bed_days", "挂床住院：住院床位费超实际住院天数", "suspect",
         {"codes": codes("床位费(三人间)"), "med_types": ["21"], "open_stay_counts_last_day": True}),
        ("RX-001", "prescription_days", "门诊超天数开药", "warn", {
            "daily_dose": daily_dose, "acute_days": 3, "chronic_days": 7, "long_days": 30,
            "long_prescription_codes": codes("二甲双胍片", "硝苯地平缓释片", "阿托伐他汀钙片")}),
        ("RX-002", "prescription_days", "门诊超天数开药（一般处方 7 日）", "suspect", {
            "daily_dose": daily_dose, "acute_days": 7, "chronic_days": 30, "long_days": 84,
            "long_prescription_codes": codes("二甲双胍片", "硝苯地平缓释片", "阿托伐他汀钙片")}),
        ("CRS-001", "course_limit", "中成药住院限定支付疗程 14 天", "suspect",
         {"codes": codes("复方丹参滴丸", "银杏叶片"), "max_days": 14}),
        ("CRS-002", "course_limit", "抗菌药物（头孢克肟片）一次就诊用药超 7 天", "warn", {"codes": codes("头孢克肟片"), "max_days": 7}),
        ("IND-001", "indication", "限适应症用药（诊断不符）", "suspect", {"items": indication}),
        ("READM-001", "readmission", "分解住院：出院 15 天内再次入住同一机构", "suspect", {"days": 15}),
        ("READM-002", "readmission", "出院次日即再次入院同一机构", "warn", {"days": 1}),
        ("OVL-001", "overlapping_stays", "同期在两家机构住院", "suspect", {}),
        ("OUT-001", "fee_outside_visit", "入院前或出院后收费", "warn", {}),
        ("OUT-002", "fee_outside_visit", "出院 24 小时后仍有收费", "suspect", {"grace_hours": 24}),
        ("PRC-001", "price_markup", "超限价收费", "warn", {"ratio": 0}),
        ("PRC-002", "price_markup", "超限价 10% 以上收费", "suspect", {"ratio": "0.10"}),
        ("OUTL-001", "outlier", "住院费用超过本机构次均 3 倍", "suspect",
         {"factor": 3, "min_visits": 30, "med_types": ["21"]}),
        ("OUTL-002", "outlier", "门诊费用超过本机构次均 5 倍", "suspect",
         {"factor": 5, "min_visits": 100, "med_types": ["11", "14"]}),
    ]
    # coding-quality rules over the settlement lists (audit.coding, at the DIP run; docs/dip.md)
    support = {prefix: items for prefix, items in (("J96", codes("吸氧", "呼吸机辅助呼吸")), ("N17", codes("血液透析")))
               if items}
    candidates += [
        ("CODE-MCC", "coding_cc", "高套编码：严重并发症/合并症无支持性收费", "suspect", {"support": support}),
        ("CODE-DXPX", "coding_dxpx", "主要诊断与主要手术操作不符", "suspect", {"use_grouping_table": True}),
        ("CODE-LOWADM", "coding_low_admission", "低标准入院：住院 3 天内且费用低于病种参考费用 30%", "suspect",
         {"diag_prefixes": ["E11", "I10", "I25", "J44", "K29", "M54"], "max_days": 3, "cost_ratio": "0.3"}),
        ("CODE-SPLIT", "coding_split", "分解住院：READM-001 时间窗内再入院且主要诊断相同", "suspect",
         {"readmission_rule": "READM-001", "prefix_len": 3}),
    ]
    rules = [AuditRule(code, rtype, params, severity, name) for code, rtype, name, severity, params in candidates]
    return [r for r in rules if not validate_rule(r)]
