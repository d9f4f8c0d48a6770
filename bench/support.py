"""Shared by the scale benchmarks (issue #7): scratch databases, the machine, memory, the city.

Not a benchmark itself (`make bench` runs bench/*_bench.py). Each benchmark creates its own scratch
database on the PostgreSQL server that DATABASE_URL names, migrates it, and drops it at the end.
"""
from __future__ import annotations

import gc
import os
import platform
import re
import resource
import secrets
import shlex
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/yibao"
PYTHON = sys.executable
BENCH_SECRET = secrets.token_urlsafe(40)  # a throwaway key for the benchmark's processes


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        raise SystemExit("the scale benchmarks need PostgreSQL (DATABASE_URL=postgres://...)")
    return url


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def admin_connection(url: str, dbname: str = "postgres"):
    """An autocommit psycopg2 connection to a database of the server that url names."""
    import dj_database_url
    import psycopg2

    cfg = dj_database_url.parse(url)
    conn = psycopg2.connect(dbname=dbname, user=cfg["USER"] or None, password=cfg["PASSWORD"] or None,
                            host=cfg["HOST"] or None, port=cfg["PORT"] or None)
    conn.autocommit = True
    return conn


def create_database(url: str, name: str, template: str | None = None) -> None:
    conn = admin_connection(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"'
                           + (f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""))
    finally:
        conn.close()


def drop_database(url: str, name: str) -> None:
    conn = admin_connection(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def django_env(database_url: str, **extra) -> dict:
    """The environment of this process and of the subprocesses it starts."""
    # DEBUG off, as in production: with DEBUG on, Django keeps every query it runs in memory
    return {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "SECRET_KEY": BENCH_SECRET,
            "ALLOWED_HOSTS": "127.0.0.1,localhost", "CELERY_BROKER_URL": "",
            "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING", **extra}


def setup_django(database_url: str, **extra) -> None:
    """Point this process at the scratch database and start Django (once, before any model import)."""
    os.environ.update(django_env(database_url, **extra))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(database_url: str, *args: str, **extra) -> str:
    """Run manage.py in a subprocess against the scratch database; returns its output."""
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=django_env(database_url, **extra),
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def scratch_database(name: str, keep: bool = False, template: str | None = None):
    """A new, migrated database (a copy of `template` when given); yields its URL; dropped afterwards
    unless keep."""
    url = server_url()
    t0 = time.perf_counter()
    create_database(url, name, template=template)
    scratch = with_database(url, name)
    try:
        if template:
            print(f"scratch database {name}: copied from {template} in {time.perf_counter() - t0:.0f} s")
        else:
            manage(scratch, "migrate", "--noinput", "-v", "0")
            print(f"scratch database {name}: migrated in {time.perf_counter() - t0:.0f} s")
        yield scratch
    finally:
        if keep:
            print(f"kept the scratch database {name}")
        else:
            from django.db import connections

            try:
                connections.close_all()
            except Exception:  # noqa: BLE001 (Django may not be set up)
                pass
            drop_database(url, name)


@contextmanager
def server_setting(name: str, value: str):
    """Set a reloadable server setting (ALTER SYSTEM + pg_reload_conf) for the block, then put it back."""
    conn = admin_connection(server_url())
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT current_setting(%s)", [name])
            before = cursor.fetchone()[0]
            cursor.execute(f"ALTER SYSTEM SET {name} = %s", [value])
            cursor.execute("SELECT pg_reload_conf()")
        print(f"server setting {name}: {before} -> {value} for this run")
        yield
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"ALTER SYSTEM RESET {name}")
            cursor.execute("SELECT pg_reload_conf()")
        conn.close()
        print(f"server setting {name}: reset")


def database_comment(url: str, name: str) -> str | None:
    """The comment on a database, or None when there is no such database."""
    conn = admin_connection(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name])
            row = cursor.fetchone()
    finally:
        conn.close()
    return None if row is None else (row[0] or "")


