"""Counter-settlement benchmark (issue 14): the engine's CPU share of settling one visit at the counter.

A settlement at the counter (claims.settlement.settle_visit) reads the visit from the database, then runs the
pure engine on that one visit, then stores the results. This script times the middle part alone, in process,
without Django or a database, on plain records shaped as the database gives them (Decimal amounts and
quantities, dates, naive local datetimes):

  1. the engine's input frames from the records (engine.frames: lines, visits, persons, catalog, state);
  2. adjudicate() under the demo policy pack (parsed once beforehand, as the server caches its packs), and the
     write plan of its result (claims.settlement.plan.plan_settlements, pure: no Django), with the keys a
     reader gives (the visit's and its lines' ids, no split stored yet);
  3. the audit's frames (lines with fee times, the visit, its catalog rows with their names, the stored
     visits of the person), built as claims.audit_io.audit_frames builds them;
  4. run_audit() with the starter library default_rules(catalog) (25 rules, every type).

The visit: an employee's 8-day inpatient stay at a level-3 hospital, 100 fee lines over 50 catalog items (the
starter library's named items and others, 甲/乙/丙 with price limits and restrictions), a few lines that the
rules catch (an extra consultation, an extra bed day, a duplicate, a price over its limit, a fee after
discharge, a gender-restricted drug, an 8-day antibiotic course), three stored visits of the person (one a
readmission) and the institution's statistics for the outlier rules.

Reports process CPU milliseconds per settlement (time.process_time around stages 1-4), p50 and p95 over
--repeat settlements after a warm-up, per stage and in total, and a digest of every output frame so that two
versions of the engine can be compared for identical results (the plan's frames, less the random setl_id,
in a digest of their own). --profile prints cProfile's top 30.

    .venv/bin/python bench/counter_bench.py [--repeat 300] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import hashlib
import json
import os
import platform
import pstats
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's engine, whichever one the virtualenv has installed

from claims.settlement.plan import SPLIT_FEN, plan_settlements  # noqa: E402
from policy_rules.engine import adjudicate, parse_pack  # noqa: E402
from policy_rules.engine.audit import DEMO_ITEMS, default_rules, run_audit  # noqa: E402
from policy_rules.engine.frames import (  # noqa: E402
    catalog_frame,
    datetime_column,
    inferred_column,
    lines_frame,
    persons_frame,
    state_frame,
    visits_frame,
)
from policy_rules.engine.money import QTY_SCALE, scaled  # noqa: E402

POLICY = Path(os.environ.get("POLICY_PACK", ROOT.parent / "shared" / "policies" / "demo-city-2026.json"))
if not POLICY.exists():
    POLICY = ROOT / "policy_rules" / "fixtures" / "demo-city-2026.json"
INSTITUTION = "H41080000001"
PERSON = "P000000001"
MDTRT = "M202603020001"
ADMIT = dt.datetime(2026, 3, 2, 9, 30)
DISCHARGE = dt.datetime(2026, 3, 10, 10, 0)
STAY_DAYS = 8
STATS_COLUMNS = ["fixmedins_code", "med_type", "avg_amount_fen", "visits"]

# (name, chrg_lv, price in yuan, price limit, own 乙 share, restriction) of the starter library's items
DEMO_PRICES = {
    "普通门诊诊查费": ("01", "15.00", "15.00", None), "住院诊查费": ("01", "25.00", "25.00", None),
    "床位费(三人间)": ("01", "40.00", "40.00", None), "静脉输液": ("01", "12.00", "12.00", None),
    "换药": ("01", "30.00", None, None), "阑尾切除术": ("01", "900.00", "900.00", None),
    "心电图": ("01", "25.00", "25.00", None), "冠状动脉造影术": ("02", "3000.00", None, "0.20"),
    "血常规": ("01", "20.00", "20.00", None), "CT平扫": ("01", "150.00", "150.00", None),
    "阿莫西林胶囊": ("01", "0.50", None, None), "头孢克肟片": ("02", "3.00", None, None),
    "二甲双胍片": ("01", "0.30", None, None), "硝苯地平缓释片": ("02", "1.50", None, "0.05"),
    "阿托伐他汀钙片": ("02", "0.10", None, None), "胰岛素注射液": ("02", "80.00", None, None),
    "利妥昔单抗注射液": ("02", "2000.00", None, "0.30"), "黄体酮注射液": ("01", "30.00", None, None),
    "小儿止咳糖浆": ("01", "15.00", None, None), "复方丹参滴丸": ("02", "1.00", None, None),
    "银杏叶片": ("02", "0.80", None, None),
}


def _catalog_item(code, name, chrg_lv, price, limit, prop, **restrict) -> dict:
    return {"med_list_codg": code, "name": name, "chrg_lv": chrg_lv,
            "selfpay_prop": None if prop is None else Decimal(prop),
            "price_limit": None if limit is None else Decimal(limit).quantize(Decimal("0.0001")),
            "restrict_gender": restrict.get("gender", ""), "restrict_min_age": restrict.get("min_age"),
            "restrict_max_age": restrict.get("max_age"), "restrict_min_level": restrict.get("min_level"),
            "restrict_med_types": restrict.get("med_types", []), "effective_from": dt.date(2024, 1, 1),
            "effective_to": None, "_price": Decimal(price)}


def make_catalog(rng) -> list[dict]:
    items = []
    for name, (lv, price, limit, prop) in DEMO_PRICES.items():
        restrict = {"gender": "2"} if name == "黄体酮注射液" else {"max_age": 14} if name == "小儿止咳糖浆" else {}
        items.append(_catalog_item(DEMO_ITEMS[name], name, lv, price, limit, prop, **restrict))
    for i in range(29):
        lv = ("01", "02", "03")[i % 3]
        price = f"{rng.integers(1, 400)}.{rng.integers(0, 100):02d}"
        limit = price if i % 4 == 0 else None
        prop = "0.15" if lv == "02" and i % 2 else None
        restrict = {"min_level": 2} if i == 7 else {"med_types": ["21"]} if i == 11 else {}
        items.append(_catalog_item(f"X{i + 1:05d}A{i:03d}", f"院内项目{i + 1:02d}", lv, price, limit, prop,
                                   **restrict))
    return items


def make_lines(rng, catalog: list[dict]) -> list[dict]:
    """100 fee lines as claims.engine_io.active_lines gives them (Decimal, naive local fee times)."""
    by_name = {c["name"]: c for c in catalog}
    others = [c for c in catalog if c["name"].startswith("院内项目")]
    plan = []  # (item, cnt, fee time, price override)

    def day(d, hour=10):
        return (ADMIT + dt.timedelta(days=d)).replace(hour=hour, minute=0)

    for d in range(STAY_DAYS):
        plan.append((by_name["住院诊查费"], "1", day(d, 8), None))
        plan.append((by_name["床位费(三人间)"], "1", day(d, 23), None))
        plan.append((by_name["静脉输液"], "2", day(d, 14), None))
        plan.append((by_name["头孢克肟片"], "2", day(d, 9), None))  # an 8-day course: CRS-002 allows 7
    plan.append((by_name["住院诊查费"], "1", day(3, 16), None))  # a second consultation on day 3: FREQ-001
    plan.append((by_name["床位费(三人间)"], "1", day(STAY_DAYS, 8), None))  # a ninth bed day: BED-001/002
    for d in (0, 2, 4, 6):
        plan.append((by_name["血常规"], "1", day(d, 7), None))
    plan.append((by_name["CT平扫"], "2", day(1, 11), None))
    plan.append((by_name["心电图"], "1", day(0, 10), None))
    plan.append((by_name["心电图"], "1", day(0, 10), None))  # the same line uploaded twice: DUP-001
    plan.append((by_name["二甲双胍片"], "30", day(1, 9), None))
    plan.append((by_name["复方丹参滴丸"], "30", day(2, 9), None))
    plan.append((by_name["黄体酮注射液"], "1", day(2, 9), None))  # restricted to women: RST, IND
    plan.append((by_name["换药"], "1", day(5, 15), None))
    plan.append((by_name["静脉输液"], "1", DISCHARGE + dt.timedelta(hours=3), None))  # after discharge: OUT-001
    plan.append((by_name["血常规"], "1", day(7, 7), Decimal("24.00")))  # over its 20.00 limit: PRC-001/002
    while len(plan) < 100:
        item = others[int(rng.integers(0, len(others)))]
        plan.append((item, str(int(rng.integers(1, 5))), day(int(rng.integers(0, STAY_DAYS)),
                                                               int(rng.integers(7, 20))), None))
    rows = []
    for sn, (item, cnt, when, price) in enumerate(plan, start=1):
        cnt = Decimal(cnt).quantize(Decimal("0.0001"))
        pric = (price or item["_price"]).quantize(Decimal("0.0001"))
        rows.append({"visit_id": 1, "pk": sn, "visit__mdtrt_id": MDTRT, "feedetl_sn": f"{sn:04d}",
                     "med_list_codg": item["med_list_codg"], "cnt": cnt, "pric": pric,
                     "det_item_fee_sumamt": (cnt * pric).quantize(Decimal("0.01")), "fee_ocur_time": when,
                     "mdtrt_id": MDTRT})
    return rows


def make_records(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    catalog = make_catalog(rng)
    lines = make_lines(rng, catalog)
    codes = {r["med_list_codg"] for r in lines}
    catalog_items = [{k: v for k, v in c.items() if k != "_price"} for c in catalog if c["med_list_codg"] in codes]
    visit = {"mdtrt_id": MDTRT, "psn_no": PERSON, "med_type": "21", "begntime": ADMIT, "setl_time": DISCHARGE,
             "inst_level": 3, "inst_designated": True, "insutype": "310", "psn_type": "in_service",
             "enrolled_from": dt.date(2015, 7, 1), "enrolled_to": None, "paid_through": "2026-12",
             "assistance_category": ""}
    person = {"psn_no": PERSON, "gender": "1", "birth_date": dt.date(1968, 5, 17), "acct_balance": Decimal("1234.56")}
    state = [
        {"psn_no": PERSON, "year": 2026, "kind": "admissions", "key": "", "amount": 1},
        {"psn_no": PERSON, "year": 2026, "kind": "deductible_used", "key": "21", "amount": 80000},
        {"psn_no": PERSON, "year": 2026, "kind": "band_position", "key": "employee_pool", "amount": 523400},
        {"psn_no": PERSON, "year": 2026, "kind": "cap_paid", "key": "employee_pool", "amount": 418720},
    ]
    # the audit's view of the visit and of the person's stored visits (claims.audit_io._visit_rows)
    audit_visit = {"mdtrt_id": MDTRT, "psn_no": PERSON, "fixmedins_code": INSTITUTION, "med_type": "21",
                   "begntime": ADMIT, "endtime": DISCHARGE, "inst_level": 3, "gender": "1", "age": 57,
                   "diagnoses": ("K35.800", "E11.900")}
    history = [
        {**audit_visit, "mdtrt_id": "M202602100007", "begntime": dt.datetime(2026, 2, 10, 8), "age": 57,
         "endtime": dt.datetime(2026, 2, 20, 9), "diagnoses": ("K35.800",)},  # 10 days before: READM-001
        {**audit_visit, "mdtrt_id": "M202601150031", "fixmedins_code": "H41080000017", "med_type": "11",
         "begntime": dt.datetime(2026, 1, 15, 10), "endtime": dt.datetime(2026, 1, 15, 11), "inst_level": 1,
         "diagnoses": ("E11.900",)},
        {**audit_visit, "mdtrt_id": "M202512020002", "fixmedins_code": "H41080000023",
         "begntime": dt.datetime(2025, 12, 2, 9), "endtime": dt.datetime(2025, 12, 9, 10), "inst_level": 2,
         "diagnoses": ("J18.900",)},
    ]
    inst_stats = pd.DataFrame([
        {"fixmedins_code": INSTITUTION, "med_type": "11", "avg_amount_fen": 21350, "visits": 1840},
        {"fixmedins_code": INSTITUTION, "med_type": "21", "avg_amount_fen": 1043200, "visits": 312},
    ], columns=STATS_COLUMNS).astype({"avg_amount_fen": np.int64, "visits": np.int64})
    library = [{"med_list_codg": c["med_list_codg"], "name": c["name"]} for c in catalog]
    return {"lines": lines, "catalog_items": catalog_items, "library_catalog": library, "visit": visit, "person": person, "state": state,
            "audit_visit": audit_visit, "history": history, "inst_stats": inst_stats}


def audit_visit_frame(rows: list[dict]) -> pd.DataFrame:
    """claims.audit_io._visit_rows on records (the same calls, column by column)."""
    diagnoses = np.empty(len(rows), dtype=object)
    diagnoses[:] = [r["diagnoses"] for r in rows]
    return pd.DataFrame({
        "mdtrt_id": inferred_column([r["mdtrt_id"] for r in rows]),
        "psn_no": inferred_column([r["psn_no"] for r in rows]),
        "fixmedins_code": inferred_column([r["fixmedins_code"] for r in rows]),
        "med_type": inferred_column([r["med_type"] for r in rows]),
        "begntime": datetime_column([r["begntime"] for r in rows]),
        "endtime": datetime_column([r["endtime"] for r in rows]),
        "inst_level": inferred_column([r["inst_level"] for r in rows]),
        "gender": inferred_column([r["gender"] for r in rows]),
        "age": inferred_column([r["age"] for r in rows]),
        "diagnoses": diagnoses,
    })


def audit_lines_frame(line_rows: list[dict]) -> pd.DataFrame:
    """claims.audit_io.audit_frames' lines frame on records (the same calls)."""
    qty = {}

    def q(value):
        key = (type(value), str(value))
        if key not in qty:
            qty[key] = scaled(value, QTY_SCALE)
        return qty[key]

    return pd.DataFrame({
        "mdtrt_id": inferred_column([r["visit__mdtrt_id"] for r in line_rows]),
        "feedetl_sn": inferred_column([r["feedetl_sn"] for r in line_rows]),
        "med_list_codg": inferred_column([r["med_list_codg"] for r in line_rows]),
        "cnt_e4": inferred_column([q(r["cnt"]) for r in line_rows]),
        "pric_e4": inferred_column([q(r["pric"]) for r in line_rows]),
        "amount_fen": inferred_column([int(r["det_item_fee_sumamt"] * 100) for r in line_rows]),
        "fee_ocur_time": datetime_column([r["fee_ocur_time"] for r in line_rows]),
    })


