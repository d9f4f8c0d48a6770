"""One day of the city: the visits discharged that day, their fee lines and the day's uploads, as frames
(no Django)."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from devtools.synth.arrays import amount_fen, cat, zfill
from devtools.synth.reference import Reference
from devtools.synth.spec import PART_CATALOG, PART_DAY, CitySpec, rng_for
from devtools.synth.vocabulary import DIAGNOSES_INPATIENT, DIAGNOSES_OUTPATIENT

MED_TYPE_SHARES = (("11", 0.80), ("14", 0.08), ("21", 0.12))
PHARMACY_VISIT_SHARE = 0.15  # of the general outpatient visits
MEAN_LINES_PER_VISIT = 10.0  # what the shapes below give, used only to size a day before cutting it to L lines


def _choose(rng, weights: np.ndarray, size: int) -> np.ndarray:
    if size == 0 or len(weights) == 0:
        return np.zeros(size, dtype=np.int64)
    cdf = np.cumsum(weights, dtype=np.float64)
    return np.minimum(np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right"), len(weights) - 1)


@dataclass
class Day:
    date: dt.date
    visits: pd.DataFrame   # person, institution (positions), mdtrt_id, med_type, begntime, endtime, diagnoses
    lines: pd.DataFrame    # visit (position), feedetl_sn, med_list_codg, cnt_e4, pric_e4, amount_fen, fee_ocur_time
    uploads: pd.DataFrame  # institution (position), created_at, line_count


def day(spec: CitySpec, ref: Reference, n: int) -> Day:
    """Day n (0-based) of the city: visits discharged that day and their lines, uploaded that day."""
    rng = rng_for(spec.seed, PART_DAY, n)
    date = spec.start_date + dt.timedelta(days=n)
    midnight = np.datetime64(date, "s")
    inst, persons, catalog = ref.institutions, ref.persons, ref.catalog

    # size the day: draw visits with their line counts, then cut at exactly L lines (or take V visits)
    if spec.visits_per_day is not None:
        nv = spec.visits_per_day
    else:
        nv = max(1, math.ceil(spec.lines_per_day / MEAN_LINES_PER_VISIT * 1.25) + 10)
    med_type = rng.choice(np.array([m for m, _ in MED_TYPE_SHARES]), size=nv,
                          p=np.array([p for _, p in MED_TYPE_SHARES]))
    inpatient = med_type == "21"
    at_pharmacy = (med_type == "11") & (rng.random(nv) < PHARMACY_VISIT_SHARE)
    stay = np.where(inpatient, np.minimum(1 + np.floor(rng.gamma(1.6, 5.0, nv)), 90), 0).astype(np.int64)
    extra_beds = np.where(inpatient & (rng.random(nv) < 0.03), rng.integers(1, 4, nv), 0)  # bed days beyond stay
    other = np.select([inpatient, med_type == "14", at_pharmacy],
                      [rng.poisson(stay * 4.0) + 2, np.minimum(rng.geometric(0.16, nv), 40),
                       np.minimum(rng.geometric(0.40, nv), 8)],
                      default=np.minimum(rng.geometric(0.24, nv), 30))
    counts = (2 * stay + extra_beds + other).astype(np.int64)
    if spec.lines_per_day is not None:
        total = np.cumsum(counts)
        while total[-1] < spec.lines_per_day:  # not expected with the 25 % margin; draw more of the same
            counts = np.r_[counts, counts[: len(counts)]]
            med_type, inpatient, at_pharmacy, stay, extra_beds, other = (
                np.r_[a, a[: len(a)]] for a in (med_type, inpatient, at_pharmacy, stay, extra_beds, other))
            total = np.cumsum(counts)
        nv = int(np.searchsorted(total, spec.lines_per_day, side="left")) + 1
        counts = counts[:nv].copy()
        counts[-1] -= int(total[nv - 1] - spec.lines_per_day)
        med_type, inpatient, at_pharmacy, stay, extra_beds, other = (
            a[:nv] for a in (med_type, inpatient, at_pharmacy, stay, extra_beds, other))

    # who, where, when
    person = _choose(rng, persons["_weight"].to_numpy(), nv)
    kind, level = inst["kind"].to_numpy(), inst["level"].to_numpy()
    w = inst["_weight"].to_numpy()
    pharmacies = np.flatnonzero(kind == "pharmacy")
    hospitals = np.flatnonzero(kind == "hospital")
    wards = np.flatnonzero((kind == "hospital") & (level >= 1))
    primary = np.flatnonzero((kind == "hospital") & (level <= 1))
    # residents' general outpatient care is mostly at primary care (基层首诊), where their pooling pays
    resident = persons["insutype"].to_numpy()[person] == "390"
    at_primary = (med_type == "11") & ~at_pharmacy & resident & (rng.random(nv) < 0.75)
    institution = np.empty(nv, dtype=np.int64)
    for mask, pool in ((at_pharmacy, pharmacies), (inpatient, wards), (at_primary, primary),
                       (~at_pharmacy & ~inpatient & ~at_primary, hospitals)):
        institution[mask] = pool[_choose(rng, w[pool], int(mask.sum()))]
    end = midnight + (8 * 3600 + rng.integers(0, 12 * 3600, nv)).astype("timedelta64[s]")
    outpatient_len = rng.integers(5 * 60, 150 * 60, nv)
    begin = np.where(inpatient, midnight - (stay * 86400 - rng.integers(8 * 3600, 20 * 3600, nv)).astype(
        "timedelta64[s]"), end - outpatient_len.astype("timedelta64[s]"))
    begin = np.minimum(begin, end - np.timedelta64(60, "s"))
    diagnoses = np.where(inpatient, DIAGNOSES_INPATIENT[rng.integers(0, len(DIAGNOSES_INPATIENT), nv)],
                         DIAGNOSES_OUTPATIENT[rng.integers(0, len(DIAGNOSES_OUTPATIENT), nv)])
    visits = pd.DataFrame({
        "mdtrt_id": cat("M", date.strftime("%Y%m%d"), zfill(np.arange(1, nv + 1), 8)), "person": person,
        "institution": institution, "med_type": med_type, "begntime": begin, "endtime": end,
        "diagnoses": diagnoses,
    })

    # lines: one row per (visit, k); inpatient stays begin with their bed and ward-round fees per day
    nl = int(counts.sum())
    vix = np.repeat(np.arange(nv), counts)
    k = np.arange(nl) - np.repeat(np.cumsum(counts) - counts, counts)
    v_stay, v_beds = stay[vix], (stay + extra_beds)[vix]
    v_begin, v_end, v_in = begin[vix], end[vix], inpatient[vix]
    codes = catalog["med_list_codg"].to_numpy()
    price = catalog["_price_fen"].to_numpy()
    ckind = catalog["_kind"].to_numpy()
    names = catalog["name"].to_numpy()
    bed = int(np.flatnonzero(names == "床位费(三人间)")[0])
    ward_round = int(np.flatnonzero(names == "住院诊查费")[0])
    consult = int(np.flatnonzero(names == "普通门诊诊查费")[0])
    is_bed = v_in & (k < v_beds)
    is_round = v_in & (k >= v_beds) & (k < v_beds + v_stay)
    is_consult = ~v_in & (k == 0) & ~at_pharmacy[vix] & (rng.random(nl) < 0.7)
    item = np.full(nl, -1, dtype=np.int64)
    item[is_bed], item[is_round], item[is_consult] = bed, ward_round, consult
    free = item < 0
    # the other lines: drugs, services, consumables by popularity (Zipf-like), drugs only at pharmacies
    pop = 1.0 / (1.0 + rng_for(spec.seed, PART_CATALOG, 1).permutation(len(catalog))) ** 0.8
    u = rng.random(nl)
    pool_of_line = np.where(at_pharmacy[vix], "drug",
                            np.where(u < np.where(v_in, 0.50, 0.60), "drug",
                                     np.where(u < np.where(v_in, 0.80, 0.95), "service", "consumable")))
    for pool in ("drug", "service", "consumable"):
        mask = free & (pool_of_line == pool)
        members = np.flatnonzero(ckind == pool)
        item[mask] = members[_choose(rng, pop[members], int(mask.sum()))]
    # duplicate charges: a line repeats the previous one of its visit (same item, time, count and price)
    dup = (k >= 1) & free & (rng.random(nl) < 0.004)
    dup &= ~np.r_[False, dup[:-1]]
    src = np.where(dup, np.arange(nl) - 1, np.arange(nl))
    item = item[src]
    d = rng.random(nl)
    cnt_e4 = np.select(
        [is_bed | is_round | is_consult, ckind[item] == "drug", ckind[item] == "service"],
        [np.full(nl, 10_000), np.where(d < 0.05, 5_000 * rng.integers(1, 6, nl), 10_000 * (1 + rng.poisson(1.5, nl))),
         np.where(d < 0.8, 10_000, 10_000 * rng.integers(2, 4, nl))],
        default=10_000 * rng.integers(1, 4, nl)).astype(np.int64)
    limit = catalog["price_limit_fen"].to_numpy()[item]
    over = (limit >= 0) & (rng.random(nl) < 0.12)  # price-limit excess: 5-50 % above the limit
    pric_fen = np.where(over, np.round(price[item] * rng.uniform(1.05, 1.5, nl)), price[item]).astype(np.int64)
    pric_e4 = pric_fen * 100
    offset = np.select(
        [is_bed, is_round, v_in],
        [k * 86400 + 3600, (k - v_beds) * 86400 + 9 * 3600,
         rng.integers(0, np.maximum(v_stay, 1) * 86400, nl)],
        default=0)
    stay_seconds = (v_end - v_begin).astype(np.int64)
    inside = ~(is_bed | is_round)  # bed and ward-round fees are per day; the other lines fall within the visit
    offset = np.where(inside & ~v_in, (stay_seconds * rng.random(nl)).astype(np.int64),
                      np.where(inside, np.minimum(offset, stay_seconds), offset))
    fee_time = v_begin + offset.astype("timedelta64[s]")
    cnt_e4, pric_e4, fee_time = cnt_e4[src], pric_e4[src], fee_time[src]
    codes_out = codes[item]
    local_code = (rng.random(nl) < 0.003) & ~is_bed & ~is_round
    codes_out = np.where(local_code, cat("ZZ", zfill(institution[vix], 5), "-", zfill(item, 6)), codes_out)
    lines = pd.DataFrame({
        "visit": vix, "feedetl_sn": (k + 1).astype(str), "med_list_codg": codes_out, "cnt_e4": cnt_e4,
        "pric_e4": pric_e4, "amount_fen": amount_fen(cnt_e4, pric_e4), "fee_ocur_time": fee_time,
    })

    # one upload per institution with visits, created that evening
    used, line_count = np.unique(institution[vix], return_counts=True)
    created = midnight + (20 * 3600 + rng.integers(0, 3 * 3600, len(used))).astype("timedelta64[s]")
    uploads = pd.DataFrame({"institution": used, "created_at": created, "line_count": line_count})
    return Day(date, visits, lines, uploads)
