"""Daily batch benchmark (issue #7): one day of fee lines, already uploaded, through the daily job.

Creates a scratch database (default yibao_bench_daily, dropped at the end unless --keep), migrates it and
writes a synthetic city with `manage.py synth_city` in a subprocess: --persons insured, --institutions
institutions and one day of --lines fee lines (about a tenth as many visits), all discharged and uploaded
that day. Then, in this process:

  1. the floor: the time PostgreSQL takes merely to COPY the same rows (a CSV of the day's claims_feeline
     rows) into a bare table like claims_feeline (CREATE TABLE ... (LIKE claims_feeline INCLUDING DEFAULTS)),
     and into one with its indexes and checks (INCLUDING ALL);
  2. the daily job: claims.daily.run_day on the bulk path, every chunk in this process;

and prints lines/s end to end, the wall time, the ratio to the bare COPY, the peak RSS of this process
(resource.getrusage) and of the generator, and where the job's time went (SQL by statement, COMMIT, COPY,
the engine, Python).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibao .venv/bin/python bench/daily_bench.py
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import support  # noqa: E402

DAY = dt.date(2026, 3, 16)


def copy_floor(cursor) -> dict[str, float]:
    """Seconds to COPY the day's fee lines, as CSV, into a bare table and into one with the indexes."""
    buf = io.BytesIO()
    cursor.copy_expert("COPY (SELECT * FROM claims_feeline ORDER BY id) TO STDOUT WITH (FORMAT csv)", buf)
    out = {"csv_mb": buf.tell() / 1e6}
    for label, like in (("bare", "INCLUDING DEFAULTS"), ("indexed", "INCLUDING ALL")):
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute(f"CREATE TABLE bench_copy (LIKE claims_feeline {like})")
        cursor.execute("COMMIT")
        buf.seek(0)
        t0 = time.perf_counter()
        cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv)", buf)
        cursor.execute("COMMIT")
        out[label] = time.perf_counter() - t0
        cursor.execute("DROP TABLE bench_copy")
        cursor.execute("COMMIT")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--institutions", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20260316)
    parser.add_argument("--chunks", type=int, default=None, help="default: settings.DAILY_JOB_CHUNKS")
    parser.add_argument("--database", default="yibao_bench_daily")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    print("reproduce:", support.reproduce("bench/daily_bench.py", sys.argv[1:]))

    with support.scratch_database(args.database, keep=args.keep) as url:
        generated, summary, gen_rss = support.synth(url, persons=args.persons, institutions=args.institutions,
                                                     lines=args.lines, seed=args.seed, start=DAY.isoformat())
        print(f"generated in {generated:.0f} s (peak RSS {gen_rss:,.0f} MB): {summary}")
        support.setup_django(url)
        from django.conf import settings
        from django.db import connection

        from claims import daily
        from claims.models import FeeLine, SettlementLine, Visit

        chunks = args.chunks or settings.DAILY_JOB_CHUNKS
        with connection.cursor() as cursor:
            print("machine:", support.machine(cursor))
            floor = copy_floor(cursor)
            support.prepare_for_batch(cursor)
        rss_before = support.peak_rss_mb()
        with support.Phases() as phases:
            job = daily.run_day(DAY, chunks=chunks)
        wall = phases.wall
        lines = FeeLine.objects.count()
        assert job.status == "done", job.error
        assert job.lines_classified == lines == args.lines, (job.lines_classified, lines)
        assert job.visits_settled + job.visits_held == Visit.objects.count()
        assert not FeeLine.objects.filter(inscp_scp_amt__isnull=True).exists()
        settled_lines = SettlementLine.objects.count()
        print(f"COPY of the same {lines:,} rows ({floor['csv_mb']:.0f} MB of CSV): {floor['bare']:.1f} s into a bare "
              f"table, {floor['indexed']:.1f} s with claims_feeline's indexes and checks")
        print(f"daily job, {chunks} chunks in this process: {wall:.1f} s for {lines:,} lines "
              f"({support.rate(lines, wall)} lines/s); {job.visits_settled:,} visits settled, {job.visits_held:,} "
              f"held, {settled_lines:,} settlement lines")
        print(f"ratio to the bare COPY: {wall / floor['bare']:.1f}x (to the indexed COPY: "
              f"{wall / floor['indexed']:.1f}x)")
        print(f"peak RSS: this process {support.peak_rss_mb():,.0f} MB (before the job {rss_before:,.0f} MB), "
              f"the generator {gen_rss:,.0f} MB")
        print("where the job's time went:")
        print(phases.report())
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