def city_template(*, persons: int, institutions: int, lines: int, seed: int, days: int = 1,
                  start: str = "2026-03-16", fresh: bool = False, classified: bool = False) -> str:
    """The name of a database holding this synthetic city with the default audit rules, ready to be copied.

    Generated once (migrate, synth_city, load_default_rules, VACUUM ANALYZE) and kept on the server as
    yibao_city_<size>_<seed>, marked complete by a comment, so that repeated runs copy it (CREATE DATABASE
    ... TEMPLATE) instead of generating the city again; fresh=True generates it anew. The generation time
    is printed, the city is never the benchmark. synth_city writes fee lines without their split (as a
    file loaded straight into the table would be); classified=True then classifies each day's lines with
    `manage.py classify_uploads`, leaving them as the upload verbs (API, upload jobs) leave them.
    """
    url = server_url()
    name = (f"yibao_city_p{persons}_i{institutions}_l{lines}_d{days}_s{seed}_{start.replace('-', '')}"
            + ("_c" if classified else ""))
    mark = f"bench city {generator_digest()} migrations {migrations_digest()}"
    comment = database_comment(url, name) or ""
    if not fresh and comment == mark:
        print(f"city: reusing {name}")
        return name
    if not fresh and comment.startswith(mark.split(" migrations ")[0] + " migrations "):
        # the same generator, older migrations: bring the city forward as a deployment's database would be
        t0 = time.perf_counter()
        manage(with_database(url, name), "migrate", "--noinput", "-v", "0")
        _mark_ready(url, name, mark)
        print(f"city: migrated {name} forward in {time.perf_counter() - t0:.0f} s")
        return name
    create_database(url, name)
    city = with_database(url, name)
    t0 = time.perf_counter()
    manage(city, "migrate", "--noinput", "-v", "0")
    generated, summary, rss = synth(city, persons=persons, institutions=institutions, lines=lines, seed=seed,
                                    days=days, start=start)
    manage(city, "load_default_rules")
    if classified:
        import datetime as dt

        first = dt.date.fromisoformat(start)
        for d in range(days):
            manage(city, "classify_uploads", "--date", (first + dt.timedelta(days=d)).isoformat())
    _mark_ready(url, name, mark)
    print(f"city: generated {name} in {time.perf_counter() - t0:.0f} s (synth_city {generated:.0f} s, "
          f"peak RSS {rss:,.0f} MB): {summary}")
    return name


def _mark_ready(url: str, name: str, mark: str) -> None:
    """Vacuum and analyze a cached city as a night batch finds it, then mark it complete with its comment."""
    conn = admin_connection(url, dbname=name)
    try:
        with conn.cursor() as cursor:
            prepare_for_batch(cursor)
            cursor.execute(f'COMMENT ON DATABASE "{name}" IS %s', [mark])
    finally:
        conn.close()


def _digest(files) -> str:
    import hashlib

    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


GENERATOR = sorted((ROOT / "devtools" / "synth").glob("*.py"))  # the generator and its vocabulary


def code_digest() -> str:
    """A digest of the migrations and the generator, so that a cached city is rebuilt when either changes."""
    return _digest(sorted(ROOT.glob("*/migrations/*.py")) + GENERATOR)


def generator_digest() -> str:
    """A digest of the generator: a cached city is generated again when it changes."""
    return _digest(GENERATOR)


def migrations_digest() -> str:
    """A digest of the migrations: a cached city of the same generator is migrated forward when they change."""
    return _digest(sorted(ROOT.glob("*/migrations/*.py")))


def machine(cursor=None) -> str:
    """nproc, memory, CPU model, Python and, given a cursor, the PostgreSQL server and its main settings."""
    cpu = "unknown CPU"
    for row in Path("/proc/cpuinfo").read_text().splitlines():
        if row.startswith("model name"):
            cpu = row.split(":", 1)[1].strip()
            break
    free = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.splitlines()
    mem = re.split(r"\s+", free[1])[1] + " GB" if len(free) > 1 else "?"
    out = f"{os.cpu_count()} CPUs ({cpu}), {mem} RAM, Python {platform.python_version()}"
    if cursor is not None:
        cursor.execute("SELECT current_setting('server_version'), current_setting('shared_buffers'), "
                       "current_setting('max_wal_size'), current_setting('work_mem')")
        version, shared, wal, work = cursor.fetchone()
        out += f"; PostgreSQL {version} (shared_buffers {shared}, max_wal_size {wal}, work_mem {work})"
    return out


def peak_rss_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def tree_peak_rss_mb(pid: int) -> float:
    """Largest peak RSS (VmHWM) of a process and its descendants, read from /proc while they run."""
    best = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            m = re.search(r"VmHWM:\s+(\d+) kB", status)
            if m:
                best = max(best, int(m.group(1)) / 1024)
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
        except (OSError, ValueError):
            continue
    return best


def synth(database_url: str, *, persons: int, institutions: int, lines: int, seed: int, days: int = 1,
          start: str = "2026-03-16") -> tuple[float, str, float]:
    """manage.py synth_city in a subprocess (its memory is not the benchmark's): (seconds, output, peak MB)."""
    t0 = time.perf_counter()
    args = ["synth_city", "--persons", str(persons), "--institutions", str(institutions), "--days", str(days),
            "--lines-per-day", str(lines), "--seed", str(seed), "--start-date", start]
    out = manage(database_url, *args)
    return time.perf_counter() - t0, out.strip().splitlines()[-1], peak_rss_mb(resource.RUSAGE_CHILDREN)


