"""Daily batch benchmark (issue #7): one day of fee lines, already uploaded, through the daily job.

Copies a synthetic city into a scratch database (default yibao_bench_daily, dropped at the end unless
--keep): --persons insured, --institutions institutions and one day of --lines fee lines (about a tenth as
many visits), all discharged and uploaded that day, with the default smart-audit rule library. The city is
written once by `manage.py synth_city` in a subprocess and kept as a template database (support.city_template;
--fresh-city writes it again). Then, in this process:

  1. the floor: the time PostgreSQL takes merely to COPY the same rows (a CSV of the day's claims_feeline
     rows) into a bare table like claims_feeline (CREATE TABLE ... (LIKE claims_feeline INCLUDING DEFAULTS)),
     and into one with its indexes and checks (INCLUDING ALL);
  2. the daily job on the bulk path: claims.batch.jobs.create_job, which plans it, then run_chunk for every chunk in
     --processes worker processes;
  3. the floor of the job's writes: the time to COPY the rows the job inserted (settlement lines, settlements
     and their history events, audit hits, suspect items, review events, accumulators, account movements)
     into tables like theirs with their indexes and checks, in one process;

and prints lines/s end to end, the wall time, the ratio to the bare COPY and to the writes' floor, the CPU
(user + system) of the job and of each floor, counting this process, the workers and their PostgreSQL
backends (on a shared machine the wall time measures the neighbours too), the peak
RSS of this process (resource.getrusage) and of the generator, and where the job's time went (SQL by
statement, COMMIT, COPY, the engine, Python).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibao .venv/bin/python bench/daily_bench.py
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import support  # noqa: E402

DAY = dt.date(2026, 3, 16)


def csv_of(cursor, source: str) -> io.BytesIO:
    """A table's or query's rows as CSV (source: a table name or "(SELECT ...)")."""
    buf = io.BytesIO()
    cursor.copy_expert(f"COPY {source} TO STDOUT WITH (FORMAT csv)", buf)
    return buf


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process of this machine has used: for a PostgreSQL backend, the server's
    side of a connection (the benchmark and the server share the machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_now(cursor) -> float:
    """CPU seconds used so far by this process and by its connection's backend, together. On a shared machine
    the wall time measures the neighbours too; the CPU a piece of work takes does not."""
    cursor.execute("SELECT pg_backend_pid()")
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + process_cpu(cursor.fetchone()[0])


def timed_copy(cursor, buf: io.BytesIO, like: str) -> tuple[float, float]:
    """(seconds, CPU seconds of this process and its backend) to COPY the CSV into a new table
    `CREATE TABLE ... (LIKE <like>)` and commit; the table is dropped."""
    cursor.execute("DROP TABLE IF EXISTS bench_copy")
    cursor.execute(f"CREATE TABLE bench_copy (LIKE {like})")
    cursor.execute("COMMIT")
    buf.seek(0)
    cpu0 = cpu_now(cursor)
    t0 = time.perf_counter()
    cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv)", buf)
    cursor.execute("COMMIT")
    seconds = time.perf_counter() - t0
    cpu = cpu_now(cursor) - cpu0
    cursor.execute("DROP TABLE bench_copy")
    cursor.execute("COMMIT")
    return seconds, cpu


def copy_floor(cursor) -> dict[str, float]:
    """Seconds to COPY the day's fee lines, as CSV, into a bare table and into one with the indexes."""
    buf = csv_of(cursor, "(SELECT * FROM claims_feeline ORDER BY id)")
    bare, bare_cpu = timed_copy(cursor, buf, "claims_feeline INCLUDING DEFAULTS")
    indexed, indexed_cpu = timed_copy(cursor, buf, "claims_feeline INCLUDING ALL")
    return {"csv_mb": buf.tell() / 1e6, "bare": bare, "bare_cpu": bare_cpu, "indexed": indexed,
            "indexed_cpu": indexed_cpu}


# the rows a daily job inserts (the city holds none before the job, so every row of these is the job's)
OUTPUT_TABLES = ("claims_settlementline", "claims_settlement", "claims_settlementevent", "claims_audithit",
                 "claims_suspectitem", "claims_reviewevent", "claims_settlementaccumulation", "claims_accumulator",
                 "insurance_accountmovement")


