"""Smart audit (智能审核, issue #5): a rule library run as frame operations over one visit or a day's batch.

    hits = run_audit(lines, visits, catalog, default_rules(), history=..., inst_stats=..., line_split=...)

Inputs (money in integer fen, cnt/pric scaled by 10^4; see money.py):
  lines       mdtrt_id, feedetl_sn, med_list_codg, cnt_e4, pric_e4, amount_fen, fee_ocur_time (may be NaT
              or absent: the admission day stands in for the fee day)
  visits      mdtrt_id, psn_no, fixmedins_code, med_type, begntime, endtime (NaT: not discharged), inst_level,
              gender, age (full years at admission), diagnoses (list/tuple of ICD-10 codes, or "A,B")
  catalog     frames.catalog_frame (an optional `name` column labels the items in the evidence)
  history     other visits of the same persons already stored (visits' columns, no lines): cross-visit rules
  inst_stats  fixmedins_code, med_type, avg_amount_fen, visits: for the outlier rule
  line_split  the engine's classify_lines output (reason per line): the restriction rule reports its
              RESTRICTED lines; without it the restrictions are recomputed from catalog and visits

Output: one row per hit: rule_code, rule_type, severity, mdtrt_id, feedetl_sns (tuple of the lines involved;
empty for a visit-level hit), amount_fen (int fen >= 0, the amount at stake), evidence (a Chinese sentence with
the numbers), related_mdtrt_id (the other visit of a cross-visit hit, else None). Rows come rule by rule in
the order of `rules`, and within a rule in the order of the visits.

"Lines involved": frequency, duplicate_charge, bed_days, prescription_days: every line of the offending group
(the amount is the excess only); mutually_exclusive: the main item's and the included items' lines of that
day (the amount is the included items'); course_limit: the lines on the days beyond the limit; the per-line
rules (restriction, indication, fee_outside_visit, price_markup): the line itself.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from .audit_rules import HOUR_NS, RULE_FUNCTIONS, AuditContext, AuditInputError, Hits
from .money import QTY_SCALE, RATIO_SCALE, scaled, to_decimal

SEVERITIES = {"warn": "提醒（上传/预结算时返回医药机构）", "suspect": "疑点（结算后审核）"}
OUTPUT_COLUMNS = ["rule_code", "rule_type", "severity", "mdtrt_id", "feedetl_sns", "amount_fen", "evidence",
                  "related_mdtrt_id"]
RESTRICTION_KINDS = ("gender", "age", "level", "med_type")


class AuditRuleError(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class AuditRule:
    code: str  # e.g. "FREQ-001"
    rule_type: str  # one of RULE_TYPES
    params: dict = field(default_factory=dict)  # JSON-able; see RULE_TYPES[rule_type][1]
    severity: str = "warn"  # "warn" or "suspect"
    name: str = ""


# --- parameter schemas ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    kind: str  # codes, number, int, enum, bool, str, med_types, dose_map, prefix_map, pairs, kinds
    doc: str
    required: bool = False
    default: object = None
    minimum: float | None = None  # for number and int
    above: bool = False  # minimum excluded
    choices: tuple = ()

    def describe(self) -> str:
        extra = "必填" if self.required else f"可选，默认 {self.default!r}"
        return f"{self.doc}（{extra}）"


MED_TYPES_DOC = "医疗类别列表，如 [\"21\"]"
SCHEMAS: dict[str, tuple[str, dict[str, Param]]] = {
    "restriction": ("限定支付范围（性别、年龄、机构等级、医疗类别）", {
        "kinds": Param("kinds", "检查的限定种类，gender/age/level/med_type 的子集", default=list(RESTRICTION_KINDS)),
    }),
    "frequency": ("超频次收费", {
        "codes": Param("codes", "项目编码列表", required=True),
        "max": Param("number", "每日或每次就诊允许的数量上限", required=True, minimum=0),
        "per": Param("enum", "计数周期：day 每日（按收费日期，无则按入院日期）或 visit 每次就诊", default="day",
                     choices=("day", "visit")),
        "unit": Param("str", "数量单位，用于证据", default="次"),
    }),
    "duplicate_charge": ("重复收费（同一时间同一项目同一金额重复上传）", {
        "exclude_codes": Param("codes", "不检查的项目编码", default=[]),
    }),
    "mutually_exclusive": ("重复收费（项目内涵包含，同日收取主项目与其包含的项目）", {
        "pairs": Param("pairs", "列表，每项 {main: 主项目编码, included: [被包含项目编码]}", required=True),
    }),
    "bed_days": ("床位费超住院天数（挂床、超标准收费）", {
        "codes": Param("codes", "床位费项目编码（合并计算床日）", required=True),
        "med_types": Param("med_types", MED_TYPES_DOC + "，空表示不限", default=[]),
        "open_stay_counts_last_day": Param("bool", "未出院时住院天数按最后收费日计入当天", default=True),
    }),
    "prescription_days": ("门诊超天数开药（超处方用量）", {
        "daily_dose": Param("dose_map", "{药品编码: 每日用量（与 cnt 同单位）}", required=True),
        "acute_days": Param("int", "普通门诊处方允许天数", default=3, minimum=1),
        "chronic_days": Param("int", "慢特病门诊处方允许天数", default=7, minimum=1),
        "long_days": Param("int", "长处方药品允许天数", default=30, minimum=1),
        "med_types": Param("med_types", "检查的门诊医疗类别", default=["11", "14"]),
        "chronic_med_types": Param("med_types", "按慢特病天数计的医疗类别", default=["14"]),
        "long_prescription_codes": Param("codes", "可开长处方的药品编码", default=[]),
    }),
    "course_limit": ("超限定支付疗程", {
        "codes": Param("codes", "项目编码列表（每个项目分别计）", required=True),
        "max_days": Param("int", "一次就诊内允许的不同收费日数", required=True, minimum=1),
    }),
    "indication": ("限适应症（诊断不符）", {
        "items": Param("prefix_map", "{项目编码: [允许的 ICD-10 诊断编码前缀]}", required=True),
    }),
    "readmission": ("分解住院（出院后短期内再次入住同一机构）", {
        "days": Param("int", "出院后多少天内再次入院视为分解住院", required=True, minimum=0),
        "med_types": Param("med_types", "住院医疗类别", default=["21"]),
    }),
    "overlapping_stays": ("住院时间重叠（同期在两家机构住院）", {
        "med_types": Param("med_types", "住院医疗类别", default=["21"]),
    }),
    "fee_outside_visit": ("就诊期间外收费（入院前、出院后）", {
        "grace_hours": Param("number", "出院时间后允许的收费宽限小时数", default=0, minimum=0),
    }),
    "price_markup": ("超限价收费", {
        "ratio": Param("number", "允许超出限价的比例，如 0.10", default=0, minimum=0),
    }),
    "outlier": ("费用异常（高于本机构同类就诊次均费用的倍数）", {
        "factor": Param("number", "次均费用的倍数", required=True, minimum=1),
        "min_visits": Param("int", "机构次均样本人次至少为多少才采信", default=30, minimum=1),
        "med_types": Param("med_types", MED_TYPES_DOC + "，空表示不限", default=[]),
    }),
}

RULE_TYPES: dict[str, tuple[str, dict[str, str]]] = {
    t: (label, {k: p.describe() for k, p in params.items()}) for t, (label, params) in SCHEMAS.items()
}
assert set(RULE_TYPES) == set(RULE_FUNCTIONS)


def _is_number(v) -> bool:
    if isinstance(v, bool) or v is None:
        return False
    try:
        d = to_decimal(v)
    except ValueError:
        return False
    return d.is_finite()


def _str_list_error(v, allow_empty: bool) -> str | None:
    if not isinstance(v, list | tuple):
        return "必须是字符串列表"
    if not v and not allow_empty:
        return "不能为空"
    if not all(isinstance(x, str) and x.strip() for x in v):
        return "每一项都必须是非空字符串"
    return None


def _check(key: str, p: Param, v) -> list[str]:
    k = p.kind
    if k in ("codes", "med_types"):
        e = _str_list_error(v, allow_empty=not p.required)
        return [f"{key}: {e}"] if e else []
    if k in ("number", "int"):
        if k == "int" and (isinstance(v, bool) or not isinstance(v, int)):
            return [f"{key}: 必须是整数"]
        if not _is_number(v):
            return [f"{key}: 必须是数值"]
        d = to_decimal(v)
        if p.minimum is not None and (d < Decimal(str(p.minimum)) or (p.above and d == Decimal(str(p.minimum)))):
            return [f"{key}: 必须{'大于' if p.above else '不小于'} {p.minimum}"]
        if k == "number" and d.as_tuple().exponent < -4:
            return [f"{key}: 最多 4 位小数"]
        return []
    if k == "enum":
        return [] if v in p.choices else [f"{key}: 必须是 {' / '.join(p.choices)} 之一"]
    if k == "bool":
        return [] if isinstance(v, bool) else [f"{key}: 必须是 true 或 false"]
    if k == "str":
        return [] if isinstance(v, str) else [f"{key}: 必须是字符串"]
    if k == "kinds":
        e = _str_list_error(v, allow_empty=False)
        if e:
            return [f"{key}: {e}"]
        bad = [x for x in v if x not in RESTRICTION_KINDS]
        return [f"{key}: 未知的限定种类 {bad}，可选 {list(RESTRICTION_KINDS)}"] if bad else []
    if k == "dose_map":
        if not isinstance(v, Mapping) or not v:
            return [f"{key}: 必须是非空对象 {{药品编码: 每日用量}}"]
        errs = []
        for code, dose in v.items():
            if not isinstance(code, str) or not code.strip():
                errs.append(f"{key}: 药品编码必须是非空字符串")
            elif not _is_number(dose) or to_decimal(dose) <= 0:
                errs.append(f"{key}.{code}: 每日用量必须是大于 0 的数值")
            elif to_decimal(dose).as_tuple().exponent < -4:
                errs.append(f"{key}.{code}: 最多 4 位小数")
        return errs
    if k == "prefix_map":
        if not isinstance(v, Mapping) or not v:
            return [f"{key}: 必须是非空对象 {{项目编码: [诊断编码前缀]}}"]
        errs = []
        for code, prefixes in v.items():
            if not isinstance(code, str) or not code.strip():
                errs.append(f"{key}: 项目编码必须是非空字符串")
                continue
            e = _str_list_error(prefixes, allow_empty=False)
            if e:
                errs.append(f"{key}.{code}: {e}")
        return errs
    if k == "pairs":
        if not isinstance(v, list | tuple) or not v:
            return [f"{key}: 必须是非空列表"]
        errs = []
        for i, pair in enumerate(v):
            at = f"{key}[{i}]"
            if not isinstance(pair, Mapping):
                errs.append(f"{at}: 必须是对象 {{main, included}}")
                continue
            errs += [f"{at}.{x}: 未知参数" for x in pair if x not in ("main", "included")]
            main = pair.get("main")
            if not isinstance(main, str) or not main.strip():
                errs.append(f"{at}.main: 必填，主项目编码")
            inc = pair.get("included")
            e = _str_list_error(inc, allow_empty=False) if inc is not None else "必填，被包含项目编码列表"
            if e:
                errs.append(f"{at}.included: {e}")
            elif main in inc:
                errs.append(f"{at}.included: 不能包含主项目 {main}")
        return errs
    raise AssertionError(k)


def validate_rule_params(rule_type: str, params) -> list[str]:
    """Every problem with `params` for `rule_type`, each message starting with the key at fault."""
    if rule_type not in SCHEMAS:
        return [f"rule_type: 未知的规则类型 {rule_type!r}，可选 {sorted(SCHEMAS)}"]
    if not isinstance(params, Mapping):
        return ["params: 必须是对象"]
    schema = SCHEMAS[rule_type][1]
    errors = [f"{k}: 未知参数，{rule_type} 的参数为 {sorted(schema)}" for k in params if k not in schema]
    for key, p in schema.items():
        if key not in params or params[key] is None:
            if p.required:
                errors.append(f"{key}: 必填 —— {p.doc}")
            continue
        errors += _check(key, p, params[key])
    return errors


def validate_rule(rule: AuditRule) -> list[str]:
    errors = []
    if not isinstance(rule.code, str) or not rule.code.strip():
        errors.append("code: 必填")
    if rule.severity not in SEVERITIES:
        errors.append(f"severity: 必须是 {' / '.join(SEVERITIES)} 之一")
    errors += validate_rule_params(rule.rule_type, rule.params)
    return errors


def normalize_params(rule_type: str, params: Mapping) -> dict:
    """Validated params with defaults filled in and numbers scaled to the engine's integers."""
    schema = SCHEMAS[rule_type][1]
    p = {k: (params[k] if params.get(k) is not None else spec.default) for k, spec in schema.items()}
    if rule_type == "frequency":
        p["max_e4"] = scaled(p["max"], QTY_SCALE)
    elif rule_type == "prescription_days":
        p["daily_dose_e4"] = {str(c): scaled(d, QTY_SCALE) for c, d in p["daily_dose"].items()}
    elif rule_type == "fee_outside_visit":
        p["grace_ns"] = int(to_decimal(p["grace_hours"]) * HOUR_NS)
    elif rule_type == "price_markup":
        p["ratio_e6"] = scaled(p["ratio"], RATIO_SCALE)
    elif rule_type == "outlier":
        p["factor_e6"] = scaled(p["factor"], RATIO_SCALE)
    return p


