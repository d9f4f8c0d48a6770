"""A synthetic city of any size, generated with vectorized numpy: deterministic for a seed.

`reference(spec)` builds the institutions, persons (with their enrollment and personal account) and the
catalog; `day(spec, ref, n)` builds one day's visits, uploads and fee lines. Both return plain pandas
frames (no Django), money in integer fen, quantities and prices scaled by 10^4, times as local wall
time (naive datetime64). Foreign keys are 0-based positions into the other frames; `write_city` turns
them into database ids and writes with PostgreSQL COPY (explicit ids reserved from the sequences), or
with bulk_create on other databases (small sizes only).

Every random draw comes from a generator seeded by (seed, part, day), so a day is the same whether it is
generated alone or after others, and the same seed always gives the same city.

What is in it:
  * institutions of every level 0-3 (村卫生室 … 三级医院) and retail pharmacies, a few not designated;
    visits go to them by level (a tertiary hospital sees far more patients than a clinic);
  * persons with valid GB 11643 certnos (check digit computed vectorized), Chinese names, both insutypes
    (310 employees, 390 residents), every psn_type, the assistance categories tekun/dibao/dibian, a few
    in contribution arrears or whose enrollment has ended;
  * a catalog in the national code shapes (Western drugs X + 22, Chinese patent drugs Z + 22, services
    15 digits or the 9-digit legacy codes, consumables C + 19 digits) with 甲/乙/丙 shares, own 乙类
    self-pay shares, price limits and restrictions (gender, age, institution level, inpatient only);
  * visits discharged on their day (general outpatient 11, chronic outpatient 14, inpatient 21, purchases
    at pharmacies), lines per visit geometric, lengths of stay gamma, prices lognormal; inpatient stays
    charge a bed fee and a ward-round fee per day; some lines break a restriction, exceed a price limit,
    charge the same item twice at the same time, or charge bed days beyond the stay; a few codes are not
    in the catalog;
  * one upload per institution and day, created on that day.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from devtools.synth_vocabulary import (
    ATC,
    CONSUMABLE_NAMES,
    DIAGNOSES_INPATIENT,
    DIAGNOSES_OUTPATIENT,
    DRUG_FORMS,
    DRUG_STEMS,
    GIVEN,
    LOCAL_DISTRICTS,
    NAMED_ITEMS,
    OTHER_DISTRICTS,
    PLACES,
    SERVICE_NAMES,
    SURNAMES,
    TCM_FORMS,
    TCM_STEMS,
)
from insurance.history import history_context
from insurance.validators import CERTNO_CHECK_CHARS, CERTNO_WEIGHTS

# the GB 11643 tables of insurance.validators, as arrays for certno_check_digits
_CERTNO_WEIGHTS = np.array(CERTNO_WEIGHTS, dtype=np.int64)
_CERTNO_CHECK_CHARS = np.array(list(CERTNO_CHECK_CHARS))

# parts of the seed: each part of the city has its own random stream
PART_INSTITUTIONS, PART_PERSONS, PART_CATALOG, PART_DAY = 1, 2, 3, 4

LEVEL_SHARES = {0: 0.40, 1: 0.27, 2: 0.20, 3: 0.13}  # of the hospitals
LEVEL_VISIT_WEIGHT = {0: 1.0, 1: 3.0, 2: 12.0, 3: 45.0}
PHARMACY_SHARE = 0.20
MED_TYPE_SHARES = (("11", 0.80), ("14", 0.08), ("21", 0.12))
PHARMACY_VISIT_SHARE = 0.15  # of the general outpatient visits
MEAN_LINES_PER_VISIT = 10.0  # what the shapes below give, used only to size a day before cutting it to L lines


@dataclass(frozen=True)
class CitySpec:
    persons: int
    institutions: int
    start_date: dt.date
    days: int = 1
    lines_per_day: int | None = None   # exactly this many fee lines a day ...
    visits_per_day: int | None = None  # ... or exactly this many visits (as many lines as they have)
    seed: int = 2026
    region: str = "410800"
    catalog_items: int = 3000

    def __post_init__(self):
        if self.persons < 1 or self.institutions < 5 or self.days < 1:
            raise ValueError("a city needs persons >= 1, institutions >= 5 (every level and a pharmacy), days >= 1")
        if (self.lines_per_day is None) == (self.visits_per_day is None):
            raise ValueError("give exactly one of lines_per_day and visits_per_day")
        if self.catalog_items < len(NAMED_ITEMS) + 10:
            raise ValueError(f"catalog_items must be at least {len(NAMED_ITEMS) + 10}")
        if self.institutions > 99_999:
            raise ValueError("at most 99,999 institutions (H + region + 5 digits)")

    def dates(self) -> list[dt.date]:
        return [self.start_date + dt.timedelta(days=i) for i in range(self.days)]


def rng_for(seed: int, part: int, n: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, part, n]))


# --- small vectorized helpers ---------------------------------------------------------------------------------

def zfill(values: np.ndarray, width: int) -> np.ndarray:
    if np.size(values) == 0:
        return np.zeros(0, dtype=f"U{width}")
    return np.char.zfill(np.asarray(values, dtype=np.int64).astype(str), width)


def cat(*parts) -> np.ndarray:
    """Element-wise string concatenation of arrays and scalars."""
    out = np.asarray(parts[0]).astype(str)
    for p in parts[1:]:
        out = np.char.add(out, np.asarray(p).astype(str))
    return out


def certno_check_digits(first17: np.ndarray) -> np.ndarray:
    """GB 11643 check characters of an array of 17-digit strings (ISO 7064 MOD 11-2): validators.certno_check_digit,
    vectorized."""
    first17 = np.asarray(first17, dtype="U17")
    digits = first17.view("U1").reshape(len(first17), 17).astype(np.int64) if len(first17) else \
        np.zeros((0, 17), np.int64)
    return _CERTNO_CHECK_CHARS[(digits @ _CERTNO_WEIGHTS) % 11]


def rank_within_groups(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each group of equal keys (int64), in the original order of the rows."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys)) - group_start
    return rank


def fen_text(fen: np.ndarray) -> np.ndarray:
    """Integer fen → '123.45' (non-negative), for COPY into numeric columns."""
    fen = np.asarray(fen, dtype=np.int64)
    return cat(fen // 100, ".", zfill(fen % 100, 2))


def e4_text(v: np.ndarray) -> np.ndarray:
    """Integer ×10^4 → '12.3400' (non-negative)."""
    v = np.asarray(v, dtype=np.int64)
    return cat(v // 10_000, ".", zfill(v % 10_000, 4))


def amount_fen(cnt_e4: np.ndarray, pric_e4: np.ndarray) -> np.ndarray:
    """round(cnt × pric) to the fen, half up (as the upload validation computes it), in integers."""
    return (cnt_e4 * pric_e4 + 500_000) // 1_000_000


# --- reference data -------------------------------------------------------------------------------------------

def make_institutions(spec: CitySpec) -> pd.DataFrame:
    rng = rng_for(spec.seed, PART_INSTITUTIONS)
    n = spec.institutions
    pharmacy = rng.random(n) < PHARMACY_SHARE
    level = rng.choice(np.array(list(LEVEL_SHARES)), size=n, p=np.array(list(LEVEL_SHARES.values())))
    # the first five: one of each level and a pharmacy, whatever the size
    level[:5] = (3, 2, 1, 0, 0)
    pharmacy[:5] = (False, False, False, False, True)
    level = np.where(pharmacy, 0, level)
    designated = ~((rng.random(n) < 0.02) & (np.arange(n) >= 5))
    seq = np.arange(1, n + 1)
    place = cat(PLACES[rng.integers(0, len(PLACES), n)], PLACES[rng.integers(0, len(PLACES), n)])
    names = np.select(
        [pharmacy, level == 3, level == 2, level == 1],
        [cat(place, "大药房第", seq, "店"), cat("示范市第", seq, "人民医院"), cat("示范市", place, "区人民医院"),
         np.where(seq % 2 == 0, cat(place, "街道社区卫生服务中心"), cat(place, "镇卫生院"))],
        default=cat(place, "村卫生室"))
    weight = np.vectorize(LEVEL_VISIT_WEIGHT.get)(level) * rng.lognormal(0.0, 0.5, n)
    return pd.DataFrame({
        "fixmedins_code": cat("H", spec.region, zfill(seq, 5)), "name": names, "level": level.astype(np.int64),
        "kind": np.where(pharmacy, "pharmacy", "hospital"), "designated": designated, "region": spec.region,
        "_weight": weight,
    })


def make_persons(spec: CitySpec) -> pd.DataFrame:
    """Persons with their one enrollment and personal account (columns prefixed by what they belong to)."""
    rng = rng_for(spec.seed, PART_PERSONS)
    n = spec.persons
    start = np.datetime64(spec.start_date, "D")
    year = spec.start_date.year
    male = rng.random(n) < 0.5
    employee = rng.random(n) < 0.45
    r = rng.random(n)
    psn_type = np.where(employee, np.where(r < 0.30, "retiree", "in_service"),
                        np.where(r < 0.25, "student_child", np.where(r < 0.70, "resident_adult", "elderly")))
    age = np.select([psn_type == "in_service", psn_type == "retiree", psn_type == "student_child",
                     psn_type == "resident_adult"],
                    [rng.integers(18, 60, n), rng.integers(60, 96, n), rng.integers(0, 18, n), rng.integers(18, 60, n)],
                    default=rng.integers(60, 100, n))
    birth = start - (age * 365 + rng.integers(1, 365, n)).astype("timedelta64[D]")
    # GB 11643: district (6) + birth date (8) + sequence (3, odd for men) + check character
    local = rng.random(n) < 0.9
    districts = np.where(local, np.array(LOCAL_DISTRICTS)[rng.integers(0, len(LOCAL_DISTRICTS), n)],
                         np.array(OTHER_DISTRICTS)[rng.integers(0, len(OTHER_DISTRICTS), n)])
    birth_days = birth.astype(np.int64)
    group = (districts.astype(np.int64) * 100_000 + (birth_days + 50_000)) * 2 + male
    rank = rank_within_groups(group)  # distinct sequence numbers for persons born the same day in a district
    offset = (group % 1_000_003 * 7_919) % 300  # where a group's numbering starts (scrambled, fixed)
    if rank.max(initial=0) >= 200:  # 2 × (299 + 199) + 2 = 998: still three digits
        raise ValueError("too many persons born on one day in one district for GB 11643 sequence numbers")
    seq3 = 2 * (offset + rank) + np.where(male, 1, 2)
    ymd = np.datetime_as_string(birth, unit="D")
    first17 = cat(districts, np.char.replace(ymd, "-", ""), zfill(seq3, 3))
    certno = np.char.add(first17, certno_check_digits(first17))
    # names: common surnames far more often; one or two given characters
    sw = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.9
    surname = SURNAMES[rng.choice(len(SURNAMES), n, p=sw / sw.sum())]
    g1, g2 = GIVEN[rng.integers(0, len(GIVEN), n)], GIVEN[rng.integers(0, len(GIVEN), n)]
    name = np.where(rng.random(n) < 0.7, cat(surname, g1, g2), cat(surname, g1))
    # enrollment: employees since they started work, residents since birth or the scheme's start
    floor = np.datetime64("2010-01-01")
    enrolled_from = np.where(employee, np.maximum(birth + np.timedelta64(18 * 365, "D"), np.datetime64("2000-01-01")),
                             np.maximum(birth, floor))
    ended = rng.random(n) < 0.003  # moved away: enrollment ended before the city's first day
    enrolled_to = np.where(ended, start - np.timedelta64(30, "D"), np.datetime64("NaT"))
    enrolled_from = np.where(ended, np.minimum(enrolled_from, start - np.timedelta64(400, "D")), enrolled_from)
    # in arrears: paid up to three months before the first day (a month of grace is not enough)
    arrears_month = (spec.start_date.replace(day=1) - dt.timedelta(days=80)).strftime("%Y-%m")
    paid_through = np.where(rng.random(n) < 0.02, arrears_month, f"{year}-12")
    r = rng.random(n)
    assistance = np.where(employee, "", np.select([r < 0.006, r < 0.036, r < 0.051], ["tekun", "dibao", "dibian"],
                                                  default=""))
    balance = np.where(employee, np.round(rng.gamma(2.0, np.where(psn_type == "retiree", 2_500.0, 1_200.0)) * 100), 0)
    width = max(8, len(str(n)))
    return pd.DataFrame({
        "psn_no": cat("P", zfill(np.arange(1, n + 1), width)), "certno": certno, "name": name,
        "gender": np.where(male, "1", "2"), "birth_date": birth,
        "insutype": np.where(employee, "310", "390"), "psn_type": psn_type, "enrolled_from": enrolled_from,
        "enrolled_to": enrolled_to, "paid_through": paid_through, "assistance_category": assistance,
        "acct_balance_fen": balance.astype(np.int64),
        "_weight": 1.0 + (age >= 60) * 1.5 + (age < 6) * 0.8,
    })


def make_catalog(spec: CitySpec) -> pd.DataFrame:
    rng = rng_for(spec.seed, PART_CATALOG)
    k = spec.catalog_items - len(NAMED_ITEMS)
    kind = rng.choice(np.array(["drug", "tcm", "service", "consumable"]), size=k, p=[0.45, 0.10, 0.35, 0.10])
    seq = np.arange(k)
    # national code shapes
    drug_code = cat("X", ATC[rng.integers(0, len(ATC), k)], np.array(list("ABCDEFGH"))[rng.integers(0, 8, k)],
                    zfill(seq % 1000, 3), "A", zfill(rng.integers(0, 10**12, k), 12))
    tcm_code = cat("Z", np.array(list("ABCDEFG"))[rng.integers(0, 7, k)], zfill(rng.integers(0, 10**4, k), 4),
                   "B", zfill(seq % 1000, 3), "B", zfill(rng.integers(0, 10**12, k), 12))
    legacy = rng.random(k) < 0.3
    service_code = np.where(legacy, zfill(110_000_000 + seq * 37 % 890_000_000, 9),
                            cat("00", zfill(rng.integers(10**11, 10**12, k), 12), zfill(seq % 10, 1)))
    consumable_code = cat("C", zfill(rng.integers(1, 20, k), 2), zfill(rng.integers(0, 10**12, k), 12),
                          zfill(seq, 5))
    code = np.select([kind == "drug", kind == "tcm", kind == "service"], [drug_code, tcm_code, service_code],
                     default=consumable_code)
    name = np.select(
        [kind == "drug", kind == "tcm", kind == "service"],
        [cat(DRUG_STEMS[seq % len(DRUG_STEMS)], DRUG_FORMS[rng.integers(0, len(DRUG_FORMS), k)]),
         cat(TCM_STEMS[seq % len(TCM_STEMS)], TCM_FORMS[rng.integers(0, len(TCM_FORMS), k)]),
         SERVICE_NAMES[seq % len(SERVICE_NAMES)]],
        default=CONSUMABLE_NAMES[seq % len(CONSUMABLE_NAMES)])
    r = rng.random(k)
    chrg_lv = np.select(
        [kind == "service", kind == "consumable"],
        [np.where(r < 0.60, "01", np.where(r < 0.95, "02", "03")),
         np.where(r < 0.10, "01", np.where(r < 0.80, "02", "03"))],
        default=np.where(r < 0.45, "01", np.where(r < 0.90, "02", "03")))
    median = np.select([kind == "service", kind == "consumable"], [30.0, 80.0], default=25.0)
    sigma = np.select([kind == "service", kind == "consumable"], [1.4, 1.6], default=1.2)
    price = np.clip(np.round(median * rng.lognormal(0.0, sigma) * 100), 1, 5_000_000).astype(np.int64)
    own_prop = (chrg_lv == "02") & (rng.random(k) < 0.4)
    selfpay_e6 = np.where(own_prop, np.array([50_000, 100_000, 150_000, 200_000, 300_000])[rng.integers(0, 5, k)], -1)
    limited = rng.random(k) < np.where(kind == "drug", 0.10, 0.20)
    r = rng.random(k)
    catalog = pd.DataFrame({
        "med_list_codg": code, "name": name, "list_type": np.where(kind == "tcm", "drug", kind), "chrg_lv": chrg_lv,
        "selfpay_prop_e6": selfpay_e6, "price_limit_fen": np.where(limited, price, -1),
        "restrict_gender": np.select([r < 0.02, r < 0.025], ["2", "1"], default=""),
        "restrict_min_age": np.where((r >= 0.025) & (r < 0.035), 18, -1),
        "restrict_max_age": np.where((r >= 0.035) & (r < 0.045), 14, -1),
        "restrict_min_level": np.where((r >= 0.045) & (r < 0.06), np.where(r < 0.055, 2, 3), -1),
        "restrict_med_types": np.where((r >= 0.06) & (r < 0.07), '["21"]', "[]"),
        "_price_fen": price, "_kind": np.where(kind == "tcm", "drug", kind),
    })
    named = pd.DataFrame([_named_item(i, *item) for i, item in enumerate(NAMED_ITEMS)])
    out = pd.concat([named, catalog], ignore_index=True)
    dup = out["med_list_codg"].duplicated()
    out.loc[dup, "med_list_codg"] = cat(out.loc[dup, "med_list_codg"].to_numpy(dtype=str), "D",
                                        zfill(np.flatnonzero(dup), 6))
    return out


def _named_item(i: int, name: str, list_type: str, chrg_lv: str, price: int, restriction: str | None) -> dict:
    if name in ("复方丹参滴丸", "银杏叶片"):  # Chinese patent medicines: Z codes
        code = f"ZC{i:04d}B{i:03d}B{(i * 7919) % 10**12:012d}"
    elif list_type == "drug":
        code = f"X{ATC[i % len(ATC)]}A{i:03d}A{(i * 7919) % 10**12:012d}"
    else:
        code = f"00{(i * 104_729 + 110_200_001) % 10**12:012d}{i % 10}"
    return {
        "med_list_codg": code, "name": name, "list_type": list_type, "chrg_lv": chrg_lv,
        "selfpay_prop_e6": 100_000 if chrg_lv == "02" else -1,
        "price_limit_fen": price if list_type == "service" else -1,
        "restrict_gender": "2" if restriction == "female" else "", "restrict_min_age": -1,
        "restrict_max_age": 14 if restriction == "child" else -1,
        "restrict_min_level": 2 if restriction == "level2" else -1,
        "restrict_med_types": '["21"]' if restriction == "inpatient" else "[]",
        "_price_fen": price, "_kind": list_type,
    }


@dataclass
class Reference:
    institutions: pd.DataFrame
    persons: pd.DataFrame
    catalog: pd.DataFrame


def reference(spec: CitySpec) -> Reference:
    return Reference(make_institutions(spec), make_persons(spec), make_catalog(spec))


# --- one day --------------------------------------------------------------------------------------------------

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


# --- writing --------------------------------------------------------------------------------------------------

def _aware_text(local: np.ndarray, tz) -> np.ndarray:
    """Local wall times (naive datetime64) → ISO text in UTC for timestamptz columns.

    The UTC offset is looked up once per distinct local hour (a day has at most a few thousand), so a
    daylight-saving change is honoured without localizing every value."""
    local = np.asarray(local, dtype="datetime64[s]")
    missing = np.isnat(local)
    hours, inverse = np.unique(local.astype("datetime64[h]"), return_inverse=True)
    offsets = np.array([
        0 if np.isnat(h) else int(h.astype(dt.datetime).replace(tzinfo=tz).utcoffset().total_seconds())
        for h in hours], dtype=np.int64)
    utc = local - offsets[inverse.ravel()].astype("timedelta64[s]")
    out = cat(np.datetime_as_string(utc, unit="s"), "+00").astype(object)
    out[missing] = None
    return out


def _date_text(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype="datetime64[D]")
    out = np.datetime_as_string(values, unit="D").astype(object)
    out[np.isnat(values)] = None
    return out


def _copy(cursor, table: str, frame: pd.DataFrame) -> None:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="\\N")
    buf.seek(0)
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    cursor.copy_expert(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)


def reserve_ids(cursor, table: str, n: int) -> int:
    """Reserve n ids of a table's identity sequence; returns the first. Safe beside concurrent inserts."""
    cursor.execute(
        f"SELECT setval(s.seq, greatest((SELECT coalesce(max(id), 0) FROM {table}), "
        f"coalesce(pg_sequence_last_value(s.seq), 0)) + %s) "
        f"FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq) s", [max(n, 1), table])
    last = cursor.fetchone()[0]
    return last - max(n, 1) + 1