def writes_floor(cursor) -> dict[str, float]:
    """Seconds to COPY the job's output rows, as CSV, into tables like theirs with their indexes and checks
    (no foreign keys, no triggers), one table after another in one process: the floor of what the job must
    write. Returns {table: seconds}, "rows" and "cpu" (CPU seconds of this process and its backend, all tables)."""
    out = {"rows": 0, "cpu": 0.0}
    for table in OUTPUT_TABLES:
        cursor.execute(f"SELECT count(*) FROM {table}")
        out["rows"] += cursor.fetchone()[0]
        out[table], cpu = timed_copy(cursor, csv_of(cursor, table), f"{table} INCLUDING ALL")
        out["cpu"] += cpu
    return out


PROFILE_OUT = None  # --profile-out: each worker's chunks are profiled (cProfile) into PROFILE_OUT.<chunk id>


def run_chunk(chunk_id: int) -> dict:
    """One chunk in a worker process (forked from the benchmark, Django set up): its phases and peak RSS."""
    from django.db import connection

    from claims.batch import jobs as daily

    with connection.cursor() as cursor:
        cpu0 = cpu_now(cursor)
    with support.Phases() as phases, support.GCClock() as collector:
        if PROFILE_OUT:
            profile = cProfile.Profile()
            profile.runcall(daily.run_chunk, chunk_id)
            profile.dump_stats(f"{PROFILE_OUT}.{chunk_id}")
        else:
            daily.run_chunk(chunk_id)
    with connection.cursor() as cursor:
        cpu = cpu_now(cursor) - cpu0
    connection.close()
    return {"seconds": phases.seconds | {"(wall)": phases.wall}, "pid": os.getpid(), "rss": support.peak_rss_mb(),
            "cpu": cpu, "gc": sum(collector.cpu), "gc_passes": collector.passes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--institutions", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20260316)
    parser.add_argument("--chunks", type=int, default=None, help="default: settings.DAILY_JOB_CHUNKS")
    parser.add_argument("--max-wal-size", metavar="SIZE",
                        help="run with this max_wal_size (ALTER SYSTEM, put back afterwards; needs superuser): "
                             "fewer checkpoints, so fewer full-page images in the WAL during the job")
    parser.add_argument("--processes", type=int, default=os.cpu_count(),
                        help="worker processes taking chunks (default: one per core)")
    parser.add_argument("--database", default="yibao_bench_daily")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--fresh-city", action="store_true", help="generate the city again, not from the cache")
    parser.add_argument("--unclassified", action="store_true",
                        help="lines without their upload-time split (the batch writes every line's split); by "
                             "default the lines are classified as the upload verbs leave them")
    parser.add_argument("--profile-out", metavar="FILE",
                        help="profile each chunk's Python with cProfile into FILE.<chunk id> (pstats; the profiler "
                             "slows the Python down, so the timings of such a run are not the benchmark's)")
    args = parser.parse_args()
    global PROFILE_OUT
    PROFILE_OUT = args.profile_out
    print("reproduce:", support.reproduce("bench/daily_bench.py", sys.argv[1:]))

    if args.max_wal_size:
        with support.server_setting("max_wal_size", args.max_wal_size):
            return run(args)
    return run(args)


def run(args) -> int:
    city = support.city_template(persons=args.persons, institutions=args.institutions, lines=args.lines,
                                 seed=args.seed, start=DAY.isoformat(), fresh=args.fresh_city,
                                 classified=not args.unclassified)
    with support.scratch_database(args.database, keep=args.keep, template=city) as url:
        support.setup_django(url)
        from django.conf import settings
        from django.db import connection

        from claims.batch import jobs as daily
        from claims.models import FeeLine, SettlementLine, Visit
        from review.models import AuditHit, SuspectItem

        chunks = args.chunks or settings.DAILY_JOB_CHUNKS
        with connection.cursor() as cursor:
            print("machine:", support.machine(cursor))
            floor = copy_floor(cursor)
            cursor.execute("CHECKPOINT")
        rss_before = support.peak_rss_mb()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            wal_start = cursor.fetchone()[0]
        with connection.cursor() as cursor:
            cpu0 = cpu_now(cursor)
        t0 = time.perf_counter()
        job, _ = daily.create_job(DAY, chunks)  # and its plan: the day's visits by chunk, the audit's statistics
        planned = time.perf_counter() - t0
        with connection.cursor() as cursor:
            planned_cpu = cpu_now(cursor) - cpu0
        chunk_ids = list(job.chunks.values_list("pk", flat=True))
        connection.close()  # each worker opens its own
        with multiprocessing.get_context("fork").Pool(args.processes, maxtasksperchild=None) as pool:
            runs = pool.map(run_chunk, chunk_ids, chunksize=1)
        wall = time.perf_counter() - t0
        daily.finish_job_if_complete(job.pk)
        job.refresh_from_db()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [wal_start])
            wal_mb = float(cursor.fetchone()[0]) / 1e6
        phases = support.Phases.merged([r["seconds"] for r in runs], wall)
        rss = {}
        for r in runs:
            rss[r["pid"]] = max(rss.get(r["pid"], 0), r["rss"])
        lines = FeeLine.objects.count()
        assert job.status == "done", job.error
        assert job.lines_classified == lines == args.lines, (job.lines_classified, lines)
        assert job.visits_settled + job.visits_held == Visit.objects.count()
        assert not FeeLine.objects.filter(inscp_scp_amt__isnull=True).exists()
        with connection.cursor() as cursor:
            writes = writes_floor(cursor)
        writes_total = sum(v for k, v in writes.items() if k not in ("rows", "cpu"))
        job_cpu = planned_cpu + sum(r["cpu"] for r in runs)
        settled_lines = SettlementLine.objects.count()
        hits, items = AuditHit.objects.count(), SuspectItem.objects.count()
        print(f"COPY of the same {lines:,} rows ({floor['csv_mb']:.0f} MB of CSV): {floor['bare']:.1f} s into a bare "
              f"table, {floor['indexed']:.1f} s with claims_feeline's indexes and checks")
        print(f"daily job, {chunks} chunks in {args.processes} worker process(es): {wall:.1f} s for {lines:,} lines "
              f"({support.rate(lines, wall)} lines/s); {job.visits_settled:,} visits settled, {job.visits_held:,} "
              f"held, {settled_lines:,} settlement lines, {hits:,} audit hits, {items:,} suspect items "
              f"(audit {'on' if settings.DAILY_JOB_AUDIT else 'off'})")
        print(f"of which planning the job (create_job, one process): {planned:.1f} s")
        print(f"WAL written by the job: {wal_mb:,.0f} MB ({wal_mb * 1e6 / lines:,.0f} bytes a line)")
        print(f"ratio to the bare COPY: {wall / floor['bare']:.1f}x (to the indexed COPY: "
              f"{wall / floor['indexed']:.1f}x)")
        print(f"COPY of the job's output, {writes['rows']:,} rows in {len(OUTPUT_TABLES)} tables, into tables like "
              f"theirs with their indexes and checks (no foreign keys, no triggers), one process: {writes_total:.1f} s "
              f"({', '.join(f'{t} {writes[t]:.2f}' for t in OUTPUT_TABLES)} s); the job is {wall / writes_total:.1f}x "
              f"that")
        visits = job.visits_settled + job.visits_held
        print(f"CPU (user + system, the benchmark's processes and their PostgreSQL backends): the job {job_cpu:.1f} s "
              f"({job_cpu * 1000 / lines:.3f} s per 1000 lines, {job_cpu * 1000 / max(visits, 1):.2f} s per 1000 "
              f"visits; planning {planned_cpu:.1f} s); the bare COPY {floor['bare_cpu']:.1f} s, the indexed COPY "
              f"{floor['indexed_cpu']:.1f} s, the output's COPY {writes['cpu']:.1f} s; the job is "
              f"{job_cpu / writes['cpu']:.1f}x the output's COPY in CPU")
        passes = [sum(r["gc_passes"][g] for r in runs) for g in range(3)]
        print(f"garbage collector in the workers: {sum(r['gc'] for r in runs):.1f} s of CPU (passes of generations "
              f"0/1/2: {'/'.join(str(p) for p in passes)})")
        print(f"peak RSS per worker process: {', '.join(f'{m:,.0f} MB' for m in rss.values())} (this process "
              f"{rss_before:,.0f} MB)")
        print(f"load average after the run: {support.load_average()}")
        print("where the job's time went (summed over the workers; the percentages are of their total busy time):")
        print(phases.report(top=22))
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
