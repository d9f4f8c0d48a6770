"""Workers benchmark (issue #7): the daily batch split by person into Celery tasks, 1 then 2 workers.

Takes the synthetic city of bench/daily_bench.py (support.city_template: one day of --lines fee lines
classified at upload, --persons insured, the default audit rules; generated once and cached). For each
worker count (--workers, default 1 and 2) it copies that database (CREATE DATABASE ... TEMPLATE), starts that many
`celery -A config worker --concurrency 1` processes against the copy and a Redis database of its own
(redis://127.0.0.1:6379/14 unless --broker), enqueues the day with claims.tasks.start_daily_job, waits
until the job is done, stops the workers and drops the copy. Prints the wall time from enqueue to done,
lines/s, the speed-up over one worker and each worker's peak RSS (VmHWM of the worker and its pool child).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibao .venv/bin/python bench/workers_bench.py
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import support  # noqa: E402

DAY = dt.date(2026, 3, 16)
BROKER = "redis://127.0.0.1:6379/14"
TIMEOUT = 1800
LOG_DIR = Path(os.environ.get("BENCH_LOG_DIR", "/tmp"))


def start_workers(n: int, url: str, broker: str, chunks: int) -> list[subprocess.Popen]:
    env = support.django_env(url, CELERY_BROKER_URL=broker, DEBUG="0", SECRET_KEY=secrets.token_urlsafe(40),
                             DAILY_JOB_CHUNKS=str(chunks))
    workers = []
    for i in range(n):
        log = LOG_DIR / f"worker{i}.log"  # a file, not a pipe nobody reads (a full pipe would block the worker)
        with log.open("w") as out:
            workers.append(subprocess.Popen(
                [support.PYTHON, "-m", "celery", "-A", "config", "worker", "--concurrency", "1", "-n",
                 f"bench{i}@%h", "--loglevel", "info", "--without-heartbeat", "--without-gossip", "--without-mingle"],
                cwd=support.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
    time.sleep(5)  # let them connect to the broker
    for i, w in enumerate(workers):
        if w.poll() is not None:
            raise RuntimeError(f"a worker exited at start: {(LOG_DIR / f'worker{i}.log').read_text()[-2000:]}")
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for w in workers:
        if w.poll() is None:
            os.killpg(w.pid, signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(w.pid, signal.SIGKILL)
            w.wait()


def run(n: int, url: str, broker: str, chunks: int) -> dict:
    """Enqueue the day for n workers (this process is already set up on `url`) and wait for the job."""
    from django.db import connection

    from claims.models import DailyJob
    from claims.tasks import start_daily_job
    from config.celery import app

    assert not app.conf.task_always_eager and app.conf.broker_url == broker, "the bench must enqueue, not run"
    app.control.purge()
    workers = start_workers(n, url, broker, chunks)
    try:
        t0 = time.perf_counter()
        start_daily_job.delay(DAY.isoformat())
        deadline = time.monotonic() + TIMEOUT
        job = None
        while time.monotonic() < deadline:
            job = DailyJob.objects.filter(run_date=DAY).first()
            if job is not None and job.status in ("done", "failed"):
                break
            if any(w.poll() is not None for w in workers):
                raise RuntimeError("a worker exited during the run")
            time.sleep(0.25)
        wall = time.perf_counter() - t0
        if job is None or job.status != "done":
            raise RuntimeError(f"the job did not finish in {TIMEOUT} s: {job and job.status} {job and job.error}")
        rss = [support.tree_peak_rss_mb(w.pid) for w in workers]
        return {"wall": wall, "job": job, "rss": rss}
    finally:
        stop_workers(workers)
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--institutions", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20260316)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--broker", default=BROKER)
    parser.add_argument("--database", default="yibao_bench_workers")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--unclassified", action="store_true", help="lines without their upload-time split")
    args = parser.parse_args()
    print("reproduce:", support.reproduce("bench/workers_bench.py", sys.argv[1:]))
    server = support.server_url()
    base = support.city_template(persons=args.persons, institutions=args.institutions, lines=args.lines,
                                 seed=args.seed, start=DAY.isoformat(), classified=not args.unclassified)
    results = {}
    # this process only enqueues: with the broker in its settings, .delay() sends (no broker would mean eager)
    support.setup_django(support.with_database(server, base), CELERY_BROKER_URL=args.broker)
    from django.db import connection, connections

    with connection.cursor() as cursor:
        print("machine:", support.machine(cursor))
    connections.close_all()
    for n in args.workers:
        support.create_database(server, args.database, template=base)
        url = support.with_database(server, args.database)
        connections["default"].settings_dict["NAME"] = args.database
        try:
            results[n] = r = run(n, url, args.broker, args.chunks)
        finally:
            connections.close_all()
            if not args.keep:
                support.drop_database(server, args.database)
        job = r["job"]
        print(f"{n} worker(s): {r['wall']:.1f} s from enqueue to done, {support.rate(job.lines_classified, r['wall'])}"
              f" lines/s; {job.visits_settled:,} visits settled in {job.chunks_total} chunks; peak RSS per worker "
              + ", ".join(f"{m:,.0f} MB" for m in r["rss"]) + f"; load average {support.load_average()}")
    if 1 in results:
        for n, r in results.items():
            if n != 1:
                print(f"speed-up with {n} workers: {results[1]['wall'] / r['wall']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