# --- running ---------------------------------------------------------------------------------------------------

def empty_hits() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "amount_fen" else object) for c in OUTPUT_COLUMNS})


def run_audit(lines: pd.DataFrame, visits: pd.DataFrame, catalog: pd.DataFrame, rules: Iterable[AuditRule],
              history: pd.DataFrame | None = None, inst_stats: pd.DataFrame | None = None,
              line_split: pd.DataFrame | None = None) -> pd.DataFrame:
    """Run every rule over the batch; one row per hit (see the module docstring)."""
    rules = list(rules)
    errors = [f"{r.code}: {e}" for r in rules for e in validate_rule(r)]
    if errors:
        raise AuditRuleError(errors)
    ctx = AuditContext(lines, visits, catalog, history=history, inst_stats=inst_stats, line_split=line_split)
    found: list[tuple[AuditRule, Hits]] = []
    for rule in rules:
        hits = RULE_FUNCTIONS[rule.rule_type](ctx, normalize_params(rule.rule_type, rule.params))
        if hits is not None and len(hits.vpos):
            found.append((rule, hits))
    if not found:
        return empty_hits()
    vpos, sns, amount, evidence, related, codes, types, sev, counts = [], [], [], [], [], [], [], [], []
    for rule, h in found:
        order = np.argsort(h.vpos, kind="stable")
        vpos.append(h.vpos[order])
        sns += [h.sns[i] for i in order.tolist()]
        amount.append(h.amount[order])
        evidence.append(np.asarray(h.evidence, dtype=object)[order])
        related.append(h.related[order] if h.related is not None else np.full(len(order), None, dtype=object))
        codes.append(rule.code)
        types.append(rule.rule_type)
        sev.append(rule.severity)
        counts.append(len(order))
    amount = np.concatenate(amount).astype(np.int64)
    if (amount < 0).any():
        raise AssertionError("a rule produced a negative amount")
    return pd.DataFrame({
        "rule_code": np.repeat(np.asarray(codes, dtype=object), counts),
        "rule_type": np.repeat(np.asarray(types, dtype=object), counts),
        "severity": np.repeat(np.asarray(sev, dtype=object), counts),
        "mdtrt_id": ctx.mdtrt_ids[np.concatenate(vpos)],
        "feedetl_sns": pd.Series(sns, dtype=object),
        "amount_fen": amount,
        "evidence": np.concatenate(evidence),
        "related_mdtrt_id": np.concatenate(related),
    }, columns=OUTPUT_COLUMNS)


