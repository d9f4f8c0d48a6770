"""Engine-only benchmark (issue #3): how fast does `adjudicate` settle one day's fee lines?

Generates a synthetic day straight in the engine's column format (integer fen, cnt/pric scaled by 10^4,
ratios by 10^6) with numpy and a fixed seed, then times `adjudicate` alone (generation excluded):

  * N fee lines (default 1,000,000) over about N/10 visits and 0.6 × that many persons, so a realistic
    share of persons has several visits settled the same day;
  * a 20,000-item catalog with 甲/乙/丙 classes, own 乙类 self-pay shares, price limits on some items and
    a few restrictions (gender, age, institution level, medical type);
  * visits of med_type 11/14/21, insutypes 310/390, institution levels 0-3, a few non-designated
    institutions, a few persons in arrears, some persons with year-to-date accumulators;
  * the demo policy pack (shared/policies/demo-city-2026.json, or the repo's fixture copy).

Reports best and median lines/s and visits/s over --repeat runs and the memory peak measured without
tracemalloc (which would slow the engine and inflate its memory): the process's peak RSS from
resource.getrusage, next to its RSS once the input was generated. --tracemalloc adds one extra, untimed
run under tracemalloc for the peak of traced allocations.

    .venv/bin/python bench/engine_bench.py --lines 1000000 --seed 20260316 --repeat 3
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's engine, not the installed one

from policy_rules.engine import adjudicate, parse_pack  # noqa: E402
from policy_rules.engine.frames import CATALOG_COLUMNS, VISIT_COLUMNS  # noqa: E402

PACKS = (ROOT.parent / "shared" / "policies" / "demo-city-2026.json",
         ROOT / "policy_rules" / "fixtures" / "demo-city-2026.json")
DAY = np.datetime64("2026-03-16T00:00:00", "s")
CATALOG_SIZE = 20_000
TARGET_LINES_PER_S = 500_000  # issue #3


def _codes(prefix: str, n: int, width: int) -> np.ndarray:
    """'P000001', ... as an object array, built without a per-row Python loop over pandas."""
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _round_div(num: np.ndarray, den: int) -> np.ndarray:
    return (num + den // 2) // den  # half up, non-negative


def make_catalog(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """The catalog frame and each item's typical unit price (×10^4)."""
    n = CATALOG_SIZE
    chrg = rng.choice(np.array(["01", "02", "03"], dtype=object), size=n, p=[0.40, 0.45, 0.15])
    own_prop = (chrg == "02") & (rng.random(n) < 0.3)
    selfpay = np.where(own_prop, rng.integers(1, 7, n) * 50_000, -1)  # 0.05 .. 0.30
    base_price = np.round(np.exp(rng.normal(3.0, 1.6, n)) * 100).astype(np.int64) * 100  # 2-decimal yuan
    base_price = np.clip(base_price, 100, 50_000_000)  # 0.01 .. 5,000 yuan, ×10^4
    limited = rng.random(n) < 0.10
    price_limit = np.where(limited, base_price, -1)
    restricted = rng.random(n) < 0.02
    kind = rng.integers(0, 4, n)
    gender = np.where(restricted & (kind == 0), "2", "").astype(object)
    max_age = np.where(restricted & (kind == 1), 14, -1)
    min_level = np.where(restricted & (kind == 2), 2, -1)
    med_types = pd.Series([()] * n, dtype=object).to_numpy()  # tuples of allowed med_types; () = any
    for i in np.flatnonzero(restricted & (kind == 3)):  # about a hundred items
        med_types[i] = ("21",)
    catalog = pd.DataFrame({
        "med_list_codg": _codes("X", n, 9), "chrg_lv": chrg, "selfpay_prop_e6": selfpay.astype(np.int64),
        "price_limit_e4": price_limit.astype(np.int64), "restrict_gender": gender,
        "restrict_min_age": np.full(n, -1, np.int64), "restrict_max_age": max_age.astype(np.int64),
        "restrict_min_level": min_level.astype(np.int64), "restrict_med_types": med_types,
    }, columns=CATALOG_COLUMNS)
    return catalog, base_price