def _neg_to_none(values: np.ndarray, scale_text) -> np.ndarray:
    values = np.asarray(values, dtype=np.int64)
    out = scale_text(np.maximum(values, 0)).astype(object)
    out[values < 0] = None
    return out


def _int_or_none(values) -> np.ndarray:
    values = np.asarray(values, dtype=np.int64)
    out = values.astype(object)
    out[values < 0] = None
    return out


def reference_tables(ref: Reference, spec: CitySpec, base: dict[str, int], tz, now_text: str) -> dict:
    """The reference frames as database rows (column → values), with ids from `base`."""
    inst, persons, catalog = ref.institutions, ref.persons, ref.catalog
    pid = base["insurance_person"] + np.arange(len(persons))
    prop_text = lambda v: cat(v // 1_000_000, ".", zfill(v % 1_000_000 // 100, 4))  # noqa: E731 (×10^6 → 4 dp)
    return {
        "insurance_institution": pd.DataFrame({
            "id": base["insurance_institution"] + np.arange(len(inst)), **{c: inst[c] for c in (
                "fixmedins_code", "name", "level", "kind", "designated", "region")}}),
        "insurance_person": pd.DataFrame({
            "id": pid, "psn_no": persons["psn_no"], "certno": persons["certno"], "name": persons["name"],
            "gender": persons["gender"], "birth_date": _date_text(persons["birth_date"].to_numpy())}),
        "insurance_enrollment": pd.DataFrame({
            "id": base["insurance_enrollment"] + np.arange(len(persons)), "person_id": pid,
            "insutype": persons["insutype"], "psn_type": persons["psn_type"],
            "enrolled_from": _date_text(persons["enrolled_from"].to_numpy()),
            "enrolled_to": _date_text(persons["enrolled_to"].to_numpy()), "paid_through": persons["paid_through"],
            "assistance_category": persons["assistance_category"]}),
        "insurance_personalaccount": pd.DataFrame({
            "id": base["insurance_personalaccount"] + np.arange(len(persons)), "person_id": pid,
            "balance": fen_text(persons["acct_balance_fen"].to_numpy()), "updated_at": now_text}),
        "policy_rules_catalogitem": pd.DataFrame({
            "id": base["policy_rules_catalogitem"] + np.arange(len(catalog)),
            **{c: catalog[c] for c in ("med_list_codg", "name", "list_type", "chrg_lv", "restrict_gender")},
            "selfpay_prop": _neg_to_none(catalog["selfpay_prop_e6"].to_numpy(), prop_text),
            "price_limit": _neg_to_none(catalog["price_limit_fen"].to_numpy() * 100, e4_text),
            "restrict_min_age": _int_or_none(catalog["restrict_min_age"]),
            "restrict_max_age": _int_or_none(catalog["restrict_max_age"]),
            "restrict_min_level": _int_or_none(catalog["restrict_min_level"]),
            "restrict_med_types": catalog["restrict_med_types"],
            "effective_from": dt.date(spec.start_date.year, 1, 1).isoformat()}),
    }


def day_tables(d: Day, base: dict[str, int], ref_base: dict[str, int], tz) -> dict:
    """One day's frames as database rows, with ids from `base` and foreign keys from `ref_base`."""
    v, ln, up = d.visits, d.lines, d.uploads
    visit_id = base["claims_visit"] + np.arange(len(v))
    upload_of_inst = np.full(int(v["institution"].max()) + 1 if len(v) else 1, -1, dtype=np.int64)
    upload_of_inst[up["institution"].to_numpy()] = base["claims_upload"] + np.arange(len(up))
    created = _aware_text(up["created_at"].to_numpy(), tz)
    person = v["person"].to_numpy()
    return {
        "claims_upload": pd.DataFrame({
            "id": base["claims_upload"] + np.arange(len(up)),
            "institution_id": ref_base["insurance_institution"] + up["institution"].to_numpy(),
            "source": "demo", "created_at": created, "line_count": up["line_count"].to_numpy()}),
        "claims_visit": pd.DataFrame({
            "id": visit_id, "mdtrt_id": v["mdtrt_id"], "person_id": ref_base["insurance_person"] + person,
            "institution_id": ref_base["insurance_institution"] + v["institution"].to_numpy(),
            "enrollment_id": ref_base["insurance_enrollment"] + person, "med_type": v["med_type"],
            "begntime": _aware_text(v["begntime"].to_numpy(), tz), "endtime": _aware_text(v["endtime"].to_numpy(), tz),
            "diagnoses": v["diagnoses"], "status": "discharged",
            "created_at": _aware_text(v["begntime"].to_numpy(), tz)}),
        "claims_feeline": pd.DataFrame({
            "id": base["claims_feeline"] + np.arange(len(ln)), "visit_id": visit_id[ln["visit"].to_numpy()],
            "upload_id": upload_of_inst[v["institution"].to_numpy()[ln["visit"].to_numpy()]],
            "feedetl_sn": ln["feedetl_sn"], "med_list_codg": ln["med_list_codg"], "medins_list_codg": "",
            "cnt": e4_text(ln["cnt_e4"].to_numpy()), "pric": e4_text(ln["pric_e4"].to_numpy()),
            "det_item_fee_sumamt": fen_text(ln["amount_fen"].to_numpy()),
            "fee_ocur_time": _aware_text(ln["fee_ocur_time"].to_numpy(), tz), "bilg_dept_codg": "",
            "bilg_dr_codg": "", "status": "active", "chrgitm_lv": "", "reason": ""}),
    }


REFERENCE_TABLES = ("insurance_institution", "insurance_person", "insurance_enrollment", "insurance_personalaccount",
                    "policy_rules_catalogitem")
DAY_TABLES = ("claims_upload", "claims_visit", "claims_feeline")


def write_city(spec: CitySpec, *, progress=None, analyze: bool = True) -> dict[str, int]:
    """Generate the city and write it to the default database; returns row counts by table."""
    say = progress or (lambda message: None)
    counts = dict.fromkeys(REFERENCE_TABLES + DAY_TABLES, 0)
    ref, ref_base, written = write_reference(spec)
    for t, n in written.items():
        counts[t] += n
    say(f"reference: {len(ref.institutions):,} institutions, {len(ref.persons):,} persons, "
        f"{len(ref.catalog):,} catalog items")
    for n, date in enumerate(spec.dates()):
        written = write_day(spec, ref, ref_base, n)
        for t, k in written.items():
            counts[t] += k
        say(f"{date}: {written['claims_visit']:,} visits, {written['claims_feeline']:,} fee lines, "
            f"{written['claims_upload']:,} uploads")
    if analyze:
        analyze_tables()
    return counts


def write_reference(spec: CitySpec) -> tuple[Reference, dict[str, int], dict[str, int]]:
    """Generate and write the institutions, persons (enrollments, accounts) and catalog in one transaction.

    Returns the reference frames, the first id of each table (what day rows point to) and row counts."""
    from django.db import connection, transaction
    from django.utils import timezone

    ref = reference(spec)
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        sizes = {"insurance_institution": len(ref.institutions), "insurance_person": len(ref.persons),
                 "insurance_enrollment": len(ref.persons), "insurance_personalaccount": len(ref.persons),
                 "policy_rules_catalogitem": len(ref.catalog)}
        ref_base = _reserve(sizes) if postgres else _next_ids(sizes)
        tables = reference_tables(ref, spec, ref_base, timezone.get_current_timezone(), timezone.now().isoformat())
        _write(tables, postgres, {"source": "synth_city", "seed": spec.seed})
    return ref, ref_base, {t: len(f) for t, f in tables.items()}


def write_day(spec: CitySpec, ref: Reference, ref_base: dict[str, int], n: int) -> dict[str, int]:
    """Generate and write day n of the city (its uploads, visits and fee lines) in one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    postgres = connection.vendor == "postgresql"
    d = day(spec, ref, n)
    with transaction.atomic():
        sizes = {"claims_upload": len(d.uploads), "claims_visit": len(d.visits), "claims_feeline": len(d.lines)}
        base = _reserve(sizes) if postgres else _next_ids(sizes)
        tables = day_tables(d, base, ref_base, timezone.get_current_timezone())
        _write(tables, postgres, {"source": "synth_city", "seed": spec.seed, "day": d.date.isoformat()})
    return {t: len(f) for t, f in tables.items()}


def analyze_tables() -> None:
    """Fresh planner statistics for the tables the city was written to (PostgreSQL)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for t in REFERENCE_TABLES + DAY_TABLES:
                cursor.execute(f"ANALYZE {t}")


def _reserve(sizes: dict[str, int]) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        return {t: reserve_ids(cursor, t, n) for t, n in sizes.items()}


def _next_ids(sizes: dict[str, int]) -> dict[str, int]:
    """Other databases: the next ids after the largest (the writer holds the only transaction)."""
    from django.db import connection

    with connection.cursor() as cursor:
        out = {}
        for t in sizes:
            cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {t}")
            out[t] = cursor.fetchone()[0]
        return out


def _write(tables: dict[str, pd.DataFrame], postgres: bool, context: dict | None = None) -> None:
    from django.db import connection

    if postgres:
        with connection.cursor() as cursor:
            history_context(cursor, **(context or {"source": "synth_city"}))
            for table, frame in tables.items():
                if len(frame):
                    _copy(cursor, table, frame)
        return
    _bulk_create(tables)


def _bulk_create(tables: dict[str, pd.DataFrame]) -> None:
    """The fallback for SQLite and the like: the same rows through the ORM (meant for small cities)."""
    from decimal import Decimal

    from django.apps import apps

    models = {m._meta.db_table: m for m in apps.get_models()}
    stamps: dict = {}
    for table, frame in tables.items():
        model = models[table]
        fields = {f.column: f for f in model._meta.concrete_fields}
        objs = []
        for rec in frame.to_dict("records"):
            values = {}
            for column, value in rec.items():
                f = fields[column]
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    value = None
                elif f.get_internal_type() == "DecimalField":
                    value = Decimal(str(value))
                elif f.get_internal_type() == "DateTimeField":
                    text = str(value)
                    value = dt.datetime.fromisoformat(text + ":00" if text.endswith("+00") else text)
                elif f.get_internal_type() == "DateField":
                    value = dt.date.fromisoformat(str(value))
                elif f.get_internal_type() == "JSONField":
                    value = json.loads(value) if isinstance(value, str) else value
                elif f.get_internal_type() == "BooleanField":
                    value = bool(value)
                elif hasattr(value, "item"):
                    value = value.item()
                values[f.attname] = value
            stamps[(table, values["id"])] = values
            objs.append(model(**values))
        model.objects.bulk_create(objs, batch_size=2000)
        # bulk_create stamps auto_now(_add) fields with the present time: put the city's times back
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
                by_value: dict = {}
                for obj in objs:
                    by_value.setdefault(stamps[(table, obj.pk)][f.attname], []).append(obj.pk)
                for value, pks in by_value.items():
                    model.objects.filter(pk__in=pks).update(**{f.attname: value})


def ensure_policy(dates: list[dt.date], region: str, stdout=None) -> str | None:
    """Import the demo policy pack unless an active pack of the region covers every day; returns its code."""
    from pathlib import Path

    from policy_rules.models import PolicyVersion
    from policy_rules.services import import_policy_pack

    active = PolicyVersion.objects.active().filter(region=region)
    if all(active.covering(d).exists() for d in dates):
        return None
    path = Path(__file__).resolve().parent.parent / "policy_rules" / "fixtures" / "demo-city-2026.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc["region"] != region or PolicyVersion.objects.filter(code=doc["code"]).exists():
        if stdout:
            stdout.write(f"warning: no active policy pack of region {region} covers every day; visits outside "
                         f"one will be held by the daily job")
        return None
    version = import_policy_pack(doc, source_name=path.name)
    uncovered = [d for d in dates if not active.covering(d).exists()]
    if uncovered and stdout:
        stdout.write(f"warning: the demo policy pack {version.code} does not cover {uncovered[0]}"
                     f"{' …' if len(uncovered) > 1 else ''}; those visits will be held by the daily job")
    return version.code
