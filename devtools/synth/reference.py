"""The city's reference data: institutions, persons (with their enrollment and personal account) and the
catalog, as frames (no Django)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from devtools.synth.arrays import cat, certno_check_digits, rank_within_groups, zfill
from devtools.synth.spec import PART_CATALOG, PART_INSTITUTIONS, PART_PERSONS, CitySpec, rng_for
from devtools.synth.vocabulary import (
    ADULT_WORDS,
    ATC,
    CHILD_WORDS,
    CONSUMABLE_NAMES,
    DRUG_FORMS,
    DRUG_STEMS,
    FEMALE_WORDS,
    GIVEN,
    LOCAL_DISTRICTS,
    MALE_WORDS,
    NAMED_ITEMS,
    OTHER_DISTRICTS,
    PLACES,
    SERVICE_NAMES,
    SURNAMES,
    TCM_FORMS,
    TCM_STEMS,
)

LEVEL_SHARES = {0: 0.40, 1: 0.27, 2: 0.20, 3: 0.13}  # of the hospitals
LEVEL_VISIT_WEIGHT = {0: 1.0, 1: 3.0, 2: 12.0, 3: 45.0}
PHARMACY_SHARE = 0.20


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
        # gender and age restrictions only where the item's name makes them plausible (vocabulary.*_WORDS)
        "restrict_gender": np.select([_named(name, FEMALE_WORDS), _named(name, MALE_WORDS)], ["2", "1"], default=""),
        "restrict_min_age": np.where(_named(name, ADULT_WORDS), 18, -1),
        "restrict_max_age": np.where(_named(name, CHILD_WORDS), 14, -1),
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


def _named(names: np.ndarray, words) -> np.ndarray:
    """Whether each name contains one of the words."""
    names = np.asarray(names).astype(str)
    return np.logical_or.reduce([np.char.find(names, w) >= 0 for w in words])


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