def make_day(n_lines: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    catalog, base_price = make_catalog(rng)

    # persons: 60% employees (310), 40% residents (390)
    n_visits = max(1, n_lines // 10)
    n_persons = max(1, int(n_visits * 0.6))
    emp = rng.random(n_persons) < 0.6
    insutype = np.where(emp, "310", "390").astype(object)
    psn_type = np.where(emp, np.where(rng.random(n_persons) < 0.3, "retiree", "in_service"),
                        rng.choice(np.array(["resident_adult", "student_child", "elderly"]), n_persons,
                                   p=[0.6, 0.2, 0.2])).astype(object)
    age_days = np.where(psn_type == "student_child", rng.integers(1, 17, n_persons),
                        np.where((psn_type == "retiree") | (psn_type == "elderly"), rng.integers(60, 95, n_persons),
                                 rng.integers(18, 60, n_persons))) * 365 + rng.integers(0, 365, n_persons)
    birth = (DAY.astype("datetime64[D]") - age_days.astype("timedelta64[D]")).astype("datetime64[ns]")
    balance = np.where(emp & (rng.random(n_persons) < 0.9), rng.integers(0, 500_000, n_persons), 0)
    category = np.where(~emp, rng.choice(np.array(["", "dibao", "tekun"], dtype=object), n_persons,
                                         p=[0.95, 0.04, 0.01]), "").astype(object)
    paid_through = np.where(rng.random(n_persons) < 0.02, "2026-01", "2026-12").astype(object)
    enrolled_from = np.where(rng.random(n_persons) < 0.01, np.datetime64("2026-04-01"),
                             np.datetime64("2020-01-01")).astype("datetime64[ns]")
    psn_no = _codes("P", n_persons, 8)
    persons = pd.DataFrame({"psn_no": psn_no, "gender": rng.choice(np.array(["1", "2"], dtype=object), n_persons),
                            "birth_date": birth, "acct_balance_fen": balance.astype(np.int64)})

    # visits: every person at least one; the rest go to a quarter of the persons (several visits in the day)
    extra = max(n_visits - n_persons, 0)
    frequent = rng.choice(n_persons, max(n_persons // 4, 1), replace=False)
    owner = np.concatenate([np.arange(n_persons), frequent[rng.integers(0, len(frequent), extra)]])
    owner = owner.astype(np.int64)[:n_visits]
    rng.shuffle(owner)
    resident = insutype[owner] == "390"
    med_type = np.where(
        resident, rng.choice(np.array(["11", "14", "21"], dtype=object), n_visits, p=[0.80, 0.03, 0.17]),
        rng.choice(np.array(["11", "14", "21"], dtype=object), n_visits, p=[0.65, 0.20, 0.15]))
    outpatient = med_type == "11"
    # residents' general outpatient care is mostly at village clinics and township centres (levels 0-1)
    level = np.select(
        [outpatient & resident, outpatient],
        [rng.choice([0, 1, 2, 3], n_visits, p=[0.55, 0.35, 0.05, 0.05]),
         rng.choice([0, 1, 2, 3], n_visits, p=[0.2, 0.3, 0.25, 0.25])],
        rng.choice([1, 2, 3], n_visits, p=[0.3, 0.4, 0.3])).astype(np.int64)
    inpatient = med_type == "21"
    setl = DAY + rng.integers(8 * 3600, 20 * 3600, n_visits).astype("timedelta64[s]")
    stay = np.where(inpatient, rng.integers(1, 30, n_visits), 0).astype("timedelta64[D]")
    begn = setl - stay - rng.integers(0, 4 * 3600, n_visits).astype("timedelta64[s]")
    visits = pd.DataFrame({
        "mdtrt_id": _codes("M", n_visits, 9), "psn_no": psn_no[owner], "med_type": med_type,
        "begntime": begn.astype("datetime64[ns]"), "setl_time": setl.astype("datetime64[ns]"),
        "inst_level": level, "inst_designated": rng.random(n_visits) < 0.98, "insutype": insutype[owner],
        "psn_type": psn_type[owner], "enrolled_from": enrolled_from[owner],
        "enrolled_to": np.full(n_visits, np.datetime64("NaT"), "datetime64[ns]"),
        "paid_through": paid_through[owner], "assistance_category": category[owner],
    }, columns=VISIT_COLUMNS)

    # lines: at least one per visit, the rest weighted by med_type (inpatient stays have many lines)
    weight = np.select([med_type == "11", med_type == "14"], [4.0, 8.0], 40.0)
    counts = np.ones(n_visits, np.int64)
    if n_lines > n_visits:
        counts += rng.multinomial(n_lines - n_visits, weight / weight.sum())
    line_visit = np.repeat(np.arange(n_visits), counts)
    n = len(line_visit)
    item = np.where(rng.random(n) < 0.5, rng.integers(0, CATALOG_SIZE, n), (rng.zipf(1.2, n) - 1) % CATALOG_SIZE)
    codes = catalog["med_list_codg"].to_numpy()[item]
    codes[rng.random(n) < 0.02] = "NOT-IN-CATALOG"
    cnt = np.where(rng.random(n) < 0.9, rng.integers(1, 30, n) * 10_000, rng.integers(1, 200_000, n))
    pric = base_price[item] * rng.integers(80, 131, n) // 100  # -20% .. +30% around the item's price
    amount = _round_div(cnt * pric, 1_000_000)  # round(cnt × pric) in fen
    seq = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    lines = pd.DataFrame({
        "mdtrt_id": visits["mdtrt_id"].to_numpy()[line_visit], "feedetl_sn": seq.astype(str).astype(object),
        "med_list_codg": codes, "cnt_e4": cnt.astype(np.int64), "pric_e4": pric.astype(np.int64),
        "amount_fen": amount.astype(np.int64),
    })

    # year-to-date accumulators for 10% of persons
    has_ytd = np.flatnonzero(rng.random(n_persons) < 0.10)
    emp_ytd = has_ytd[emp[has_ytd]]
    res_ytd = has_ytd[~emp[has_ytd]]
    state = pd.DataFrame({
        "psn_no": np.concatenate([psn_no[emp_ytd], psn_no[emp_ytd], psn_no[res_ytd]]),
        "year": np.int64(2026),
        "kind": np.array(["cap_paid"] * len(emp_ytd) + ["deductible_used"] * len(emp_ytd)
                         + ["critical_illness_base"] * len(res_ytd), dtype=object),
        "key": np.array(["employee_pool"] * len(emp_ytd) + ["11"] * len(emp_ytd) + [""] * len(res_ytd),
                        dtype=object),
        "amount": np.concatenate([rng.integers(0, 18_000_000, len(emp_ytd)), rng.integers(0, 100_000, len(emp_ytd)),
                                  rng.integers(0, 3_000_000, len(res_ytd))]).astype(np.int64),
    })
    pack_path = next(p for p in PACKS if p.exists())
    policies = [parse_pack(json.loads(pack_path.read_text(encoding="utf-8")))]
    return {"lines": lines, "visits": visits, "persons": persons, "catalog": catalog, "policies": policies,
            "state": state}


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}, "
            f"pandas {pd.__version__}")


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _current_rss_mib() -> float:
    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith("VmRSS:"):
                return int(row.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000, help="fee lines to generate (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=20260316, help="numpy seed (default 20260316)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs (default 3)")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="also report the allocation peak of one extra, untimed run under tracemalloc")
    args = ap.parse_args(argv)

    print("reproduce: .venv/bin/python bench/engine_bench.py "
          f"--lines {args.lines} --seed {args.seed} --repeat {args.repeat}"
          + (" --tracemalloc" if args.tracemalloc else ""))
    print(f"machine:   {_machine()}")
    t0 = time.perf_counter()
    frames = make_day(args.lines, args.seed)
    gen_s = time.perf_counter() - t0
    n_lines, n_visits = len(frames["lines"]), len(frames["visits"])
    n_persons = frames["visits"]["psn_no"].nunique()
    per_person = frames["visits"].groupby("psn_no").size()
    print(f"generated: {n_lines:,} lines, {n_visits:,} visits, {n_persons:,} persons "
          f"({(per_person > 1).mean():.1%} with several visits, at most {per_person.max()}), "
          f"{len(frames['catalog']):,} catalog items in {gen_s:.2f} s")

    rss_before = _current_rss_mib()
    times = []
    result = None
    for i in range(args.repeat):
        result = None
        gc.collect()
        t = time.perf_counter()
        result = adjudicate(**frames)
        times.append(time.perf_counter() - t)
        print(f"run {i + 1}:     {times[-1]:.3f} s  {n_lines / times[-1]:,.0f} lines/s  {n_visits / times[-1]:,.0f} visits/s")
    best, median = min(times), statistics.median(times)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    s = result.settlements
    print(f"checks:    {s['ineligible_reason'].notna().sum():,} ineligible visits, "
          f"fund pays {s['fund_pay_sumamt'].sum() / 100:,.2f} of {s['medfee_sumamt'].sum() / 100:,.2f} yuan")
    result = None

    print(f"best:      {best:.3f} s  {n_lines / best:,.0f} lines/s  {n_visits / best:,.0f} visits/s")
    print(f"median:    {median:.3f} s  {n_lines / median:,.0f} lines/s  {n_visits / median:,.0f} visits/s")
    print(f"memory:    peak RSS {peak_rss:,.0f} MiB (getrusage, no tracemalloc); RSS with the generated input "
          f"before the runs {rss_before:,.0f} MiB, so the engine's peak working set is about "
          f"{peak_rss - rss_before:,.0f} MiB")
    if args.tracemalloc:
        gc.collect()
        tracemalloc.start()
        adjudicate(**frames)
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"traced:    peak Python/numpy allocations in one adjudicate under tracemalloc {traced:,.0f} MiB "
              "(an extra, untimed run)")
    verdict = "met" if n_lines / median >= TARGET_LINES_PER_S else "NOT met"
    print(f"target:    >= {TARGET_LINES_PER_S:,} lines/s (median): {verdict}")
    print(f"date:      {dt.datetime.now().isoformat(timespec='seconds')}, load average now {_load()} "
          "(other processes slow the runs down)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