def prepare_for_batch(cursor) -> None:
    """What a night batch finds in production: the day's rows vacuumed and analyzed, the buffers written."""
    for table in ("claims_feeline", "claims_visit", "claims_upload", "insurance_person", "insurance_enrollment",
                  "insurance_personalaccount"):
        cursor.execute(f"VACUUM ANALYZE {table}")
    try:
        cursor.execute("CHECKPOINT")
    except Exception:  # noqa: BLE001 (needs superuser or pg_checkpoint; a best effort)
        pass


def reproduce(script: str, argv: list[str]) -> str:
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    return f"DATABASE_URL={url} .venv/bin/python {script} {' '.join(shlex.quote(a) for a in argv)}".rstrip()


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rate(n: float, seconds: float) -> str:
    return f"{n / seconds:,.0f}" if seconds > 0 else "-"


class GCClock:
    """CPU spent in the garbage collector's passes, per generation (gc.callbacks), while the block runs."""

    def __init__(self):
        self.cpu, self.passes, self._start = [0.0, 0.0, 0.0], [0, 0, 0], 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.cpu[info["generation"]] += time.process_time() - self._start
            self.passes[info["generation"]] += 1

    def __enter__(self):
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._callback)

    def summary(self, n: int, unit: str = "settlement") -> str:
        return (f"{sum(self.cpu) / n * 1e3:.2f} ms of CPU per {unit} in the garbage collector (passes of "
                f"generations 0/1/2: {'/'.join(str(p) for p in self.passes)}; their CPU "
                f"{'/'.join(f'{c * 1e3:.0f}' for c in self.cpu)} ms in all)")


class Phases:
    """Where a run's time goes: SQL statements by their first words, COMMIT, COPY, the engine, the rest.

    Installed around a block with `with Phases() as phases:` (Django must be set up); it wraps Django's
    execute (connection.execute_wrapper), the connection's commit and the bulk path's COPY helpers."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.wall = 0.0

    def add(self, key: str, seconds: float) -> None:
        self.seconds[key] = self.seconds.get(key, 0.0) + seconds

    def _sql(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            words = re.sub(r"\s+", " ", sql.strip()).split(" ")
            key = " ".join(words[:3]) if words[0].upper() in ("INSERT", "UPDATE", "DELETE", "WITH") else words[0]
            if words[0].upper() == "WITH":
                key = "WITH ... " + next((f"{w} {words[i + 1]}" for i, w in enumerate(words)
                                         if w.upper() == "INSERT" and i + 2 < len(words)), "")
            self.add("sql " + key.upper() if len(key) < 12 else "sql " + key, time.perf_counter() - t0)

    def _wrap(self, module, name, key):
        original = getattr(module, name)

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(key, time.perf_counter() - t0)

        setattr(module, name, timed)
        self._restore.append((module, name, original))

    def __enter__(self):
        from django.db import connections

        from claims.batch import audit, reader, writer
        from claims.batch import chunk as bulk
        from core import pgcopy

        connection = connections["default"]
        self._restore = []
        self._wrap(reader, "copy_out", "COPY out + read frames")
        self._wrap(audit, "copy_out", "COPY out + read frames (audit)")
        self._wrap(pgcopy, "copy_in_binary", "COPY in (binary)")
        for module in (writer, audit):  # the writers' own names for it, where they import it
            if hasattr(module, "copy_in_binary"):
                self._wrap(module, "copy_in_binary", "COPY in (binary)")
        self._wrap(bulk, "adjudicate", "engine adjudicate")
        self._wrap(bulk, "classify", "engine classify")
        self._wrap(connection, "commit", "COMMIT (deferred FK checks)")
        self._ctx = connection.execute_wrapper(self._sql)
        self._ctx.__enter__()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self._t0
        self._ctx.__exit__(*exc)
        for module, name, original in self._restore:
            if name == "commit":
                delattr(module, name)  # back to the class's method
            else:
                setattr(module, name, original)
        return False

    @classmethod
    def merged(cls, runs: list[dict[str, float]], wall: float) -> Phases:
        """The phases of several workers' runs added up; wall is their summed busy time."""
        out = cls()
        for seconds in runs:
            for key, value in seconds.items():
                if key != "(wall)":
                    out.add(key, value)
        out.wall = sum(seconds.get("(wall)", 0.0) for seconds in runs) or wall
        return out

    def report(self, top: int = 10) -> str:
        rows = sorted(self.seconds.items(), key=lambda kv: -kv[1])
        shown = rows[:top]
        rest = self.wall - sum(v for _, v in rows)
        lines = [f"    {v:7.1f} s  {v / self.wall * 100:4.0f} %  {k}" for k, v in shown]
        lines.append(f"    {sum(v for _, v in rows[top:]):7.1f} s         other SQL")
        lines.append(f"    {rest:7.1f} s  {rest / self.wall * 100:4.0f} %  Python (frames, staging, ORM)")
        return "\n".join(lines)
