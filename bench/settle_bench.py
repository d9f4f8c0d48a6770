"""Settlement at the counter, in process (issue 14): the server-side CPU of one settlement, without HTTP.

Creates a scratch database (default yibao_bench_settle, dropped at the end unless --keep), migrates it,
imports the demo policy pack (`manage.py import_policy`), loads the default smart-audit rule library
(`manage.py load_default_rules`; --no-audit-rules leaves it out) and writes a small synthetic city with
`manage.py synth_city` (five institutions, the first of level 3; persons with their enrollments and
accounts; a catalog). Then, through the platform's services and not timed, it registers --visits
inpatient visits (med_type 21) at the level-3 hospital, one for each of as many employees (insutype
310, contributions paid, an account with a balance), uploads --lines fee lines to each
(`upload_fee_lines`: the lines of bench/api_bench.py, cnt 1 at the item's price limit) and discharges
them.

It then settles them one by one with `settle_visit`, as a counter request would (the audit included),
and measures each call's `time.process_time()` (CPU of this process: Django, the engine, the audit, the
database driver) and `time.perf_counter()` (wall, which includes waiting for PostgreSQL and for the
CPU on a shared machine). The first --warmup settlements are left out. It prints p50 / p95 / mean per
settlement, settlements/s, the statements per settlement and the PostgreSQL backend's CPU per
settlement (its /proc counters, 10 ms ticks, so only the mean over the run). --profile then settles
--profile-visits more with the CPU of each stage measured (reading, the engine's inputs, the engine, the
plan, writing, the audit, COMMIT: process_time around the functions the settlement calls; and the parts
inside them listed in PARTS, each on its own line), and
--profile-visits more under cProfile, printing its top 40 by cumulative time (cProfile's own clock,
the wall clock; --profile-timer cpu: process_time, whose cost per call inflates call-heavy code far
more). --stage-calls adds a third pass of --profile-visits settlements, each stage under a cProfile of its
own: the function calls per settlement in each stage (exact, whatever the load).

--http adds the request around the settlement (issue 14): the visits are settled alternately with `settle_visit`
(with the institution user, as the view calls it) and with `POST /api/v1/visits/{mdtrt_id}/settle/` through
Django's WSGI handler in this process: the middleware, DRF, the token authentication, throttling, the view and
the JSON answer, as gunicorn's worker runs them, without the socket. It prints both, and the request's CPU and
statements beyond `settle_visit`'s. --profile then profiles the HTTP settlements (cProfile) and prints, besides
the top 40, the function calls per request outside `settle_visit`.

The verbs are imported from where the code keeps them: claims.intake.services and
claims.settlement.services, or claims.uploads and claims.settlement before the rooms (d4f8d3b), so that
the same script measures either. The platform's modules are imported inside the functions, after
django.setup() has pointed Django at the scratch database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibao .venv/bin/python bench/settle_bench.py
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import importlib
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import support  # noqa: E402

SHARED_PACK = Path("/work/shared/policies/demo-city-2026.json")
FIXTURE_PACK = support.ROOT / "policy_rules" / "fixtures" / "demo-city-2026.json"

# The settlement's stages: (label, the names the settlement module calls them by). Before the restructure
# (d4f8d3b) the engine's inputs were load_frames and the writing _store, and there was no plan.
STAGES = [
    ("read the visits' lines (active_lines)", ("active_lines",)),
    ("the engine's inputs (load_inputs / load_frames)", ("load_inputs", "load_frames")),
    ("the engine (adjudicate)", ("adjudicate",)),
    ("the write plan (plan_settlements)", ("plan_settlements",)),
    ("writing (write_plan / _store)", ("write_plan", "_store")),
    ("the audit (audit_visits)", ("audit_visits",)),
]

# inside those stages (--profile): (label, module, the name that module calls it by); a name a checkout lacks is
# left out. Each is timed inclusively, on its own line, and not subtracted from the stage it is part of.
PARTS = [
    ("inputs: the enrollment in force (visit_records)", "claims.settlement.loading", "visit_records"),
    ("inputs: the line keys (line_keys_frame)", "claims.settlement.loading", "line_keys_frame"),
    ("inputs: lines_frame", "claims.settlement.loading", "lines_frame"),
    ("inputs: visits_frame", "claims.settlement.loading", "visits_frame"),
    ("inputs: catalog_frame", "claims.settlement.loading", "catalog_frame"),
    ("inputs: persons_frame + state_frame", "claims.settlement.loading", "persons_frame"),
    ("inputs: persons_frame + state_frame", "claims.settlement.loading", "state_frame"),
    ("inputs: the active packs (active_policies)", "claims.settlement.loading", "active_policies"),
    ("writing: settlement lines (_write_lines)", "claims.settlement.writers", "_write_lines"),
    ("writing: accumulators (_write_accumulators)", "claims.settlement.writers", "_write_accumulators"),
    ("writing: account (_write_accounts)", "claims.settlement.writers", "_write_accounts"),
    ("writing: accumulators and account in one statement (_write_money)", "claims.settlement.writers", "_write_money"),
    ("audit: the rules in force (rules_in_force)", "claims.audit.pipeline", "rules_in_force"),
    ("audit: its frames (audit_frames)", "claims.audit.pipeline", "audit_frames"),
    ("audit: the day's statistics (day_stats)", "claims.audit.pipeline", "day_stats"),
    ("audit: the rules (run_audit)", "claims.audit.pipeline", "run_audit"),
    ("audit: recording the hits (review.services.record_hits)", "claims.audit.pipeline", "record_hits"),
    ("audit: recording: the hits' columns (hit_columns)", "review.services", "hit_columns"),
    ("audit: recording: the stored rows (hit_table)", "review.services", "hit_table"),
    ("audit: recording: the one statement (review.writers.record_new)", "review.services", "record_new"),
]


def first_module(*names: str):
    """The first of these modules that this checkout has (the verbs moved between the measured commits).

    Looked for as files under ROOT, not by importing: the virtualenv's editable install maps the apps'
    packages to one checkout, and would import a module this checkout lacks from that one instead."""
    for name in names:
        base = support.ROOT.joinpath(*name.split("."))
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            module = importlib.import_module(name)
            if not Path(module.__file__).resolve().is_relative_to(support.ROOT):
                raise SystemExit(f"{name} was imported from {module.__file__}, not from {support.ROOT}")
            return module
    raise SystemExit(f"none of {names} exists under {support.ROOT}")


def git_head() -> str:
    """The checkout's commit, marked when tracked files differ from it."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=support.ROOT, capture_output=True, text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + (" (with uncommitted changes)" if dirty else "")


