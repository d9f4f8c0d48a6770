"""Policy packs → per-visit parameter arrays, so that the benefit layers run as array operations.

Every visit gets the parameters of the benefit that applies to it (policy in force at setl_time,
insutype, med_type, institution level). Bands become (n, K) arrays of lower bounds, upper bounds and
ratios; a single ratio is one unbounded band.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .lookup import str_factorize, str_isin
from .money import RATIO_SCALE, UNBOUNDED, mul_div_round
from .pack import Band, PolicyPack

NO_LIMIT = -1  # a cap or annual maximum that is not set
DELIVERY, PRENATAL = 1, 2  # VisitParams.matn_kind


@dataclass
class BandArrays:
    lower: np.ndarray  # (n, K) int64 fen
    upper: np.ndarray  # (n, K) int64 fen
    ratio: np.ndarray  # (n, K) int64 ratio e6

    @classmethod
    def empty(cls, n: int, k: int) -> BandArrays:
        return cls(np.full((n, k), UNBOUNDED, np.int64), np.full((n, k), UNBOUNDED, np.int64),
                   np.zeros((n, k), np.int64))

    def set(self, mask: np.ndarray, bands: tuple[Band, ...]):
        lower = 0
        for k, band in enumerate(bands):
            upper = UNBOUNDED if band.upto_fen is None else band.upto_fen
            self.lower[mask, k] = lower
            self.upper[mask, k] = upper
            self.ratio[mask, k] = band.ratio_e6
            lower = upper


@dataclass
class VisitParams:
    has_benefit: np.ndarray
    level_covered: np.ndarray
    ded_per_admission: np.ndarray
    ded_amount: np.ndarray
    ded_factor: np.ndarray
    ded_annual_max: np.ndarray
    band_base_zero: np.ndarray
    retiree_bonus: np.ndarray
    cap_group: np.ndarray  # object: cap group or ""
    cap: np.ndarray
    pool: BandArrays
    la_applies: np.ndarray
    la_ratio: np.ndarray
    la_cap: np.ndarray
    ci_applies: np.ndarray
    ci_deductible: np.ndarray
    ci_from_zero: np.ndarray
    ci_cap: np.ndarray
    ci_include_pre: np.ndarray
    ci_include_ded: np.ndarray
    ci: BandArrays
    ma_applies: np.ndarray
    ma_ratio: np.ndarray
    ma_deductible: np.ndarray
    ma_cap: np.ndarray
    ma_include_pre: np.ndarray
    pa_applies: np.ndarray
    # docs/benefit-layers.md
    layers_apply: np.ndarray  # steps 3-7 (deductible to civil-servant subsidy) run for the visit
    ded_key: np.ndarray  # object: the key of the deductible it uses up (its med_type, or a 门慢特 key)
    chronic: np.ndarray  # a 门慢特 visit under a pack with `chronic`
    chronic_known: np.ndarray  # ... whose disease the pack lists
    chronic_inst_required: np.ndarray
    cs_applies: np.ndarray
    cs_ded_ratio: np.ndarray
    cs_ratio: np.ndarray
    cs_cap: np.ndarray
    vet_applies: np.ndarray
    vet_ratio: np.ndarray
    vet_include_pre: np.ndarray
    vet_hifdm: np.ndarray  # pays into hifdm_pay (伤残军人), else oth_pay (离休)
    matn_kind: np.ndarray  # 0 none, DELIVERY, PRENATAL
    matn_lump: np.ndarray  # delivery: the lump sum after the scheme's factor
    matn_limit: np.ndarray  # prenatal: the year's limit after the scheme's factor
    matn_days: np.ndarray  # delivery: days of allowance (0: none)
    matn_days_per_month: np.ndarray


def _isin(values: np.ndarray, choices) -> np.ndarray:
    """np.isin(values, list(choices)); by a set for a few str values (without numpy's fixed cost per call)."""
    found = str_isin(values, choices)
    return np.isin(values, list(choices)) if found is None else found


def _limit(value: int | None) -> int:
    return NO_LIMIT if value is None else value


def build_params(policies: list[PolicyPack], pol: np.ndarray, insutype: np.ndarray, med_type: np.ndarray,
                 level: np.ndarray, category: np.ndarray, parallel: np.ndarray | None = None,
                 dise_codg: np.ndarray | None = None, matn_type: np.ndarray | None = None) -> VisitParams:
    """Each visit's parameters. `parallel`: the insutypes of the person's parallel enrollments in force at
    admission, comma-joined ("320,510"); `dise_codg`: a 门慢特 visit's disease; `matn_type`: a delivery's
    kind (生育类别). Missing: none of them."""
    n = len(pol)
    zeros = lambda: np.zeros(n, np.int64)  # noqa: E731
    falses = lambda: np.zeros(n, bool)  # noqa: E731
    k_pool = max([len(b) for p in policies for ben in p.benefits for b in ben.ratio_by_level.values()] or [1])
    k_ci = max([len(p.critical_illness.bands) for p in policies if p.critical_illness] or [1])
    v = VisitParams(
        has_benefit=falses(), level_covered=falses(), ded_per_admission=falses(), ded_amount=zeros(),
        ded_factor=np.full(n, RATIO_SCALE, np.int64), ded_annual_max=np.full(n, NO_LIMIT, np.int64),
        band_base_zero=falses(), retiree_bonus=zeros(), cap_group=np.full(n, "", dtype=object),
        cap=np.full(n, NO_LIMIT, np.int64), pool=BandArrays.empty(n, k_pool),
        la_applies=falses(), la_ratio=zeros(), la_cap=np.full(n, NO_LIMIT, np.int64),
        ci_applies=falses(), ci_deductible=zeros(), ci_from_zero=falses(), ci_cap=np.full(n, NO_LIMIT, np.int64),
        ci_include_pre=falses(), ci_include_ded=falses(), ci=BandArrays.empty(n, k_ci),
        ma_applies=falses(), ma_ratio=zeros(), ma_deductible=zeros(), ma_cap=np.full(n, NO_LIMIT, np.int64),
        ma_include_pre=falses(), pa_applies=falses(),
        layers_apply=falses(), ded_key=np.asarray(med_type, dtype=object).copy(), chronic=falses(),
        chronic_known=falses(), chronic_inst_required=falses(),
        cs_applies=falses(), cs_ded_ratio=zeros(), cs_ratio=zeros(), cs_cap=np.full(n, NO_LIMIT, np.int64),
        vet_applies=falses(), vet_ratio=zeros(), vet_include_pre=falses(), vet_hifdm=falses(),
        matn_kind=zeros(), matn_lump=zeros(), matn_limit=zeros(), matn_days=zeros(),
        matn_days_per_month=np.full(n, 30, np.int64),
    )
    empty = np.full(n, "", dtype=object)
    parallel = empty if parallel is None else np.asarray(parallel, dtype=object)
    dise_codg = empty if dise_codg is None else np.asarray(dise_codg, dtype=object)
    matn_type = empty if matn_type is None else np.asarray(matn_type, dtype=object)
    level_key = level.astype(str)
    for i, policy in enumerate(policies):
        in_pol = pol == i
        if not in_pol.any():
            continue
        for ben in policy.benefits:
            _set_benefit(v, in_pol & (insutype == ben.insutype) & (med_type == ben.med_type), ben, policy,
                         level_key)
        if policy.chronic:
            _set_chronic(v, policy, in_pol & _isin(med_type, policy.chronic.med_types), insutype, dise_codg,
                         level_key)
        if policy.maternity:
            _set_maternity(v, policy.maternity, in_pol & _isin(med_type, policy.maternity.med_types), insutype,
                           med_type, parallel, matn_type)
        if policy.veterans:
            _set_veterans(v, policy.veterans, in_pol & _isin(med_type, policy.veterans.med_types), insutype,
                          parallel)
        if policy.civil_servant:
            cs = policy.civil_servant
            m = in_pol & _has_code(parallel, cs.insutype) & _isin(med_type, cs.med_types) & v.layers_apply
            v.cs_applies[m] = True
            v.cs_ded_ratio[m] = cs.deductible_ratio_e6
            v.cs_ratio[m] = cs.ratio_e6
            v.cs_cap[m] = _limit(cs.cap_fen)
        ci = policy.critical_illness
        if ci:
            m = in_pol & _isin(insutype, ci.insutypes) & _isin(med_type, ci.med_types)
            v.ci_applies[m] = True
            v.ci_deductible[m] = ci.deductible_fen
            v.ci_from_zero[m] = ci.bands_from == "zero"
            v.ci_cap[m] = _limit(ci.cap_fen)
            v.ci_include_pre[m] = ci.include_preselfpay
            v.ci_include_ded[m] = ci.include_deductible
            v.ci.set(m, ci.bands)
        ma = policy.medical_assistance
        if ma:
            in_mt = in_pol & _isin(med_type, ma.med_types)
            for name, cat in ma.categories.items():
                m = in_mt & (category == name)
                v.ma_applies[m] = True
                v.ma_ratio[m] = cat.ratio_e6
                v.ma_deductible[m] = cat.deductible_fen
                v.ma_cap[m] = _limit(cat.cap_fen)
                v.ma_include_pre[m] = ma.include_preselfpay
        pa = policy.personal_account
        if pa:
            m = in_pol & _isin(insutype, pa.insutypes) & _isin(med_type, pa.med_types)
            v.pa_applies[m] = True
    return v


def _set_benefit(v: VisitParams, m: np.ndarray, ben, policy: PolicyPack, level_key: np.ndarray) -> None:
    """The parameters of one benefit (a benefits[] entry, or a 门慢特 disease's) for the visits in m."""
    if not m.any():
        return
    v.has_benefit[m] = True
    v.layers_apply[m] = True
    ded = ben.deductible
    v.ded_per_admission[m] = ded.per == "admission"
    v.ded_factor[m] = ded.subsequent_factor_e6
    v.ded_annual_max[m] = _limit(ded.annual_max_fen)
    v.band_base_zero[m] = ben.band_base == "zero"
    v.retiree_bonus[m] = ben.retiree_bonus_e6
    v.cap_group[m] = ben.cap_group or ""
    v.cap[m] = _limit(policy.caps_fen.get(ben.cap_group)) if ben.cap_group else NO_LIMIT
    for lv, bands in ben.ratio_by_level.items():
        ml = m & (level_key == lv)
        if not ml.any():
            continue
        v.level_covered[ml] = True
        v.ded_amount[ml] = ded.by_level_fen.get(lv, ded.by_level_fen.get("*", 0))
        v.pool.set(ml, bands)
    la = policy.large_amount
    if la and ben.insutype in la.insutypes and ben.cap_group in la.cap_groups:
        v.la_applies[m] = True
        v.la_ratio[m] = la.ratio_e6
        v.la_cap[m] = _limit(la.cap_fen)


def _has_code(parallel: np.ndarray, code: str) -> np.ndarray:
    """Whether each visit's comma-joined parallel insutypes include `code` (each distinct list split once)."""
    small = str_factorize(parallel)  # a few str values: by a dict, as pd.factorize numbers them
    codes, uniques = pd.factorize(parallel) if small is None else small
    found = np.array([code in str(u).split(",") for u in uniques] + [False], dtype=bool)
    return found[codes]


def _set_chronic(v: VisitParams, policy: PolicyPack, m: np.ndarray, insutype, dise_codg, level_key) -> None:
    if not m.any():
        return
    v.chronic[m] = True
    for code, disease in policy.chronic.diseases.items():
        md = m & (dise_codg == code)
        if not md.any():
            continue
        v.chronic_known[md] = True
        v.chronic_inst_required[md] = disease.institution_required
        for ins, cb in disease.benefits.items():
            mb = md & (insutype == ins)
            _set_benefit(v, mb, cb.benefit, policy, level_key)
            v.ded_key[mb] = cb.deductible_key


def _set_maternity(v: VisitParams, mat, m: np.ndarray, insutype, med_type, parallel, matn_type) -> None:
    """A maternity visit is settled under the 510 scheme when the person holds it, else under their basic
    insutype's scheme if the pack lists one; the basic layers (3-9) do not run for it."""
    if not m.any():
        return
    scheme_of = np.full(len(m), "", dtype=object)
    for ins in mat.schemes:
        if ins in ("510",):
            continue
        scheme_of[m & (insutype == ins)] = ins
    if "510" in mat.schemes:
        scheme_of[m & _has_code(parallel, "510")] = "510"
    delivery = m & _isin(med_type, mat.delivery_med_types)
    prenatal = m & _isin(med_type, mat.prenatal_med_types)
    for ins, scheme in mat.schemes.items():
        ms = scheme_of == ins
        if not ms.any():
            continue
        v.level_covered[ms] = True
        v.matn_days_per_month[ms] = mat.days_per_month
        mp = ms & prenatal
        v.has_benefit[mp] = True
        v.matn_kind[mp] = PRENATAL
        v.matn_limit[mp] = mul_div_round(np.int64(mat.prenatal_limit_fen), scheme.factor_e6, RATIO_SCALE)
        for kind, lump in mat.delivery_lump_sum_fen.items():
            mk = ms & delivery & (matn_type == kind)
            v.has_benefit[mk] = True
            v.matn_kind[mk] = DELIVERY
            v.matn_lump[mk] = mul_div_round(np.int64(lump), scheme.factor_e6, RATIO_SCALE)
            if scheme.allowance:
                v.matn_days[mk] = mat.allowance_days.get(kind, 0)


def _set_veterans(v: VisitParams, vet, m: np.ndarray, insutype, parallel) -> None:
    """A veteran without a basic enrollment (the visit's insutype is the veteran one) has no basic layers;
    with one, the veteran enrollment is parallel and the layer pays after the basic ones."""
    if not m.any():
        return
    for ins, scheme in vet.schemes.items():
        alone = m & (insutype == ins)
        v.has_benefit[alone] = True
        v.level_covered[alone] = True
        mv = alone | (m & v.layers_apply & _has_code(parallel, ins))
        v.vet_applies[mv] = True
        v.vet_ratio[mv] = scheme.ratio_e6
        v.vet_include_pre[mv] = scheme.include_preselfpay
        v.vet_hifdm[mv] = scheme.amount == "hifdm_pay"