def plan_keys(rec: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reader's VISIT_KEYS and LINE_KEYS of the visit (claims.settlement.loading): ids, and no split stored."""
    lines = rec["lines"]
    visit_keys = pd.DataFrame({
        "mdtrt_id": inferred_column([MDTRT]), "visit_id": np.array([1], dtype=np.int64),
        "person_id": np.array([7], dtype=np.int64), "institution_id": np.array([3], dtype=np.int64),
        "med_type": inferred_column([rec["visit"]["med_type"]]), "setl_time": datetime_column([DISCHARGE]),
    }, copy=False)
    none = np.full(len(lines), -1, dtype=np.int64)
    line_keys = pd.DataFrame({
        "mdtrt_id": inferred_column([r["mdtrt_id"] for r in lines]),
        "feedetl_sn": inferred_column([r["feedetl_sn"] for r in lines]),
        "fee_line_id": np.array([r["pk"] for r in lines], dtype=np.int64),
        **{f"stored_{c}": none.copy() for c in SPLIT_FEN}, "stored_selfpay_prop_e6": none.copy(),
        "stored_chrgitm_lv": inferred_column([""] * len(lines)), "stored_reason": inferred_column([""] * len(lines)),
    }, copy=False)
    return visit_keys, line_keys


def settle(rec: dict, packs: list, rules: list, clock=None) -> tuple:
    """The engine's share of one settlement; clock(stage) is called after each stage when given."""
    tick = clock or (lambda stage: None)
    catalog = catalog_frame(rec["catalog_items"])
    frames = {"lines": lines_frame(rec["lines"]), "visits": visits_frame([rec["visit"]]),
              "persons": persons_frame([rec["person"]]), "catalog": catalog, "policies": packs,
              "state": state_frame(rec["state"])}
    tick("frames")
    result = adjudicate(**frames)
    tick("adjudicate")
    plan = plan_settlements(result, *rec["plan_keys"], {p.code: 1 for p in packs})
    tick("plan")
    audit_catalog = catalog.copy()
    audit_catalog["name"] = [i["name"] for i in rec["catalog_items"]]
    audit = {"lines": audit_lines_frame(rec["lines"]), "visits": audit_visit_frame([rec["audit_visit"]]),
             "catalog": audit_catalog, "history": audit_visit_frame(rec["history"]),
             "inst_stats": rec["inst_stats"]}
    tick("audit frames")
    hits = run_audit(rules=rules, **audit)
    tick("run_audit")
    return result, hits, plan


def plan_digest(plan) -> str:
    """sha256 over the plan's frames (columns, dtypes, values), the random settlement ids left out."""
    h = hashlib.sha256()
    for name in ("settlements", "lines", "fee_lines", "accumulations", "movements"):
        df = getattr(plan, name)
        h.update(name.encode())
        for c in df.columns:
            if c != "setl_id":
                h.update(f"{c}:{df[c].dtype}:{[repr(v) for v in df[c].tolist()]}".encode())
    h.update(repr(plan.visit_ids.tolist()).encode())
    return h.hexdigest()[:16]


def digest(result, hits) -> str:
    """sha256 over every output frame's columns, dtypes and values (two engines agree iff the digests do)."""
    h = hashlib.sha256()
    for name, df in (("lines", result.lines), ("settlements", result.settlements), ("deltas", result.deltas),
                     ("state", result.state), ("accounts", result.accounts), ("hits", hits)):
        h.update(name.encode())
        for c in df.columns:
            h.update(f"{c}:{df[c].dtype}:{[repr(v) for v in df[c].tolist()]}".encode())
    return h.hexdigest()[:16]


def percentile(values, q) -> float:
    return float(np.percentile(np.asarray(values), q))


def machine() -> str:
    cpu = "?"
    if os.path.exists("/proc/cpuinfo"):
        cpu = next((r.split(":", 1)[1].strip() for r in open("/proc/cpuinfo") if r.startswith("model name")), "?")
    return (f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}, "
            f"pandas {pd.__version__}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=300, help="timed settlements (default 300)")
    ap.add_argument("--warmup", type=int, default=20, help="untimed settlements first (default 20)")
    ap.add_argument("--seed", type=int, default=20260310, help="numpy seed of the visit (default 20260310)")
    ap.add_argument("--profile", action="store_true", help="print cProfile's top 30 over the timed settlements")
    ap.add_argument("--sort", default="tottime", help="cProfile sort key with --profile (default tottime)")
    args = ap.parse_args(argv)
    print(f"reproduce: .venv/bin/python bench/counter_bench.py --repeat {args.repeat} --seed {args.seed}"
          + (" --profile" if args.profile else ""))
    print(f"machine:   {machine()}")
    packs = [parse_pack(json.loads(POLICY.read_text()))]
    rec = make_records(args.seed)
    rules = default_rules(rec["library_catalog"])  # as load_default_rules makes them from the whole catalog
    rec["plan_keys"] = plan_keys(rec)
    result, hits, plan = settle(rec, packs, rules)
    setl = result.settlements.iloc[0]
    print(f"visit:     {len(rec['lines'])} lines, {len(rec['catalog_items'])} catalog items, {len(rules)} rules, "
          f"{len(rec['history'])} stored visits; medfee {setl['medfee_sumamt'] / 100:.2f}, fund "
          f"{setl['fund_pay_sumamt'] / 100:.2f}; {len(hits)} hits ({', '.join(sorted(set(hits['rule_code'])))})")
    print(f"digest:    {digest(result, hits)}")
    print(f"plan:      {plan_digest(plan)} (digest of the write plan's frames, setl_id left out)")
    for _ in range(args.warmup):
        settle(rec, packs, rules)
    stages: dict[str, list[float]] = {}
    totals = []
    profiler = cProfile.Profile() if args.profile else None
    gc.collect()
    for _ in range(args.repeat):
        last = [time.process_time()]

        def clock(stage, last=last):
            now = time.process_time()
            stages.setdefault(stage, []).append((now - last[0]) * 1000)
            last[0] = now

        start = last[0]
        if profiler:
            profiler.enable()
        settle(rec, packs, rules, clock)
        if profiler:
            profiler.disable()
        totals.append((last[0] - start) * 1000)
    for stage, ms in stages.items():
        print(f"{stage + ':':<14} p50 {percentile(ms, 50):6.2f} ms   p95 {percentile(ms, 95):6.2f} ms")
    print(f"{'settlement:':<14} p50 {percentile(totals, 50):6.2f} ms   p95 {percentile(totals, 95):6.2f} ms   "
          f"min {min(totals):.2f} ms  (process CPU per settlement, {args.repeat} settlements)")
    print(f"load:      {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; date {dt.datetime.now().isoformat('T', 'seconds')}")
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