def policy_file(path: str | None, today: dt.date) -> Path:
    """The pack to import: the given one, else the shared demo pack (the repository's copy when absent),
    re-dated for this year when it does not cover today (the counter settles now)."""
    chosen = Path(path) if path else (SHARED_PACK if SHARED_PACK.exists() else FIXTURE_PACK)
    doc = json.loads(chosen.read_text())
    if doc["effective_from"] <= today.isoformat() <= (doc.get("effective_to") or "9999-12-31"):
        return chosen
    doc.update(code=f"BENCH-{today.year}", effective_from=f"{today.year}-01-01", effective_to=f"{today.year}-12-31")
    out = Path(tempfile.mkdtemp(prefix="settle_bench_")) / f"bench-{today.year}.json"
    out.write_text(json.dumps(doc, ensure_ascii=False))
    print(f"policy: {chosen} does not cover {today}; importing it dated for {today.year}")
    return out


def build_world(url: str, args, today: dt.date) -> None:
    pack = policy_file(args.policy, today)
    print("policy:", support.manage(url, "import_policy", str(pack)).strip())
    if args.audit_rules:
        print("audit rules:", support.manage(url, "load_default_rules").strip().splitlines()[-1])
    need = args.visits + (profile_passes(args) * args.profile_visits if args.profile else 0)
    persons = max(args.persons, 3 * need)  # 60 % of the generated persons are employees
    out = support.manage(url, "synth_city", "--persons", str(persons), "--institutions", "5",
                         "--visits-per-day", "20", "--catalog-items", str(args.catalog_items),
                         "--start-date", (today - dt.timedelta(days=7)).isoformat(), "--seed", str(args.seed))
    print(out.strip().splitlines()[-1])


