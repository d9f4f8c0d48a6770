"""Smart-audit benchmark (issue #5): how fast does `run_audit` run the starter rule library over a day's lines?

Generates a synthetic day in the audit's column format with numpy and a fixed seed, then times `run_audit`
alone (generation, the engine's line split and the institution statistics are prepared before the clock):

  * N fee lines (default 1,000,000) over about N/10 visits of 0.6 × that many persons, 300 institutions;
    visits of med_type 11/14/21, inpatient stays of 1-30 days (5% not yet discharged), 1-3 diagnoses each;
  * a 20,000-item catalog with price limits and restrictions, plus the starter library's items
    (audit.DEMO_ITEMS) with their names; about 15% of the lines are those items (daily consultation and bed
    fees on inpatient stays, drugs in outpatient visits), with a few planted excesses, duplicates, fees
    outside the stay and unknown fee times;
  * half as many stored visits of the same persons (history) in the 60 days before, for the cross-visit rules,
    3% of the inpatient stays following a stored stay at the same institution within 20 days;
  * the rules: audit.default_rules() (25 rules, every type).

    .venv/bin/python bench/audit_bench.py --lines 1000000 --seed 20260316 --repeat 3
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's engine, not the installed one

from policy_rules.engine.audit import DEMO_ITEMS, default_rules, run_audit  # noqa: E402
from policy_rules.engine.frames import CATALOG_COLUMNS  # noqa: E402
from policy_rules.engine.lines import classify_lines  # noqa: E402

DAY = np.datetime64("2026-03-16T00:00:00", "ns")
DAY_NS = np.int64(86_400 * 10**9)
HOUR_NS = np.int64(3_600 * 10**9)
CATALOG_SIZE = 20_000
ICD = np.array(["I10", "E11.900", "E11.2", "J18.900", "K35.800", "N18.5", "C83.3", "O26.2", "I25.1", "J44.1", "R73.0",
                "M17.1", "E10.9", "N97.9", "S72.0"], dtype=object)


def _codes(prefix: str, n: int, width: int) -> np.ndarray:
    if not n:  # np.char.zfill refuses an empty array
        return np.zeros(0, dtype=object)
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def make_catalog(rng) -> tuple[pd.DataFrame, np.ndarray]:
    n = CATALOG_SIZE
    base = np.clip(np.round(np.exp(rng.normal(3.0, 1.6, n)) * 100).astype(np.int64) * 100, 100, 50_000_000)
    restricted = rng.random(n) < 0.02
    kind = rng.integers(0, 4, n)
    med_types = pd.Series([()] * n, dtype=object).to_numpy()
    for i in np.flatnonzero(restricted & (kind == 3)):
        med_types[i] = ("21",)
    cat = pd.DataFrame({
        "med_list_codg": _codes("X", n, 9),
        "chrg_lv": rng.choice(np.array(["01", "02", "03"], dtype=object), n, p=[0.40, 0.45, 0.15]),
        "selfpay_prop_e6": np.full(n, -1, np.int64),
        "price_limit_e4": np.where(rng.random(n) < 0.10, base, -1).astype(np.int64),
        "restrict_gender": np.where(restricted & (kind == 0), "2", "").astype(object),
        "restrict_min_age": np.full(n, -1, np.int64),
        "restrict_max_age": np.where(restricted & (kind == 1), 14, -1).astype(np.int64),
        "restrict_min_level": np.where(restricted & (kind == 2), 2, -1).astype(np.int64),
        "restrict_med_types": med_types,
    }, columns=CATALOG_COLUMNS)
    cat["name"] = ""
    demo_names = list(DEMO_ITEMS)
    demo_price = np.array([1500, 2500, 4000, 1200, 3000, 90000, 2500, 300000, 2000, 15000, 50, 300, 30, 150, 10,
                           8000, 200000, 3000, 1500, 100, 80][:len(demo_names)], dtype=np.int64) * 100  # ×10^4
    demo = pd.DataFrame({
        "med_list_codg": np.array(list(DEMO_ITEMS.values()), dtype=object), "chrg_lv": "01",
        "selfpay_prop_e6": np.int64(-1), "price_limit_e4": demo_price, "restrict_gender": "",
        "restrict_min_age": np.int64(-1), "restrict_max_age": np.int64(-1), "restrict_min_level": np.int64(-1),
        "restrict_med_types": pd.Series([()] * len(demo_names), dtype=object).to_numpy(),
        "name": np.array(demo_names, dtype=object),
    })
    demo.loc[demo["name"] == "黄体酮注射液", "restrict_gender"] = "2"
    demo.loc[demo["name"] == "小儿止咳糖浆", "restrict_max_age"] = 14
    return pd.concat([cat, demo], ignore_index=True), np.concatenate([base, demo_price])


def make_visits(rng, n_visits, n_persons, psn_no, gender, birth_age, inst_codes, inst_level, *, days_back=0,
                prefix="M"):
    owner = rng.integers(0, n_persons, n_visits)
    med_type = rng.choice(np.array(["11", "14", "21"], dtype=object), n_visits, p=[0.70, 0.13, 0.17])
    inpatient = med_type == "21"
    inst = rng.integers(0, len(inst_codes), n_visits)
    stay = np.where(inpatient, rng.integers(1, 31, n_visits), 0)
    end_day = DAY - (rng.integers(days_back, days_back + 60, n_visits) if days_back else 0) * DAY_NS
    end = end_day + rng.integers(8, 18, n_visits) * HOUR_NS
    begn = end - stay * DAY_NS - rng.integers(1, 5, n_visits) * HOUR_NS
    end = np.where(inpatient & (rng.random(n_visits) < 0.05) & (days_back == 0), np.datetime64("NaT"), end)
    pool = [tuple(rng.choice(ICD, k, replace=False)) for k in rng.integers(1, 4, 1000)]
    dx = pd.Series(pool, dtype=object).to_numpy()[rng.integers(0, len(pool), n_visits)]
    return pd.DataFrame({
        "mdtrt_id": _codes(prefix, n_visits, 9), "psn_no": psn_no[owner], "fixmedins_code": inst_codes[inst],
        "med_type": med_type, "begntime": begn.astype("datetime64[ns]"), "endtime": end.astype("datetime64[ns]"),
        "inst_level": inst_level[inst], "gender": gender[owner], "age": birth_age[owner], "diagnoses": dx,
    })


def make_day(n_lines: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    catalog, price = make_catalog(rng)
    n_visits = max(1, n_lines // 10)
    n_persons = max(1, int(n_visits * 0.6))
    psn_no = _codes("P", n_persons, 8)
    gender = rng.choice(np.array(["1", "2"], dtype=object), n_persons)
    age = rng.integers(0, 95, n_persons).astype(np.int64)
    inst_codes = _codes("H410800", 300, 5)
    inst_level = rng.choice([0, 1, 2, 3], 300, p=[0.3, 0.3, 0.25, 0.15]).astype(np.int64)
    visits = make_visits(rng, n_visits, n_persons, psn_no, gender, age, inst_codes, inst_level)
    history = make_visits(rng, n_visits // 2, n_persons, psn_no, gender, age, inst_codes, inst_level, days_back=1,
                          prefix="O")

    med_type = visits["med_type"].to_numpy(dtype=object)
    weight = np.select([med_type == "11", med_type == "14"], [4.0, 8.0], 40.0)
    counts = np.ones(n_visits, np.int64)
    if n_lines > n_visits:
        counts += rng.multinomial(n_lines - n_visits, weight / weight.sum())
    lv = np.repeat(np.arange(n_visits), counts)
    n = len(lv)
    item = np.where(rng.random(n) < 0.5, rng.integers(0, CATALOG_SIZE, n), (rng.zipf(1.2, n) - 1) % CATALOG_SIZE)
    # the starter library's items: consultation and bed fees on inpatient stays, drugs and services elsewhere
    demo = CATALOG_SIZE + np.arange(len(DEMO_ITEMS))
    names = list(DEMO_ITEMS)
    inpat = med_type[lv] == "21"
    r = rng.random(n)
    item = np.where(inpat & (r < 0.05), demo[names.index("住院诊查费")], item)
    item = np.where(inpat & (r >= 0.05) & (r < 0.10), demo[names.index("床位费(三人间)")], item)
    item = np.where((r >= 0.10) & (r < 0.15), demo[rng.integers(0, len(demo), n)], item)
    codes = catalog["med_list_codg"].to_numpy(dtype=object)[item]
    codes[rng.random(n) < 0.02] = "NOT-IN-CATALOG"
    fixed = np.isin(item, demo[[names.index("住院诊查费"), names.index("床位费(三人间)")]])
    cnt = np.where(fixed, np.where(rng.random(n) < 0.98, 1, 2), rng.integers(1, 30, n)) * 10_000
    pric = np.where(rng.random(n) < 0.97, price[item], price[item] * 11 // 10)
    amount = (cnt * pric + 500_000) // 1_000_000
    begn = visits["begntime"].to_numpy().view(np.int64)[lv]
    end = visits["endtime"].to_numpy().view(np.int64)
    end = np.where(end == np.iinfo(np.int64).min, DAY.view(np.int64), end)[lv]
    fee = begn + (rng.random(n) * (end - begn)).astype(np.int64)
    fee = np.where(rng.random(n) < 0.005, begn - DAY_NS, fee)  # before the admission day
    fee = np.where(rng.random(n) < 0.005, end + 2 * HOUR_NS, fee)  # after discharge
    fee = fee // (60 * 10**9) * (60 * 10**9)  # whole minutes
    fee_time = fee.view("datetime64[ns]").copy()
    fee_time[rng.random(n) < 0.01] = np.datetime64("NaT")
    seq = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    lines = pd.DataFrame({
        "mdtrt_id": visits["mdtrt_id"].to_numpy()[lv], "feedetl_sn": seq.astype(str).astype(object),
        "med_list_codg": codes, "cnt_e4": cnt.astype(np.int64), "pric_e4": pric.astype(np.int64),
        "amount_fen": amount.astype(np.int64), "fee_ocur_time": fee_time,
    })
    # a few duplicated uploads: the same line again with the next serial number
    dup = np.flatnonzero(rng.random(n) < 0.002)
    extra = lines.iloc[dup].copy()
    extra["feedetl_sn"] = (extra["feedetl_sn"] + "d").to_numpy(dtype=object)
    # a daily course of 复方丹参滴丸 on 2% of the long stays (beyond its 14-day course for most of them)
    stays = (visits["endtime"] - visits["begntime"]).dt.days.fillna(0).to_numpy(dtype=np.int64)
    course = np.flatnonzero((med_type == "21") & (stays > 16) & (rng.random(n_visits) < 0.02))
    days = np.minimum(stays[course], 30)
    cv = np.repeat(course, days)
    cd = np.arange(len(cv)) - np.repeat(np.cumsum(days) - days, days)
    ds_code = DEMO_ITEMS["复方丹参滴丸"]
    ds_price = price[CATALOG_SIZE + list(DEMO_ITEMS).index("复方丹参滴丸")]
    daily = pd.DataFrame({
        "mdtrt_id": visits["mdtrt_id"].to_numpy()[cv], "feedetl_sn": np.char.add("c", cd.astype(str)).astype(object),
        "med_list_codg": ds_code, "cnt_e4": np.int64(30_000), "pric_e4": ds_price,
        "amount_fen": (30_000 * ds_price + 500_000) // 1_000_000,
        "fee_ocur_time": (visits["begntime"].to_numpy()[cv] + cd * DAY_NS.astype("timedelta64[ns]")
                          + np.timedelta64(2, "h")),
    })
    lines = pd.concat([lines, extra, daily], ignore_index=True)
    # 3% of the inpatient stays follow a stay of the same person at the same institution 0-20 days before
    re = np.flatnonzero((med_type == "21") & (rng.random(n_visits) < 0.03))
    gap = rng.integers(0, 21, len(re)) * DAY_NS
    prev_end = visits["begntime"].to_numpy()[re] - gap.astype("timedelta64[ns]")
    earlier = visits.iloc[re].assign(
        mdtrt_id=_codes("R", len(re), 9), endtime=prev_end, begntime=prev_end - np.timedelta64(5, "D"))
    history = pd.concat([history, earlier], ignore_index=True)

    vpos = pd.Index(visits["mdtrt_id"]).get_indexer(lines["mdtrt_id"])
    ctx = pd.DataFrame({"gender": visits["gender"].to_numpy(dtype=object)[vpos], "age": visits["age"].to_numpy()[vpos],
                        "level": visits["inst_level"].to_numpy()[vpos],
                        "med_type": visits["med_type"].to_numpy(dtype=object)[vpos], "default_prop_e6": 100_000,
                        "day": np.full(len(lines), DAY.astype("datetime64[D]"))})
    line_split = classify_lines(lines, ctx, catalog)
    totals = pd.Series(lines["amount_fen"].to_numpy()).groupby(vpos).sum().reindex(range(n_visits), fill_value=0)
    stats = (visits.assign(total=totals.to_numpy()).groupby(["fixmedins_code", "med_type"])["total"]
             .agg(["mean", "size"]).reset_index())
    inst_stats = pd.DataFrame({"fixmedins_code": stats["fixmedins_code"], "med_type": stats["med_type"],
                               "avg_amount_fen": stats["mean"].round().astype(np.int64), "visits": stats["size"]})
    return {"lines": lines, "visits": visits, "catalog": catalog, "rules": default_rules(), "history": history,
            "inst_stats": inst_stats, "line_split": line_split}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000, help="fee lines to generate (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=20260316, help="numpy seed (default 20260316)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs (default 3)")
    args = ap.parse_args(argv)
    print(f"reproduce: .venv/bin/python bench/audit_bench.py --lines {args.lines} --seed {args.seed} "
          f"--repeat {args.repeat}")
    cpu = next((row.split(":", 1)[1].strip() for row in open("/proc/cpuinfo") if row.startswith("model name")), "?") \
        if os.path.exists("/proc/cpuinfo") else "?"
    print(f"machine:   {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}")
    t0 = time.perf_counter()
    frames = make_day(args.lines, args.seed)
    n_lines, n_visits = len(frames["lines"]), len(frames["visits"])
    print(f"generated: {n_lines:,} lines, {n_visits:,} visits, {len(frames['history']):,} stored visits, "
          f"{len(frames['rules'])} rules in {time.perf_counter() - t0:.1f} s")
    times, cpu, hits = [], [], None
    for i in range(args.repeat):
        hits = None
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        hits = run_audit(**frames)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        print(f"run {i + 1}:     {times[-1]:.3f} s  {n_lines / times[-1]:,.0f} lines/s  (process CPU {cpu[-1]:.3f} s)  "
              f"{len(hits):,} hits")
    by_type = hits.groupby("rule_type").agg(hits=("rule_code", "size"), amount=("amount_fen", "sum"))
    print("hits:      " + ", ".join(f"{t} {r.hits:,}" for t, r in by_type.iterrows()))
    best, median = min(times), statistics.median(times)
    print(f"best:      {best:.3f} s  {n_lines / best:,.0f} lines/s")
    print(f"median:    {median:.3f} s  {n_lines / median:,.0f} lines/s")
    print(f"cpu:       best {min(cpu):.3f} s of process CPU time ({n_lines / min(cpu):,.0f} lines per CPU-second); "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"memory:    peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    print(f"date:      {dt.datetime.now().isoformat(timespec='seconds')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
