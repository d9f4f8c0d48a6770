"""Steps 3-8 of the spec: deductible, basic pool, large-amount layer, critical illness, medical
assistance and the personal account, for a set of visits at once; and the project's layers
(docs/benefit-layers.md): the civil-servant subsidy, veterans and maternity.

Every cap, band and balance is a function of a person's accumulated position in the year, held in
`state` slots. Visits are taken in rounds: round r holds every person's r-th visit in settlement
order, so no slot is touched twice in one round and all visits of a round are computed as arrays.
Settling visits one at a time or all at once therefore runs the same arithmetic on the same state.
"""
from __future__ import annotations

import numpy as np

from .money import RATIO_SCALE, div_round, mul_div_round
from .params import DELIVERY, NO_LIMIT, BandArrays, VisitParams

AMOUNTS = (
    "act_pay_dedc", "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt",
    "acct_pay", "psn_cash_pay",
)
# The project's layers: paid by the fund (in fund_pay_sumamt), and the maternity allowance (paid to the
# person, not part of fund_pay_sumamt).
LAYER_AMOUNTS = ("cvlserv_pay", "hifdm_pay", "oth_pay", "matn_pay")
ALLOWANCE = "matn_alwn_amt"
# Accumulator kinds, and the slot columns of the `slots` matrix in that order.
KINDS = (
    "admissions", "deductible_used", "band_position", "cap_paid", "large_amount_paid",
    "critical_illness_base", "assistance_base", "civil_servant_paid", "prenatal_paid",
)
ADM, DED, BAND, CAP, LA, CI, MA, CS, PRE = range(len(KINDS))


def banded(lo: np.ndarray, hi: np.ndarray, bands: BandArrays, rows: np.ndarray, bonus=None) -> np.ndarray:
    """round(Σ_k ratio_k × |[lo, hi] ∩ band_k|) for each row (fen)."""
    lower, upper, ratio = bands.lower[rows], bands.upper[rows], bands.ratio[rows]
    if bonus is not None:
        ratio = np.minimum(ratio + bonus[:, None], RATIO_SCALE)
    overlap = np.clip(np.minimum(hi[:, None], upper) - np.maximum(lo[:, None], lower), 0, None)
    if overlap.size == 0:
        return np.zeros(len(rows), np.int64)
    if int(overlap.max()) * RATIO_SCALE * overlap.shape[1] < 2**62:
        return div_round((overlap * ratio).sum(axis=1), RATIO_SCALE).astype(np.int64)
    total = [sum(int(o) * int(r) for o, r in zip(orow, rrow, strict=True)) for orow, rrow in zip(overlap, ratio, strict=True)]
    return np.array([q + (2 * rem >= RATIO_SCALE) for q, rem in (divmod(t, RATIO_SCALE) for t in total)], np.int64)


def capped(value: np.ndarray, cap: np.ndarray) -> np.ndarray:
    return np.where(cap == NO_LIMIT, value, np.minimum(value, cap))


def cumulative_layer(total: np.ndarray, deductible: np.ndarray, from_zero: np.ndarray, cap: np.ndarray,
                     bands: BandArrays, rows: np.ndarray) -> np.ndarray:
    """F(B) = min(cap, round(Σ ratio_k × the part of B above the deductible in band k))."""
    lo = np.where(from_zero, deductible, 0)
    hi = np.where(from_zero, np.maximum(deductible, total), np.maximum(total - deductible, 0))
    return capped(banded(lo, hi, bands, rows), cap)


def settle_rounds(v: dict, p: VisitParams, order_rounds: list[np.ndarray], slots: np.ndarray,
                  state: np.ndarray, account_slot: np.ndarray, balances: np.ndarray) -> dict:
    """Run the benefit layers. Mutates `state` and `balances`; returns per-visit amounts and deltas.

    v: per-visit arrays: eligible (bool), retiree (bool), medfee, fulamt, inscp, preselfpay (fen), wage (the
    employer's average monthly wage in fen, -1 unknown).
    slots: (n, len(KINDS)) state slot of each visit for each kind (-1: none).
    """
    n = len(v["inscp"])
    out = {name: np.zeros(n, np.int64) for name in (*AMOUNTS, *LAYER_AMOUNTS, ALLOWANCE)}
    deltas = np.zeros((n, len(KINDS)), np.int64)
    out["balc"] = np.zeros(n, np.int64)
    for rows in order_rounds:
        _settle_round(rows, v, p, slots, state, account_slot, balances, out, deltas)
    out["deltas"] = deltas
    return out


