"""The policy pack's layers beyond the shared spec (docs/benefit-layers.md): 门慢特 (`chronic`), maternity
(`maternity`), the civil-servant subsidy (`civil_servant`) and veterans (`veterans`).

Each key is optional: a pack without it settles exactly as the shared spec says. Parsed with the pack's
Reader, so an error names the key at fault like every other pack error. The chronic diseases' benefits
have the shape of a `benefits[]` entry and are read by the pack's own benefit parser, handed in by
pack.parse_pack (this module does not import pack.py, which imports it).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .packreader import Reader

FUND_CODE = r"\d{6}"
INSUTYPE = r"\d{3}"
VETERAN_AMOUNTS = ("oth_pay", "hifdm_pay")
DISEASE_CODE = r"[A-Z0-9]{1,20}"


@dataclass(frozen=True)
class CivilServant:
    insutype: str
    med_types: frozenset[str]
    deductible_ratio_e6: int
    ratio_e6: int
    cap_fen: int | None


@dataclass(frozen=True)
class VeteranScheme:
    ratio_e6: int
    include_preselfpay: bool
    amount: str  # the settlement amount it pays into: oth_pay (离休) or hifdm_pay (伤残军人)
    fund: str


@dataclass(frozen=True)
class Veterans:
    med_types: frozenset[str]
    schemes: dict[str, VeteranScheme]  # insutype → scheme


@dataclass(frozen=True)
class MaternityScheme:
    factor_e6: int
    fund: str
    allowance: bool


@dataclass(frozen=True)
class Maternity:
    delivery_med_types: frozenset[str]
    prenatal_med_types: frozenset[str]
    delivery_lump_sum_fen: dict[str, int]  # matn_type → lump sum before the scheme's factor
    prenatal_limit_fen: int
    schemes: dict[str, MaternityScheme]  # insutype (510, or a basic one) → scheme
    allowance_days: dict[str, int]  # matn_type → days of allowance
    days_per_month: int

    @property
    def med_types(self) -> frozenset[str]:
        return self.delivery_med_types | self.prenatal_med_types


@dataclass(frozen=True)
class ChronicBenefit:
    benefit: object  # pack.Benefit (its med_type is the chronic med type it was read for)
    deductible_key: str


@dataclass(frozen=True)
class ChronicDisease:
    code: str
    name: str
    icd10_prefixes: tuple[str, ...]
    institution_required: bool
    validity_months: int
    benefits: dict[str, ChronicBenefit]  # insutype → benefit


@dataclass(frozen=True)
class Capitation:
    disease: str
    max_level: int
    monthly_rate_fen: int


@dataclass(frozen=True)
class Chronic:
    med_types: frozenset[str]
    diseases: dict[str, ChronicDisease]  # disease code → disease
    capitation: tuple[Capitation, ...]


def civil_servant(r: Reader, d) -> CivilServant | None:
    key = "civil_servant"
    d = r.obj(d, key, required=False)
    if d is None:
        return None
    r.unknown(d, {"insutype", "med_types", "deductible_ratio", "ratio", "cap"}, key)
    return CivilServant(
        r.text(d.get("insutype", "320"), f"{key}.insutype", INSUTYPE) or "320",
        r.codes(d.get("med_types"), f"{key}.med_types"),
        r.ratio(d.get("deductible_ratio", "0"), f"{key}.deductible_ratio") or 0,
        r.ratio(d.get("ratio"), f"{key}.ratio") or 0,
        None if d.get("cap") is None else r.money(d["cap"], f"{key}.cap"),
    )


def veterans(r: Reader, d) -> Veterans | None:
    key = "veterans"
    d = r.obj(d, key, required=False)
    if d is None:
        return None
    r.unknown(d, {"med_types", "schemes"}, key)
    schemes = {}
    raw = r.obj(d.get("schemes"), f"{key}.schemes") or {}
    if not raw and "schemes" in d:
        r.err(f"{key}.schemes", "must name at least one insutype")
    for insutype, s in raw.items():
        k = f"{key}.schemes.{insutype}"
        if not re.fullmatch(INSUTYPE, str(insutype)):
            r.err(k, "insutype must be 3 digits")
            continue
        s = r.obj(s, k)
        if s is None:
            continue
        r.unknown(s, {"ratio", "include_preselfpay", "amount", "fund"}, k)
        amount = r.choice(s.get("amount"), f"{k}.amount", VETERAN_AMOUNTS, "oth_pay")
        schemes[str(insutype)] = VeteranScheme(
            r.ratio(s.get("ratio", "1"), f"{k}.ratio") or 0,
            r.flag(s.get("include_preselfpay"), f"{k}.include_preselfpay", True),
            amount, r.text(s.get("fund"), f"{k}.fund", FUND_CODE) or "",
        )
    return Veterans(r.codes(d.get("med_types"), f"{key}.med_types"), schemes)


def _days_by_kind(r: Reader, value, key: str) -> dict[str, int]:
    out = {}
    for kind, days in (r.obj(value, key, required=False) or {}).items():
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 366:
            r.err(f"{key}.{kind}", "must be a whole number of days between 0 and 366")
            continue
        out[str(kind)] = days
    return out


def maternity(r: Reader, d) -> Maternity | None:
    key = "maternity"
    d = r.obj(d, key, required=False)
    if d is None:
        return None
    r.unknown(d, {"med_types", "delivery_lump_sum", "prenatal_limit", "schemes", "allowance_days",
                  "days_per_month"}, key)
    mts = r.obj(d.get("med_types"), f"{key}.med_types") or {}
    r.unknown(mts, {"delivery", "prenatal"}, f"{key}.med_types")
    delivery = r.codes(mts.get("delivery"), f"{key}.med_types.delivery") if "delivery" in mts else frozenset()
    prenatal = r.codes(mts.get("prenatal"), f"{key}.med_types.prenatal") if "prenatal" in mts else frozenset()
    if delivery & prenatal:
        r.err(f"{key}.med_types", "a med type is either delivery or prenatal, not both")
    lump = {}
    for kind, amount in (r.obj(d.get("delivery_lump_sum"), f"{key}.delivery_lump_sum",
                               required=bool(delivery)) or {}).items():
        fen = r.money(amount, f"{key}.delivery_lump_sum.{kind}")
        if fen is not None:
            lump[str(kind)] = fen
    schemes = {}
    for insutype, s in (r.obj(d.get("schemes"), f"{key}.schemes") or {}).items():
        k = f"{key}.schemes.{insutype}"
        if not re.fullmatch(INSUTYPE, str(insutype)):
            r.err(k, "insutype must be 3 digits")
            continue
        s = r.obj(s, k)
        if s is None:
            continue
        r.unknown(s, {"factor", "fund", "allowance"}, k)
        schemes[str(insutype)] = MaternityScheme(
            r.ratio(s.get("factor", "1"), f"{k}.factor") or 0, r.text(s.get("fund"), f"{k}.fund", FUND_CODE) or "",
            r.flag(s.get("allowance"), f"{k}.allowance", False))
    per_month = d.get("days_per_month", 30)
    if isinstance(per_month, bool) or not isinstance(per_month, int) or not 1 <= per_month <= 31:
        r.err(f"{key}.days_per_month", "must be a whole number between 1 and 31")
        per_month = 30
    return Maternity(
        delivery, prenatal, lump,
        r.money(d.get("prenatal_limit", "0"), f"{key}.prenatal_limit") or 0,
        schemes, _days_by_kind(r, d.get("allowance_days"), f"{key}.allowance_days"), per_month,
    )


def chronic(r: Reader, d, read_benefit: Callable) -> Chronic | None:
    """`read_benefit(reader, doc, key)` is the pack's benefit parser (it checks the cap group too)."""
    key = "chronic"
    d = r.obj(d, key, required=False)
    if d is None:
        return None
    r.unknown(d, {"med_types", "diseases", "capitation"}, key)
    med_types = r.codes(d.get("med_types"), f"{key}.med_types")
    med_type = min(med_types) if med_types else "14"
    diseases: dict[str, ChronicDisease] = {}
    raw = d.get("diseases")
    if not isinstance(raw, list) or not raw:
        r.err(f"{key}.diseases", "must be a non-empty list")
        raw = []
    for i, dis in enumerate(raw):
        k = f"{key}.diseases[{i}]"
        dis = r.obj(dis, k)
        if dis is None:
            continue
        r.unknown(dis, {"code", "name", "icd10_prefixes", "institution_required", "validity_months",
                        "benefits"}, k)
        code = r.text(dis.get("code"), f"{k}.code", DISEASE_CODE)
        if code in diseases:
            r.err(f"{k}.code", f"duplicate disease {code}")
        months = dis.get("validity_months", 12)
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
            r.err(f"{k}.validity_months", "must be a whole number of months between 1 and 120")
            months = 12
        benefits = {}
        for insutype, b in (r.obj(dis.get("benefits"), f"{k}.benefits") or {}).items():
            bk = f"{k}.benefits.{insutype}"
            b = r.obj(b, bk)
            if b is None:
                continue
            ded = b.get("deductible")
            ded_key = ded.get("key") if isinstance(ded, dict) else None
            if isinstance(ded, dict) and "key" in ded:
                ded = {x: y for x, y in ded.items() if x != "key"}
            ben = read_benefit(r, {**b, "deductible": ded, "insutype": insutype, "med_type": med_type}, bk)
            if ben is not None and code:
                benefits[str(insutype)] = ChronicBenefit(ben, str(ded_key) if ded_key else code)
        prefixes = dis.get("icd10_prefixes") or []
        if not isinstance(prefixes, list) or not all(isinstance(p, str) and p for p in prefixes):
            r.err(f"{k}.icd10_prefixes", "must be a list of code prefixes")
            prefixes = []
        if code:
            diseases[code] = ChronicDisease(
                code, r.text(dis.get("name"), f"{k}.name") or code, tuple(p.upper() for p in prefixes),
                r.flag(dis.get("institution_required"), f"{k}.institution_required", False), months, benefits)
    capitation = []
    for i, c in enumerate(d.get("capitation") or []):
        k = f"{key}.capitation[{i}]"
        c = r.obj(c, k)
        if c is None:
            continue
        r.unknown(c, {"disease", "max_level", "monthly_rate"}, k)
        disease = r.text(c.get("disease"), f"{k}.disease", DISEASE_CODE)
        if disease and disease not in diseases:
            r.err(f"{k}.disease", f"unknown disease {disease} (not in chronic.diseases)")
        level = c.get("max_level", 1)
        if level not in (0, 1, 2, 3):
            r.err(f"{k}.max_level", "must be 0, 1, 2 or 3")
            level = 1
        rate = r.money(c.get("monthly_rate"), f"{k}.monthly_rate")
        if disease and rate is not None:
            capitation.append(Capitation(disease, level, rate))
    return Chronic(med_types, diseases, tuple(capitation))