def lines_of(catalog: list[tuple[str, str]], n: int, offset: int) -> list[dict]:
    """n fee lines as bench/api_bench.py sends them: cnt 1 at the item's price limit."""
    out = []
    for k in range(n):
        code, price = catalog[(k * 7919 + offset) % len(catalog)]
        out.append({"feedetl_sn": str(k + 1), "med_list_codg": code, "cnt": "1", "pric": price,
                    "det_item_fee_sumamt": price})
    return out


def prepare(n: int, lines: int, today: dt.date) -> list:
    """n visits of `lines` lines, registered, uploaded and discharged through the intake services."""
    from django.utils import timezone

    from insurance.models import Institution, Person
    from policy_rules.models import CatalogItem

    intake = first_module("claims.intake.services", "claims.uploads")
    hospital = (Institution.objects.filter(kind="hospital", level=3, designated=True).order_by("fixmedins_code")
                .first())
    if hospital is None:
        raise SystemExit("the city has no designated level-3 hospital")
    psn_nos = list(Person.objects.filter(
        enrollments__insutype="310", enrollments__enrolled_from__lte=today - dt.timedelta(days=30),
        enrollments__enrolled_to__isnull=True, enrollments__paid_through__gte=today.strftime("%Y-%m"),
        account__balance__gt=0).order_by("id").values_list("psn_no", flat=True).distinct()[:n])
    if len(psn_nos) < n:
        raise SystemExit(f"only {len(psn_nos)} employees with an account; raise --persons")
    catalog = [(c, f"{p:.2f}") for c, p in CatalogItem.objects.filter(price_limit__isnull=False)
               .exclude(restrict_med_types__contains=["21"]).order_by("med_list_codg")
               .values_list("med_list_codg", "price_limit")[:500]]
    now = timezone.now()
    begntime, endtime = now - dt.timedelta(days=3), now - dt.timedelta(hours=1)
    visits = []
    for i, psn_no in enumerate(psn_nos):
        visit = intake.register_visit(institution=hospital, psn_no=psn_no, med_type="21", begntime=begntime)
        intake.upload_fee_lines(visit, lines_of(catalog, lines, i))
        visits.append(intake.discharge_visit(visit, endtime=endtime))
    print(f"prepared {len(visits)} inpatient visits of {lines} lines at {hospital.fixmedins_code} "
          f"(level {hospital.level}), one per employee, {len(catalog)} catalog items")
    return visits


def backend_cpu(pid: int) -> float:
    """utime + stime of a PostgreSQL backend on this machine, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ticks() -> list[int]:
    """The machine's CPU time by kind (/proc/stat: user nice system idle iowait irq softirq steal ...)."""
    return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]


def machine_share(before: list[int], after: list[int]) -> str:
    """Idle and stolen shares of the machine's CPUs between two readings: steal is time the hypervisor gave
    this VM's CPUs to others, which inflates a process's CPU time as well as its wall time."""
    d = [y - x for x, y in zip(before, after, strict=True)]
    total = sum(d) or 1
    return f"idle {d[3] / total * 100:.0f} %, steal {d[7] / total * 100:.0f} % of the machine's CPUs"


