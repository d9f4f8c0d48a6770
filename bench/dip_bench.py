"""DIP grouping and scoring benchmark (issue 18): a city's year of inpatient cases grouped, scored, the
point value and every institution's amount, through `policy_rules.engine.dip.dip_year` alone (generation
excluded). Target: 2,000,000 cases in under 60 s on this machine.

Synthetic, with numpy and a fixed seed:
  * a grouping table of --groups groups (default 8,000, about the size of a city's official DIP table):
    main-diagnosis prefixes of 3, 5 and 7 characters (K35, K35.8, K35.800), each with procedures of 4, 5
    and 7 characters or conservative treatment, reference costs at levels 1-3;
  * --cases cases (default 2,000,000) at --institutions institutions, about 90 % of them matching a group
    (the rest are 未入组), costs spread so that low, normal and high cases all occur.

    .venv/bin/python bench/dip_bench.py --cases 2000000 --repeat 3
    .venv/bin/python bench/dip_bench.py --cases 2000000 --repeat 3 --method drg   # CHS-DRG grouping (docs/drg.md)
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's engine, not the installed one

from policy_rules.engine.dip import LEVELS, DipParams, dip_year  # noqa: E402
from policy_rules.engine.drg import drg_table, drg_year  # noqa: E402


def make_groups(n: int, rng: np.random.Generator) -> pd.DataFrame:
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    chapters = [f"{a}{b:02d}" for a in letters for b in range(100)]
    rows, seen = [], set()
    while len(rows) < n:
        diag = str(rng.choice(chapters))
        depth = rng.integers(0, 3)
        if depth >= 1:
            diag += f".{rng.integers(0, 10)}"
        if depth == 2:
            diag += f"{rng.integers(0, 100):02d}"
        kind = rng.integers(0, 4)
        oprn = "" if kind == 0 else f"{rng.integers(1, 99):02d}." + "".join(
            str(d) for d in rng.integers(0, 10, size=int(kind)))
        if (diag, oprn) in seen:
            continue
        seen.add((diag, oprn))
        ref = int(rng.integers(3_000, 60_000)) * 100
        rows.append({"code": f"G{len(rows):05d}", "diag": diag, "oprn": oprn,
                     "points_e4": int(rng.integers(100, 5_000)) * 10_000,
                     "ref_0": -1, "ref_1": ref * 7 // 10, "ref_2": ref * 85 // 100, "ref_3": ref})
    return pd.DataFrame(rows)


def make_cases(n: int, institutions: int, groups: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    pick = rng.integers(0, len(groups), size=n)
    diag = groups["diag"].to_numpy(dtype=object)[pick]
    oprn = groups["oprn"].to_numpy(dtype=object)[pick]
    # lengthen the codes as real cases are (K35 → K35.800), and spoil about 10 % so they match nothing
    tail = np.array([".800", "00", "1", ""], dtype=object)[rng.integers(0, 4, size=n)]
    diag = np.where(np.char.str_len(diag.astype(str)) == 3, diag + tail, diag)
    spoil = rng.random(n) < 0.10
    diag = np.where(spoil, "Z99.999", diag)
    oprn = np.where(oprn != "", oprn + "00", oprn)
    level = rng.integers(1, 4, size=n)
    ref = groups[["ref_0", "ref_1", "ref_2", "ref_3"]].to_numpy(np.int64)[pick, level]
    medfee = np.maximum((ref * rng.lognormal(0, 0.6, size=n)).astype(np.int64), 100)
    fund = medfee * 7 // 10
    inst = rng.integers(0, institutions, size=n)
    return pd.DataFrame({"case_id": np.arange(n).astype(str), "institution": [f"H{i:05d}" for i in inst],
                         "level": level, "main_diag": diag, "main_oprn": oprn, "medfee_fen": medfee,
                         "fund_fen": fund, "psn_part_fen": medfee - fund})


def make_drg_table(groups: pd.DataFrame, rng: np.random.Generator) -> dict:
    """A CHS-DRG-shaped table over the same codes: an MDC per first letter, a surgical ADRG per procedure
    chapter and a medical ADRG per diagnosis chapter within it, DRGs split by severity, a CC/MCC list."""
    letters = sorted({d[0] for d in groups["diag"]})
    mdc = [{"code": L, "diag_prefixes": [L]} for L in letters]
    adrg, drg, cc = [], [], []
    for L in letters:
        for j, chapter in enumerate(sorted({o[:2] for o in groups.loc[groups["diag"].str[0] == L, "oprn"] if o})):
            adrg.append({"code": f"{L}S{j}", "mdc": L, "kind": "surgical", "oprn_prefixes": [chapter]})
        for j, chapter in enumerate(sorted({d[:3] for d in groups.loc[groups["diag"].str[0] == L, "diag"]})):
            adrg.append({"code": f"{L}M{j}", "mdc": L, "kind": "medical", "diag_prefixes": [chapter]})
    for a in adrg:
        ref = int(rng.integers(3_000, 60_000))
        for sev, factor in (("MCC", 1.6), ("CC", 1.2), ("none", 1.0)):
            if sev == "CC" and rng.random() < 0.3:
                continue
            drg.append({"code": a["code"] + {"MCC": "1", "CC": "3", "none": "5"}[sev], "adrg": a["code"], "severity": sev,
                        "rw": f"{factor * ref / 10_000:.4f}",
                        "ref_cost": {str(lv): f"{ref * factor * (0.7 + 0.1 * lv):.2f}" for lv in (1, 2, 3)}})
    chapters = sorted({d[:3] for d in groups["diag"]})
    for chapter in rng.choice(chapters, size=min(2_000, len(chapters)), replace=False):
        cc.append({"diag_prefix": str(chapter), "level": "MCC" if rng.random() < 0.3 else "CC",
                   "excluded_main_prefixes": [str(chapter)[:2]] if rng.random() < 0.2 else []})
    return {"mdc": mdc, "adrg": adrg, "drg": drg, "cc": cc}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=2_000_000)
    ap.add_argument("--groups", type=int, default=8_000)
    ap.add_argument("--institutions", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20260316)
    ap.add_argument("--method", choices=("dip", "drg"), default="dip")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    groups = make_groups(args.groups, rng)
    cases = make_cases(args.cases, args.institutions, groups, rng)
    params = DipParams(500_000, 2_000_000, {lv: 1_000_000 - 50_000 * (3 - lv) for lv in LEVELS}, 10**12)
    if args.method == "drg":
        table = drg_table(make_drg_table(groups, rng))
        codes = groups["diag"].to_numpy(dtype=object)
        picks = rng.integers(0, len(codes), size=(len(cases), 3))
        counts = rng.integers(0, 4, size=len(cases))
        cases["secondary"] = ["|".join(codes[p[:k]]) for p, k in zip(picks, counts, strict=True)]
        print(f"DRG table: {len(table.drgs):,} DRGs, {len(table.cc):,} CC/MCC prefixes")
    walls, cpus = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = drg_year(cases, table, params) if args.method == "drg" else dip_year(cases, groups, params)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    kinds = result.cases["kind"].value_counts().to_dict()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()},"
          f" pandas {pd.__version__}, load {os.getloadavg()[0]:.1f}")
    print(f"cases {args.cases:,}, groups {len(groups):,}, institutions {args.institutions}")
    print(f"grouped {int((result.cases['points_e4'] >= 0).sum()):,} ({kinds}), point value {result.point_value_e6 / 1e6}")
    print(f"wall best {min(walls):.2f} s, median {statistics.median(walls):.2f} s; "
          f"CPU best {min(cpus):.2f} s, median {statistics.median(cpus):.2f} s "
          f"({statistics.median(cpus) / args.cases * 1e6:.2f} µs CPU per case)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