# --- starter library -------------------------------------------------------------------------------------------

# Illustrative items (national-style codes) for the starter library when no catalog is given; with a catalog
# that has item names (the demo's synthetic city), default_rules(catalog) uses the codes of items of those names.
DEMO_ITEMS = {
    "普通门诊诊查费": "110200001", "住院诊查费": "110200005", "床位费(三人间)": "110900001",
    "静脉输液": "120400006", "换药": "120300001", "阑尾切除术": "331003002", "心电图": "310701001",
    "冠状动脉造影术": "320600003", "血常规": "250101015", "CT平扫": "210300001",
    "阿莫西林胶囊": "XJ01CAA040", "头孢克肟片": "XJ01DDA041", "二甲双胍片": "XA10BAA042",
    "硝苯地平缓释片": "XC08CAA043", "阿托伐他汀钙片": "XC10AAA044", "胰岛素注射液": "XA10ABA045",
    "利妥昔单抗注射液": "XL01XCA046", "黄体酮注射液": "XG03DAA047", "小儿止咳糖浆": "XR05CBA048",
    "复方丹参滴丸": "ZC01AAA049", "银杏叶片": "ZC01AAA050",
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
    rules = [AuditRule(code, rtype, params, severity, name) for code, rtype, name, severity, params in candidates]
    return [r for r in rules if not validate_rule(r)]


__all__ = [
    "OUTPUT_COLUMNS", "RULE_TYPES", "SEVERITIES", "AuditInputError", "AuditRule", "AuditRuleError", "default_rules",
    "normalize_params", "run_audit", "validate_rule", "validate_rule_params",
]