def settle_all(visits: list, settle) -> tuple[list[float], list[float], int]:
    """Each visit settled on its own: (CPU s, wall s) per settlement and the statements run."""
    from django.db import connection

    count = [0]

    def counted(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    cpu, wall = [], []
    with connection.execute_wrapper(counted):
        for visit in visits:
            c0, w0 = time.process_time(), time.perf_counter()
            settle(visit)
            w1, c1 = time.perf_counter(), time.process_time()
            cpu.append(c1 - c0)
            wall.append(w1 - w0)
    return cpu, wall, count[0]


def ms(values: list[float]) -> tuple[float, float, float]:
    """p50, p95, mean in milliseconds."""
    p95 = statistics.quantiles(values, n=100, method="inclusive")[94]
    return statistics.median(values) * 1e3, p95 * 1e3, statistics.fmean(values) * 1e3


class HTTPSettle:
    """POST /api/v1/visits/{mdtrt_id}/settle/ through Django's WSGI handler with an institution token (--http)."""

    def __init__(self, visits: list):
        from io import StringIO

        from django.contrib.auth import get_user_model
        from django.core import signals
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.management import call_command
        from django.db import close_old_connections

        code = visits[0].institution.fixmedins_code
        out = StringIO()
        call_command("create_institution_token", code, "settle-bench-client", stdout=out)
        self.token = out.getvalue().strip()
        self.user = get_user_model().objects.get(username="settle-bench-client")
        self.handler = WSGIHandler()
        # one connection throughout, as a gunicorn worker keeps its own for CONN_MAX_AGE: the backend's CPU is read
        # from its pid, and a reconnection every minute would be neither measured nor the request's
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        self.statuses: dict[str, int] = {}

    def __call__(self, visit) -> bytes:
        body = b"{}"
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": f"/api/v1/visits/{visit.mdtrt_id}/settle/", "SCRIPT_NAME": "",
            "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "443", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Token {self.token}", "HTTP_ACCEPT": "application/json"}

        def start_response(status, headers):
            self.statuses[status] = self.statuses.get(status, 0) + 1

        response = self.handler(environ, start_response)
        try:
            return b"".join(response)
        finally:
            response.close()


