"""Policy packs (shared/spec/policy-pack.md): parse, validate, and compile into engine parameters.

`parse_pack(doc)` returns a frozen `PolicyPack` or raises `PolicyPackError` whose `.errors` is a list of
`{"key": "benefits[2].ratio.by_level.3", "message": "..."}` naming every key at fault.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import schemes
from .money import RATIO_SCALE
from .packreader import Band, Reader

LEVELS = ("0", "1", "2", "3")
TOP_KEYS = {
    "code", "name", "region", "effective_from", "effective_to", "default_selfpay_prop", "caps",
    "benefits", "large_amount", "critical_illness", "medical_assistance", "personal_account",
    "civil_servant", "veterans", "maternity", "chronic",
}


class PolicyPackError(ValueError):
    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__("; ".join(f"{e['key']}: {e['message']}" for e in errors))


@dataclass(frozen=True)
class Deductible:
    per: str  # "admission" | "year"
    by_level_fen: dict[str, int]  # level → amount; "*" applies to every level
    subsequent_factor_e6: int = RATIO_SCALE
    annual_max_fen: int | None = None


@dataclass(frozen=True)
class Benefit:
    insutype: str
    med_type: str
    deductible: Deductible
    ratio_by_level: dict[str, tuple[Band, ...]]
    band_base: str  # "deductible" | "zero"
    retiree_bonus_e6: int
    cap_group: str | None


@dataclass(frozen=True)
class LargeAmount:
    insutypes: frozenset[str]
    cap_groups: frozenset[str]
    ratio_e6: int
    cap_fen: int | None


@dataclass(frozen=True)
class CriticalIllness:
    insutypes: frozenset[str]
    med_types: frozenset[str]
    deductible_fen: int
    bands: tuple[Band, ...]
    bands_from: str  # "deductible" | "zero"
    cap_fen: int | None
    include_preselfpay: bool
    include_deductible: bool


@dataclass(frozen=True)
class AssistanceCategory:
    ratio_e6: int
    deductible_fen: int
    cap_fen: int | None


@dataclass(frozen=True)
class MedicalAssistance:
    med_types: frozenset[str]
    include_preselfpay: bool
    categories: dict[str, AssistanceCategory]


@dataclass(frozen=True)
class PersonalAccountRule:
    insutypes: frozenset[str]
    med_types: frozenset[str]


@dataclass(frozen=True)
class PolicyPack:
    code: str
    name: str
    region: str
    effective_from: dt.date
    effective_to: dt.date | None
    default_selfpay_prop_e6: int
    caps_fen: dict[str, int | None]
    benefits: tuple[Benefit, ...]
    large_amount: LargeAmount | None = None
    critical_illness: CriticalIllness | None = None
    medical_assistance: MedicalAssistance | None = None
    personal_account: PersonalAccountRule | None = None
    civil_servant: schemes.CivilServant | None = None
    veterans: schemes.Veterans | None = None
    maternity: schemes.Maternity | None = None
    chronic: schemes.Chronic | None = None
    document: dict = field(default_factory=dict, compare=False, repr=False)

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def benefit(self, insutype: str, med_type: str) -> Benefit | None:
        for b in self.benefits:
            if b.insutype == insutype and b.med_type == med_type:
                return b
        return None


def _deductible(r: Reader, d, key: str) -> Deductible | None:
    d = r.obj(d, key)
    if d is None:
        return None
    r.unknown(d, {"per", "by_level", "amount", "subsequent_factor", "annual_max"}, key)
    per = d.get("per")
    if per not in ("admission", "year"):
        r.err(f"{key}.per", "must be admission or year")
        return None
    by_level: dict[str, int] = {}
    if "by_level" in d:
        levels = r.obj(d["by_level"], f"{key}.by_level")
        for lv, amt in (levels or {}).items():
            if lv not in LEVELS:
                r.err(f"{key}.by_level.{lv}", "level must be one of 0, 1, 2, 3")
                continue
            v = r.money(amt, f"{key}.by_level.{lv}")
            if v is not None:
                by_level[lv] = v
        if "amount" in d:
            r.err(f"{key}.amount", "give either amount or by_level, not both")
    elif "amount" in d:
        v = r.money(d["amount"], f"{key}.amount")
        if v is not None:
            by_level["*"] = v
    else:
        r.err(f"{key}.by_level", "amount or by_level is required")
    factor = RATIO_SCALE
    annual_max = None
    if per == "admission":
        f = r.decimal(d.get("subsequent_factor", "1"), f"{key}.subsequent_factor", places=6, lo=0)
        factor = RATIO_SCALE if f is None else int(f * RATIO_SCALE)
        if d.get("annual_max") is not None:
            annual_max = r.money(d["annual_max"], f"{key}.annual_max")
    else:
        for k in ("subsequent_factor", "annual_max"):
            if k in d:
                r.err(f"{key}.{k}", "applies only to per: admission")
    return Deductible(per, by_level, factor, annual_max)


def _benefit(r: Reader, b, key: str, caps: dict) -> Benefit | None:
    b = r.obj(b, key)
    if b is None:
        return None
    r.unknown(b, {"insutype", "med_type", "deductible", "ratio", "cap_group"}, key)
    insutype = r.text(b.get("insutype"), f"{key}.insutype", r"\d{3}")
    med_type = r.text(b.get("med_type"), f"{key}.med_type", r"\d{1,4}")
    deductible = _deductible(r, b.get("deductible"), f"{key}.deductible")
    ratio = r.obj(b.get("ratio"), f"{key}.ratio")
    by_level: dict[str, tuple[Band, ...]] = {}
    band_base, bonus = "deductible", 0
    if ratio is not None:
        r.unknown(ratio, {"by_level", "band_base", "retiree_bonus"}, f"{key}.ratio")
        levels = r.obj(ratio.get("by_level"), f"{key}.ratio.by_level") or {}
        if not levels and "by_level" in ratio:
            r.err(f"{key}.ratio.by_level", "must name at least one level")
        for lv, v in levels.items():
            k = f"{key}.ratio.by_level.{lv}"
            if lv not in LEVELS:
                r.err(k, "level must be one of 0, 1, 2, 3")
            elif isinstance(v, list):
                by_level[lv] = r.bands(v, k)
            else:
                single = r.ratio(v, k)
                if single is not None:
                    by_level[lv] = (Band(None, single),)
        band_base = r.choice(ratio.get("band_base"), f"{key}.ratio.band_base", ("deductible", "zero"), "deductible")
        bonus = r.ratio(ratio.get("retiree_bonus", "0"), f"{key}.ratio.retiree_bonus") or 0
    if deductible is not None and "*" not in deductible.by_level_fen:
        for lv in by_level:
            if lv not in deductible.by_level_fen:
                r.err(f"{key}.deductible.by_level.{lv}", "missing for a level that has a ratio")
    cap_group = b.get("cap_group")
    if cap_group is not None and cap_group not in caps:
        r.err(f"{key}.cap_group", f"unknown cap group {cap_group!r} (not in caps)")
    if None in (insutype, med_type, deductible) or ratio is None:
        return None
    return Benefit(insutype, med_type, deductible, by_level, band_base, bonus, cap_group)


def _large_amount(r: Reader, d, caps) -> LargeAmount | None:
    d = r.obj(d, "large_amount", required=False)
    if d is None:
        return None
    r.unknown(d, {"insutypes", "cap_groups", "ratio", "cap"}, "large_amount")
    groups = r.codes(d.get("cap_groups"), "large_amount.cap_groups")
    for g in sorted(groups - set(caps)):
        r.err("large_amount.cap_groups", f"unknown cap group {g!r} (not in caps)")
    return LargeAmount(
        r.codes(d.get("insutypes"), "large_amount.insutypes"), groups,
        r.ratio(d.get("ratio"), "large_amount.ratio") or 0,
        None if d.get("cap") is None else r.money(d["cap"], "large_amount.cap"),
    )


def _critical_illness(r: Reader, d) -> CriticalIllness | None:
    key = "critical_illness"
    d = r.obj(d, key, required=False)
    if d is None:
        return None
    r.unknown(d, {"insutypes", "med_types", "deductible", "bands", "bands_from", "cap",
                  "include_preselfpay", "include_deductible"}, key)
    return CriticalIllness(
        r.codes(d.get("insutypes"), f"{key}.insutypes"),
        r.codes(d.get("med_types"), f"{key}.med_types"),
        r.money(d.get("deductible", "0"), f"{key}.deductible") or 0,
        r.bands(d.get("bands"), f"{key}.bands"),
        r.choice(d.get("bands_from"), f"{key}.bands_from", ("deductible", "zero"), "deductible"),
        None if d.get("cap") is None else r.money(d["cap"], f"{key}.cap"),
        r.flag(d.get("include_preselfpay"), f"{key}.include_preselfpay", False),
        r.flag(d.get("include_deductible"), f"{key}.include_deductible", True),
    )


def _medical_assistance(r: Reader, d) -> MedicalAssistance | None:
    key = "medical_assistance"
    d = r.obj(d, key, required=False)
    if d is None:
        return None
    r.unknown(d, {"med_types", "include_preselfpay", "categories"}, key)
    cats = {}
    for name, c in (r.obj(d.get("categories"), f"{key}.categories") or {}).items():
        k = f"{key}.categories.{name}"
        c = r.obj(c, k)
        if c is None:
            continue
        r.unknown(c, {"ratio", "deductible", "cap"}, k)
        ratio = r.ratio(c.get("ratio"), f"{k}.ratio")
        ded = r.money(c.get("deductible", "0"), f"{k}.deductible")
        cap = None if c.get("cap") is None else r.money(c["cap"], f"{k}.cap")
        if ratio is not None and ded is not None:
            cats[name] = AssistanceCategory(ratio, ded, cap)
    return MedicalAssistance(
        r.codes(d.get("med_types"), f"{key}.med_types"),
        r.flag(d.get("include_preselfpay"), f"{key}.include_preselfpay", False),
        cats,
    )


def parse_pack(doc) -> PolicyPack:
    """Validate a policy pack document; return the compiled pack or raise PolicyPackError."""
    r = Reader()
    if not isinstance(doc, dict):
        raise PolicyPackError([{"key": "", "message": "a policy pack must be a JSON/YAML object"}])
    r.unknown(doc, TOP_KEYS, "")
    code = r.text(doc.get("code"), "code", r"[A-Za-z0-9_.\-]{1,40}")
    name = r.text(doc.get("name"), "name")
    region = r.text(doc.get("region"), "region", r"\d{6}")
    start = r.date(doc.get("effective_from"), "effective_from")
    end = r.date(doc.get("effective_to"), "effective_to", required=False)
    if start and end and end < start:
        r.err("effective_to", "must not be before effective_from")
    default_prop = r.ratio(doc.get("default_selfpay_prop", "0"), "default_selfpay_prop")
    caps: dict[str, int | None] = {}
    for g, v in (r.obj(doc.get("caps"), "caps", required=False) or {}).items():
        caps[g] = None if v is None else r.money(v, f"caps.{g}")
    benefits = []
    seen = set()
    raw_benefits = doc.get("benefits")
    if not isinstance(raw_benefits, list) or not raw_benefits:
        r.err("benefits", "must be a non-empty list")
        raw_benefits = []
    for i, b in enumerate(raw_benefits):
        ben = _benefit(r, b, f"benefits[{i}]", caps)
        if ben is None:
            continue
        if (ben.insutype, ben.med_type) in seen:
            r.err(f"benefits[{i}]", f"duplicate benefit for insutype {ben.insutype} med_type {ben.med_type}")
        seen.add((ben.insutype, ben.med_type))
        benefits.append(ben)
    large = _large_amount(r, doc.get("large_amount"), caps)
    ci = _critical_illness(r, doc.get("critical_illness"))
    ma = _medical_assistance(r, doc.get("medical_assistance"))
    pa = None
    pa_doc = r.obj(doc.get("personal_account"), "personal_account", required=False)
    if pa_doc is not None:
        r.unknown(pa_doc, {"insutypes", "med_types"}, "personal_account")
        pa = PersonalAccountRule(
            r.codes(pa_doc.get("insutypes"), "personal_account.insutypes"),
            r.codes(pa_doc.get("med_types"), "personal_account.med_types"),
        )
    cs = schemes.civil_servant(r, doc.get("civil_servant"))
    vet = schemes.veterans(r, doc.get("veterans"))
    mat = schemes.maternity(r, doc.get("maternity"))
    chr_ = schemes.chronic(r, doc.get("chronic"), lambda rd, b, key: _benefit(rd, b, key, caps))
    _no_overlap(r, benefits, raw_benefits, mat, chr_)
    if r.errors:
        raise PolicyPackError(r.errors)
    return PolicyPack(
        code=code, name=name, region=region, effective_from=start, effective_to=end,
        default_selfpay_prop_e6=default_prop, caps_fen=caps, benefits=tuple(benefits),
        large_amount=large, critical_illness=ci, medical_assistance=ma, personal_account=pa,
        civil_servant=cs, veterans=vet, maternity=mat, chronic=chr_, document=doc,
    )


def _no_overlap(r: Reader, benefits: list[Benefit], raw: list, mat, chr_) -> None:
    """A med type is settled by one rule: maternity's and 门慢特's med types are not also in benefits[]."""
    taken = {}
    if mat is not None:
        taken.update({m: "maternity" for m in mat.med_types})
    if chr_ is not None:
        for m in chr_.med_types:
            if m in taken:
                r.err("chronic.med_types", f"med type {m} is already a maternity med type")
            taken[m] = "chronic"
    for i, ben in enumerate(benefits):
        if ben.med_type in taken:
            index = next((j for j, b in enumerate(raw) if isinstance(b, dict) and str(b.get("med_type")) == ben.med_type
                          and str(b.get("insutype")) == ben.insutype), i)
            r.err(f"benefits[{index}].med_type", f"med type {ben.med_type} is settled by {taken[ben.med_type]}, "
                  "not by benefits[]")
