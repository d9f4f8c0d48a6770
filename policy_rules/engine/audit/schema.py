"""The smart audit's rules as data: `AuditRule`, the parameter schema of every rule type (`SCHEMAS`,
`RULE_TYPES`), their validation and their normalization into the engine's integers.

`prepared(rule)` validates and normalizes a rule once for each distinct content and keeps the outcome: every
settlement hands the audit the same library again (read from the database as new objects), and checking
and scaling the same parameters each time would cost more than running most rules on one visit.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ..money import QTY_SCALE, RATIO_SCALE, scaled, to_decimal
from .rules import RULE_FUNCTIONS
from .units import HOUR_NS

SEVERITIES = {"warn": "提醒（上传/预结算时返回医药机构）", "suspect": "疑点（结算后审核）"}
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
    # the rule library's row (AuditRuleDefinition) when read from it: not part of the rule (nor of its equality)
    id: int | None = field(default=None, compare=False)


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
        "chronic_med_types": Param("med_types", "无门慢特资格信息时按慢特病天数计的医疗类别（有资格信息时按资格）",
                                   default=["14"]),
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
    # coding-quality rules over settlement lists: they run at the DIP run (audit.coding), not over fee lines
    "coding_cc": ("编码质量：严重并发症/合并症无支持性收费(高套编码)", {
        "support": Param("prefix_map", "{次要诊断编码前缀: [支持性收费项目编码前缀]}", required=True),
    }),
    "coding_dxpx": ("编码质量：主要诊断与主要手术操作不符", {
        "pairs": Param("prefix_map", "{主要诊断编码前缀: [相符的主要手术操作编码前缀]}", default=None),
        "use_grouping_table": Param("bool", "分组表中与主要诊断配对的手术操作也视为相符", default=True),
    }),
    "coding_low_admission": ("编码质量：低标准入院", {
        "diag_prefixes": Param("codes", "监测的主要诊断编码前缀", required=True),
        "max_days": Param("int", "住院天数不超过", default=3, minimum=1),
        "cost_ratio": Param("number", "医疗费用低于病种参考费用的倍数，如 0.3", default="0.3", minimum=0, above=True),
    }),
    "coding_split": ("编码质量：分解住院(再入院且主要诊断相同)", {
        "readmission_rule": Param("str", "借用其时间窗的再入院规则编码；空为在用的时间窗最长的再入院规则", default=""),
        "prefix_len": Param("int", "主要诊断比较的编码位数", default=3, minimum=1),
    }),
}
# the rule types that run over settlement lists (audit.coding), not over a batch of fee lines (run_audit)
LIST_RULE_TYPES = ("coding_cc", "coding_dxpx", "coding_low_admission", "coding_split")

RULE_TYPES: dict[str, tuple[str, dict[str, str]]] = {
    t: (label, {k: p.describe() for k, p in params.items()}) for t, (label, params) in SCHEMAS.items()
}
assert set(RULE_TYPES) == set(RULE_FUNCTIONS) | set(LIST_RULE_TYPES)


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
    elif rule_type == "coding_low_admission":
        p["cost_ratio_e6"] = scaled(p["cost_ratio"], RATIO_SCALE)
    return p



# --- validated and normalized once per distinct rule -------------------------------------------------------

_PREPARED: dict[str, tuple[list[str], dict | None]] = {}
PREPARED_MAX = 4096  # distinct rule contents kept; the cache starts afresh beyond (rules are edited rarely)
_SCALARS = {str, int, float, bool, Decimal, type(None)}
PLAIN_MAX = 100_000


def _plain(value) -> bool:
    """Whether value is made only of str, int, float, bool, Decimal, None, lists, tuples and dicts: values
    whose repr tells apart every two that validate or normalize differently (1, 1.0, "1", Decimal("1.0") and
    Decimal("1.00") all differ, and so do a list and a tuple, or the same dict in another order). False as
    well beyond PLAIN_MAX values (a container holding itself would never end)."""
    stack = [value]
    budget = PLAIN_MAX
    while stack:
        budget -= 1
        if budget < 0:
            return False
        v = stack.pop()
        kind = type(v)
        if kind in _SCALARS:
            continue
        if kind is list or kind is tuple:
            stack.extend(v)
        elif kind is dict:
            stack.extend(v.keys())
            stack.extend(v.values())
        else:
            return False
    return True


def prepared(rule: AuditRule) -> tuple[list[str], dict | None]:
    """(validate_rule(rule), its normalized params, or None when the rule has errors), kept per content.

    The kept params are normalized from a deep copy of the rule's, so that a caller changing its own params
    afterwards cannot change them; the rule functions only read them."""
    content = (rule.code, rule.rule_type, rule.severity, rule.params)
    key = repr(content) if _plain(content) else None
    if key is not None:
        found = _PREPARED.get(key)
        if found is not None:
            return found
    errors = validate_rule(rule)
    params = None
    if not errors:
        params = normalize_params(rule.rule_type, rule.params if key is None else copy.deepcopy(rule.params))
    if key is not None:
        if len(_PREPARED) >= PREPARED_MAX:
            _PREPARED.clear()
        _PREPARED[key] = (errors, params)
    return errors, params