def run_http(visits: list, settle, http: HTTPSettle, warmup: int) -> None:
    """The visits settled alternately with settle_visit and through the WSGI handler: CPU, statements, backend CPU."""
    from django.db import connection

    count = [0]

    def counted(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    ways = {"settle_visit": lambda v: settle(v, user=http.user), "POST .../settle/": http}
    cpu = {k: [] for k in ways}
    statements = dict.fromkeys(ways, 0)
    pg = dict.fromkeys(ways, 0.0)
    load0, ticks0 = support.load_average(), cpu_ticks()
    with connection.execute_wrapper(counted):
        for i, visit in enumerate(visits):
            label = list(ways)[i % 2]
            n0, p0, c0 = count[0], backend_cpu(pid), time.process_time()
            ways[label](visit)
            cpu[label].append(time.process_time() - c0)
            statements[label] += count[0] - n0
            pg[label] += backend_cpu(pid) - p0
    print(f"HTTP in process: {len(visits)} visits, alternately [load average {load0} -> {support.load_average()}; "
          f"{machine_share(ticks0, cpu_ticks())}]; answers {http.statuses}")
    for label, values in cpu.items():
        n = len(values)
        kept = values[warmup // 2:]
        c50, c95, cmean = ms(kept)
        print(f"    {label:18s} CPU ms p50 {c50:.1f}  p95 {c95:.1f}  mean {cmean:.1f}  (min {min(kept) * 1e3:.1f}); "
              f"{statements[label] / n:.1f} statements, {pg[label] / n * 1e3:.1f} ms PostgreSQL backend CPU per "
              "settlement")
    a, b = (statistics.median(v[warmup // 2:]) for v in cpu.values())
    print(f"    the request around settle_visit: {(b - a) * 1e3:.1f} ms CPU (difference of the p50s), "
          f"{(statements['POST .../settle/'] - statements['settle_visit']) / (len(visits) // 2):.1f} statements")


def profile_http(visits: list, http: HTTPSettle, settlement) -> None:
    """cProfile of HTTP settlements, the calls outside settle_visit and inside it in two profilers."""
    outside, inside = cProfile.Profile(), cProfile.Profile()
    real = settlement.settle_visit

    def settle_visit(*args, **kwargs):
        outside.disable()
        inside.enable()
        try:
            return real(*args, **kwargs)
        finally:
            inside.disable()
            outside.enable()

    settlement.settle_visit = settle_visit  # the view calls it through the module
    try:
        for visit in visits:
            outside.enable()
            http(visit)
            outside.disable()
    finally:
        settlement.settle_visit = real
    n = len(visits)
    out = io.StringIO()
    stats = pstats.Stats(outside, stream=out)
    print(f"\ncProfile of {n} HTTP settlements: function calls per request outside settle_visit "
          f"{stats.total_calls / n:,.0f}, inside it {pstats.Stats(inside).total_calls / n:,.0f}; the top 40 outside:")
    stats.sort_stats("cumulative").print_stats(40)
    print(out.getvalue())


def run(visits: list, settle, warmup: int, label: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    load0 = support.load_average()
    pg0, ticks0 = backend_cpu(pid), cpu_ticks()
    with support.GCClock() as collector:
        cpu, wall, queries = settle_all(visits, settle)
    pg, ticks = backend_cpu(pid) - pg0, cpu_ticks()
    cpu, wall = cpu[warmup:], wall[warmup:]
    n = len(cpu)
    c50, c95, cmean = ms(cpu)
    w50, w95, wmean = ms(wall)
    print(f"{label}: {n} settlements measured (the first {warmup} left out) [load average {load0} -> "
          f"{support.load_average()}; {machine_share(ticks0, ticks)}]")
    print(f"    CPU  ms per settlement: p50 {c50:.1f}  p95 {c95:.1f}  mean {cmean:.1f}  (min {min(cpu) * 1e3:.1f}, "
          f"max {max(cpu) * 1e3:.1f})")
    print(f"    wall ms per settlement: p50 {w50:.1f}  p95 {w95:.1f}  mean {wmean:.1f}  (max {max(wall) * 1e3:.1f})")
    tenth = max(1, n // 10)
    print("    CPU ms p50 by tenth of the run (drift): " + " ".join(
        f"{statistics.median(cpu[i:i + tenth]) * 1e3:.0f}" for i in range(0, n - tenth + 1, tenth)))
    print(f"    {n / sum(wall):.1f} settlements/s (one after another); {queries / len(visits):.1f} statements and "
          f"{pg / len(visits) * 1e3:.1f} ms of PostgreSQL backend CPU per settlement (mean of all {len(visits)})")
    print(f"    {collector.summary(len(visits))}")


class StageClock:
    """CPU (process_time) per stage of the settlement, by wrapping the functions the settlement module
    calls (its globals), the COMMIT and Django's statement execution; nothing else is slowed."""

    def __init__(self, module):
        self.module = module
        self.cpu: dict[str, float] = {}
        self.statements: dict[str, int] = {}
        self._stage = "the rest (locks, visits, checks)"
        self._part = ""
        self.part_statements: dict[str, int] = {}

    def _timed(self, label, function):
        def timed(*args, **kwargs):
            outer, self._stage = self._stage, label
            c0 = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.cpu[label] = self.cpu.get(label, 0.0) + time.process_time() - c0
                self._stage = outer
        return timed

    def _timed_part(self, label, function):
        """Like _timed, for a part inside a stage: its statements count for the stage and for the part."""
        def timed(*args, **kwargs):
            outer, self._part = self._part, label
            c0 = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.cpu[label] = self.cpu.get(label, 0.0) + time.process_time() - c0
                self._part = outer
        return timed

    def _sql(self, execute, sql, params, many, context):
        self.statements[self._stage] = self.statements.get(self._stage, 0) + 1
        if self._part:
            self.part_statements[self._part] = self.part_statements.get(self._part, 0) + 1
        c0 = time.process_time()
        try:
            return execute(sql, params, many, context)
        finally:
            self.cpu["(in the driver's execute)"] = self.cpu.get("(in the driver's execute)", 0.0) + (
                time.process_time() - c0)

    def measure(self, visits: list, settle) -> None:
        from django.db import connection

        saved = {}
        for label, names in STAGES:
            for name in names:
                if name in vars(self.module):
                    saved[name] = getattr(self.module, name)
                    setattr(self.module, name, self._timed(label, saved[name]))
        parts = []
        for label, module_name, name in PARTS:
            module = sys.modules.get(module_name)
            if module is not None and name in vars(module):
                parts.append((module, name, getattr(module, name)))
                setattr(module, name, self._timed_part(label, parts[-1][2]))
        connection.commit = self._timed("COMMIT", connection.commit)
        try:
            with connection.execute_wrapper(self._sql):
                for visit in visits:
                    c0 = time.process_time()
                    settle(visit)
                    self.cpu["total"] = self.cpu.get("total", 0.0) + time.process_time() - c0
        finally:
            del connection.commit  # back to the class's method
            for name, function in saved.items():
                setattr(self.module, name, function)
            for module, name, function in parts:
                setattr(module, name, function)

    def report(self, n: int) -> str:
        total = self.cpu["total"]
        rows = [(label, self.cpu.get(label)) for label, _ in STAGES] + [("COMMIT", self.cpu.get("COMMIT"))]
        rows = [(label, v) for label, v in rows if v is not None]
        rest = total - sum(v for _, v in rows)
        out = [f"    {total / n * 1e3:6.1f} ms  100 %  settle_visit, CPU per settlement "
               f"({sum(self.statements.values()) / n:.1f} statements through Django's cursor; COPY not counted)"]
        for label, v in [*rows, ("the rest (locks, visits, checks)", rest)]:
            out.append(f"    {v / n * 1e3:6.1f} ms  {v / total * 100:3.0f} %    {label} "
                       f"({self.statements.get(label, 0) / n:.1f} statements)")
        labels = list(dict.fromkeys(label for label, _m, _n in PARTS))
        for label in labels:
            if label in self.cpu:
                v = self.cpu[label]
                out.append(f"    {v / n * 1e3:6.1f} ms  {v / total * 100:3.0f} %      of which {label} "
                           f"({self.part_statements.get(label, 0) / n:.1f} statements)")
        driver = self.cpu.get("(in the driver's execute)", 0.0)
        out.append(f"    {driver / n * 1e3:6.1f} ms  {driver / total * 100:3.0f} %    of all these, in Django's "
                   "cursor execute (the driver, sending and receiving)")
        return "\n".join(out)


def profile_passes(args) -> int:
    """The --profile passes of --profile-visits settlements each: stages, cProfile, and --stage-calls' own."""
    return 3 if args.stage_calls else 2


def stage_calls(visits: list, settle, module) -> None:
    """Each stage of these settlements under a cProfile of its own (enabled only while the stage runs): the
    function calls per settlement in each stage, exact (the profiler's counts do not depend on the load)."""
    profilers: dict[str, cProfile.Profile] = {}
    saved = {}

    def counted(label, function):
        profiler = profilers.setdefault(label, cProfile.Profile())

        def run(*args, **kwargs):
            profiler.enable()
            try:
                return function(*args, **kwargs)
            finally:
                profiler.disable()
        return run

    for label, names in STAGES:
        for name in names:
            if name in vars(module):
                saved[name] = getattr(module, name)
                setattr(module, name, counted(label, saved[name]))
    try:
        for visit in visits:
            settle(visit)
    finally:
        for name, function in saved.items():
            setattr(module, name, function)
    print(f"\nfunction calls per settlement in each stage (its own cProfile, {len(visits)} settlements):")
    for label, profiler in profilers.items():
        calls = pstats.Stats(profiler).total_calls if profiler.getstats() else 0
        print(f"    {calls / len(visits):9,.1f}  {label}")


def profile(visits: list, settle, module, timer: str, dump: str | None = None) -> None:
    half = len(visits) // 2
    clock = StageClock(module)
    clock.measure(visits[:half], settle)
    print(f"\nstages of {half} settlements (process_time around each stage, no profiler):")
    print(clock.report(half))
    # cProfile's own clock is the wall clock, read in C; the CPU clock is a Python-level timer and a system
    # call on every event, which roughly triples a settlement under the profiler
    profiler = cProfile.Profile(time.process_time) if timer == "cpu" else cProfile.Profile()
    for visit in visits[half:]:
        profiler.enable()
        settle(visit)
        profiler.disable()
    if dump:
        profiler.dump_stats(dump)  # for pstats' print_callers, snakeviz and the like
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    print(f"\ncProfile of {len(visits) - half} other settlements, {timer} clock (the profiler's own cost inflates "
          "call-heavy code; the wall clock also counts waiting for PostgreSQL and for the CPU):")
    stats.sort_stats("cumulative").print_stats(40)
    print(out.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=200, help="settlements timed, warm-up included")
    parser.add_argument("--lines", type=int, default=100, help="fee lines per visit")
    parser.add_argument("--warmup", type=int, default=10, help="first settlements left out of the figures")
    parser.add_argument("--profile", action="store_true",
                        help="then split --profile-visits more settlements into stages and profile as many others")
    parser.add_argument("--profile-visits", type=int, default=50, help="settlements of each of the two passes")
    parser.add_argument("--profile-timer", choices=("wall", "cpu"), default="wall",
                        help="the profiler's clock: wall (cProfile's own, cheap) or cpu (process_time, costly)")
    parser.add_argument("--profile-out", help="also write the cProfile statistics to this file")
    parser.add_argument("--stage-calls", action="store_true",
                        help="with --profile, a third pass of --profile-visits: the function calls in each stage")
    parser.add_argument("--persons", type=int, default=2000, help="persons in the synthetic city (at least 3 a visit)")
    parser.add_argument("--catalog-items", type=int, default=3000)
    parser.add_argument("--policy", help="the policy pack to import (default: the shared demo pack)")
    parser.add_argument("--seed", type=int, default=20260316)
    parser.add_argument("--database", default="yibao_bench_settle")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--no-audit-rules", dest="audit_rules", action="store_false",
                        help="no smart-audit rules: the settlement skips the audit stage")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() before the timed settlements: what is alive then (Django, pandas, the "
                             "world) leaves the collector's generations, as a server that freezes after start-up")
    parser.add_argument("--http", action="store_true",
                        help="then settle --visits more alternately with settle_visit and through the WSGI handler")
    args = parser.parse_args()
    if args.visits <= args.warmup + 1:
        parser.error("--visits must exceed --warmup by at least 2")
    print("reproduce:", support.reproduce("bench/settle_bench.py", sys.argv[1:]))
    print(f"code: {support.ROOT} at {git_head()}")
    today = dt.date.today()
    with support.scratch_database(args.database, keep=args.keep) as url:
        t0 = time.perf_counter()
        build_world(url, args, today)
        support.setup_django(url)
        from django.db import connection

        settlement = first_module("claims.settlement.services", "claims.settlement")
        with connection.cursor() as cursor:
            print("machine:", support.machine(cursor))
        extra = profile_passes(args) * args.profile_visits if args.profile else 0
        visits = prepare(args.visits + extra + (args.visits + (args.profile_visits if args.profile else 0) if args.http else 0), args.lines, today)
        print(f"world and visits ready in {time.perf_counter() - t0:.0f} s (not timed)")

        def settle(visit, user=None):
            return settlement.settle_visit(visit, user=user)

        gc.collect()
        if args.gc_freeze:
            gc.freeze()
        run(visits[:args.visits], settle, args.warmup, f"settle_visit ({settlement.__name__})")
        if args.profile:
            passes = visits[args.visits:args.visits + extra]
            profile(passes[:2 * args.profile_visits], settle, settlement, args.profile_timer, args.profile_out)
            if args.stage_calls:
                stage_calls(passes[2 * args.profile_visits:], settle, settlement)
        if args.http:
            http = HTTPSettle(visits)
            rest = visits[args.visits + extra:]
            gc.collect()
            run_http(rest[:args.visits], settle, http, args.warmup)
            if args.profile:
                profile_http(rest[args.visits:], http, settlement)
        from claims.models import Settlement

        settled = Settlement.objects.filter(visit__in=[v.pk for v in visits]).count()
        eligible = Settlement.objects.filter(visit__in=[v.pk for v in visits], ineligible_reason="").count()
        print(f"check: {settled} settlements stored for {len(visits)} visits, {eligible} of them eligible")
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
