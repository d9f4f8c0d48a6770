"""Policy packs → per-visit parameter arrays, so that the benefit layers run as array operations.

Every visit gets the parameters of the benefit that applies to it (policy in force at setl_time,
insutype, med_type, institution level). Bands become (n, K) arrays of lower bounds, upper bounds and
ratios; a single ratio is one unbounded band.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lookup import str_isin
from .money import RATIO_SCALE, UNBOUNDED
from .pack import Band, PolicyPack

NO_LIMIT = -1  # a cap or annual maximum that is not set


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


def _isin(values: np.ndarray, choices) -> np.ndarray:
    """np.isin(values, list(choices)); by a set for a few str values (without numpy's fixed cost per call)."""
    found = str_isin(values, choices)
    return np.isin(values, list(choices)) if found is None else found


def _limit(value: int | None) -> int:
    return NO_LIMIT if value is None else value


def build_params(policies: list[PolicyPack], pol: np.ndarray, insutype: np.ndarray, med_type: np.ndarray,
                 level: np.ndarray, category: np.ndarray) -> VisitParams:
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
    )
    level_key = level.astype(str)
    for i, policy in enumerate(policies):
        in_pol = pol == i
        if not in_pol.any():
            continue
        for ben in policy.benefits:
            m = in_pol & (insutype == ben.insutype) & (med_type == ben.med_type)
            if not m.any():
                continue
            v.has_benefit[m] = True
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