def _settle_round(rows, v, p: VisitParams, slots, state, account_slot, balances, out, deltas):
    elig = v["eligible"][rows]
    lay = elig & p.layers_apply[rows]  # the basic layers run (not for maternity, nor a veteran alone)
    inscp = v["inscp"][rows]
    pre = v["preselfpay"][rows]
    medfee = v["medfee"][rows]
    s = slots[rows]
    e = rows[lay]
    se = s[lay]

    def before(kind, sel=se):
        return state[sel[:, kind]]

    # 3. Deductible
    inscp_e = inscp[lay]
    per_adm = p.ded_per_admission[e]
    amount = p.ded_amount[e].copy()
    subsequent = per_adm & (before(ADM) >= 1)
    if subsequent.any():
        amount[subsequent] = mul_div_round(amount[subsequent], p.ded_factor[e][subsequent], RATIO_SCALE)
    used = before(DED)
    annual_max = p.ded_annual_max[e]
    has_max = per_adm & (annual_max != NO_LIMIT)
    amount = np.where(has_max, np.minimum(amount, np.maximum(annual_max - used, 0)), amount)
    amount = np.where(per_adm, amount, np.maximum(amount - used, 0))
    dedc = np.minimum(inscp_e, amount)

    # 4. Basic pool, banded over the year's position in the cap group (or med_type)
    eligible_expense = inscp_e - dedc
    pos = before(BAND)
    zero_base = p.band_base_zero[e]
    lo = np.where(zero_base, pos + dedc, pos)
    hi = np.where(zero_base, pos + inscp_e, pos + eligible_expense)
    bonus = np.where(v["retiree"][e], p.retiree_bonus[e], 0)
    uncapped = banded(lo, hi, p.pool, e, bonus)
    has_cap = se[:, CAP] >= 0
    cap = p.cap[e]
    cap_paid = np.where(has_cap, state[np.maximum(se[:, CAP], 0)], 0)
    room = np.where(has_cap & (cap != NO_LIMIT), np.maximum(cap - cap_paid, 0), NO_LIMIT)
    hifp = capped(uncapped, room)

    # 5. Employee large-amount layer on what the cap cut
    hifob = np.zeros(len(e), np.int64)
    cut = p.la_applies[e] & (uncapped > hifp)
    if cut.any():
        # the eligible expense the cap left unpaid: round(E × (uncapped − hifp) / uncapped)
        over_cap = mul_div_round(eligible_expense[cut], uncapped[cut] - hifp[cut], uncapped[cut])
        pay = mul_div_round(over_cap, p.la_ratio[e][cut], RATIO_SCALE)
        la_cap = p.la_cap[e][cut]
        la_room = np.where(la_cap == NO_LIMIT, NO_LIMIT, np.maximum(la_cap - before(LA)[cut], 0))
        hifob[cut] = capped(pay, la_room)

    # 6. Critical illness: cumulative F over the year's base B
    hifmi = np.zeros(len(e), np.int64)
    ci = p.ci_applies[e]
    if ci.any():
        r = e[ci]
        base = inscp_e[ci] - hifp[ci] - hifob[ci]
        base = base + np.where(p.ci_include_pre[r], pre[lay][ci], 0)
        base = base - np.where(p.ci_include_ded[r], 0, dedc[ci])
        base = np.maximum(base, 0)
        b0 = before(CI)[ci]
        args = (p.ci_deductible[r], p.ci_from_zero[r], p.ci_cap[r], p.ci, r)
        hifmi[ci] = cumulative_layer(b0 + base, *args) - cumulative_layer(b0, *args)
        deltas[r, CI] = base

    # 7. Civil-servant subsidy: on the deductible and on the in-scope co-pay the basic layers left
    cvlserv = np.zeros(len(e), np.int64)
    cs = p.cs_applies[e]
    if cs.any():
        r = e[cs]
        copay = np.maximum(inscp_e[cs] - dedc[cs] - hifp[cs] - hifob[cs] - hifmi[cs], 0)
        raw = (mul_div_round(dedc[cs], p.cs_ded_ratio[r], RATIO_SCALE)
               + mul_div_round(copay, p.cs_ratio[r], RATIO_SCALE))
        cs_cap = p.cs_cap[r]
        cs_room = np.where(cs_cap == NO_LIMIT, NO_LIMIT, np.maximum(cs_cap - before(CS)[cs], 0))
        cvlserv[cs] = capped(raw, cs_room)
        deltas[r, CS] = cvlserv[cs]

    # what the basic layers paid, over the round's rows (0 where they did not run)
    paid = {}
    for name, values in (("act_pay_dedc", dedc), ("hifp_pay", hifp), ("hifob_pay", hifob),
                         ("hifmi_pay", hifmi), ("cvlserv_pay", cvlserv)):
        full = np.zeros(len(rows), np.int64)
        full[lay] = values
        paid[name] = full
    layered = paid["hifp_pay"] + paid["hifob_pay"] + paid["hifmi_pay"] + paid["cvlserv_pay"]

    # 8. Veterans: the in-scope burden left (and the pre-payment of class 乙, where the scheme says)
    hifdm, oth = np.zeros(len(rows), np.int64), np.zeros(len(rows), np.int64)
    vet = elig & p.vet_applies[rows]
    if vet.any():
        r = rows[vet]
        base = np.maximum(inscp[vet] - layered[vet] + np.where(p.vet_include_pre[r], pre[vet], 0), 0)
        pay = mul_div_round(base, p.vet_ratio[r], RATIO_SCALE)
        hifdm[vet] = np.where(p.vet_hifdm[r], pay, 0)
        oth[vet] = np.where(p.vet_hifdm[r], 0, pay)

    # Maternity: a lump sum per delivery, prenatal care within a yearly limit; the allowance for the person
    matn, allowance = np.zeros(len(rows), np.int64), np.zeros(len(rows), np.int64)
    mt = elig & (p.matn_kind[rows] > 0)
    if mt.any():
        r = rows[mt]
        covered = medfee[mt] - v["fulamt"][r]
        delivery = p.matn_kind[r] == DELIVERY
        pre_room = np.maximum(p.matn_limit[r] - state[s[mt][:, PRE]], 0)
        matn[mt] = np.where(delivery, np.minimum(p.matn_lump[r], covered), np.minimum(covered, pre_room))
        deltas[r, PRE] = np.where(delivery, 0, matn[mt])
        wage = v["wage"][r]
        days = np.where(delivery & (wage >= 0), p.matn_days[r], 0)
        allowance[mt] = mul_div_round(days, np.maximum(wage, 0), p.matn_days_per_month[r])

    # 9. Medical assistance: cumulative G over the year's base A (not for maternity visits)
    maf = np.zeros(len(rows), np.int64)
    ma = elig & p.ma_applies[rows] & (p.matn_kind[rows] == 0)
    if ma.any():
        r = rows[ma]
        base = inscp[ma] - layered[ma] - hifdm[ma] - oth[ma]
        base = np.maximum(base + np.where(p.ma_include_pre[r], pre[ma], 0), 0)
        a0 = state[s[ma][:, MA]]
        lo_ma = p.ma_deductible[r]
        one_band = BandArrays(np.zeros((len(r), 1), np.int64), np.full((len(r), 1), 2**62, np.int64),
                              p.ma_ratio[r][:, None])
        idx = np.arange(len(r))
        g1 = capped(banded(lo_ma, np.maximum(lo_ma, a0 + base), one_band, idx), p.ma_cap[r])
        g0 = capped(banded(lo_ma, np.maximum(lo_ma, a0), one_band, idx), p.ma_cap[r])
        maf[ma] = g1 - g0
        deltas[r, MA] = base

    # Accumulate (eligible visits only: an ineligible visit accumulates nothing)
    deltas[e, ADM] = per_adm.astype(np.int64)
    deltas[e, DED] = dedc
    deltas[e, BAND] = np.where(zero_base, inscp_e, eligible_expense)
    deltas[e, CAP] = np.where(has_cap, hifp, 0)
    deltas[e, LA] = hifob
    for kind in (ADM, DED, BAND, CAP, LA, CS):
        target = se[:, kind]
        ok = target >= 0
        state[target[ok]] += deltas[e[ok], kind]
    for kind, sel in ((CI, lay), (MA, ma), (PRE, mt)):
        target = s[sel][:, kind]
        ok = target >= 0
        state[target[ok]] += deltas[rows[sel][ok], kind]

    # 10. Totals and the personal account
    for name, values in (*paid.items(), ("hifdm_pay", hifdm), ("oth_pay", oth), ("matn_pay", matn),
                         ("maf_pay", maf), (ALLOWANCE, allowance)):
        out[name][rows] = values
    fund = np.where(elig, layered + hifdm + oth + matn + maf, 0)
    part = medfee - fund
    acct_slot = account_slot[rows]
    balance = balances[acct_slot]
    acct = np.where(elig & p.pa_applies[rows], np.minimum(part, balance), 0)
    balances[acct_slot] = balance - acct
    out["fund_pay_sumamt"][rows] = fund
    out["psn_part_amt"][rows] = part
    out["acct_pay"][rows] = acct
    out["psn_cash_pay"][rows] = part - acct
    out["balc"][rows] = balance - acct
