"""Provider API benchmark (issue #7): fee upload throughput and settlement latency over HTTP.

Creates a scratch database (default yibao_bench_api, dropped at the end unless --keep), migrates it and
writes a small synthetic city (`manage.py synth_city`: persons, institutions, catalog, the demo policy
pack) and the default smart-audit rule library (`load_default_rules`, as `make demo` and a deployment have it;
--no-audit-rules leaves it out, and upload and settlement then skip the audit). Serves the API as
docker-compose does (`gunicorn config.wsgi -w 4 --access-logfile - --logger-class
config.gunicorn_logging.MaskingLogger`, DEBUG off) on a free loopback port,
creates one token per institution client with `create_institution_token`, and measures:

  1. fee upload: --upload-clients (4) concurrent clients, each registering inpatient visits and sending
     --upload-requests requests of --upload-lines (5,000) lines to POST /api/v1/visits/{id}/fee-lines/ (0: skipped);
     reports lines/s over the whole phase and the request latencies;
  2. settlement: --settle-clients (16) concurrent clients, each with --settle-visits visits of 100 lines
     registered, uploaded and discharged beforehand, settling them one after another with
     POST /api/v1/visits/{id}/settle/; reports p50/p95/p99 latency and settlements/s (--settle-clients 1,4,16:
     one such phase for each number of clients, on visits of its own);
  3. the floor: the same clients sending --floor-requests (50) each of the lightest authenticated request,
     GET /api/v1/visits/{id}/ (token, one lookup, JSON): what the server stack alone costs under the same
     concurrency, as the COPY floor is for the daily batch.

Clients are separate processes on this machine (loopback only), each with a fixed number of requests.
Every figure is printed with the load average of the machine at that moment (it may be shared).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibao .venv/bin/python bench/api_bench.py
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import support  # noqa: E402

HTTP_TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive HTTP client with a token (gunicorn's sync workers close each connection; it reopens)."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)

    def post(self, path: str, body: bytes | dict) -> tuple[int, dict, float]:
        return self.request("POST", path, body if isinstance(body, bytes) else json.dumps(body).encode())

    def get(self, path: str) -> tuple[int, dict, float]:
        return self.request("GET", path, None)

    def request(self, method: str, path: str, data: bytes | None) -> tuple[int, dict, float]:
        # as behind the deployment's TLS proxy, which says so (SECURE_PROXY_SSL_HEADER): no redirect to https
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json", "X-Forwarded-Proto": "https"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                if attempt == 2:
                    raise
        elapsed = time.perf_counter() - t0
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {"raw": raw[:300].decode(errors="replace")}
        return response.status, payload, elapsed


def wait_until_up(port: int, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited: " + proc.stderr.read().decode(errors="replace")[-2000:])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer /healthz")


def lines_body(catalog: list[tuple[str, str]], n: int, offset: int = 0) -> bytes:
    """n fee lines (cnt 1 at the item's price, so the amount is the price), serial numbers from offset+1."""
    lines = []
    for k in range(n):
        code, price = catalog[(k * 7919 + offset) % len(catalog)]
        lines.append({"feedetl_sn": str(offset + k + 1), "med_list_codg": code, "cnt": "1", "pric": price,
                      "det_item_fee_sumamt": price})
    return json.dumps({"lines": lines}).encode()


def register(client: Client, psn_no: str, begntime: str) -> str:
    status, data, _ = client.post("/api/v1/visits/", {"psn_no": psn_no, "med_type": "21", "begntime": begntime})
    if status != 201:
        raise RuntimeError(f"register {psn_no}: {status} {data}")
    return data["mdtrt_id"]


def start_at(when: float) -> None:
    time.sleep(max(0.0, when - time.time()))


def upload_client(job) -> dict:
    port, token, mdtrt_ids, bodies, when = job
    client = Client(port, token)
    start_at(when)
    latencies, errors, t0 = [], [], time.perf_counter()
    for mdtrt_id, body in zip(mdtrt_ids, bodies, strict=True):
        status, data, elapsed = client.post(f"/api/v1/visits/{mdtrt_id}/fee-lines/", body)
        latencies.append(elapsed)
        if status != 200:
            errors.append(f"{status} {str(data)[:200]}")
    return {"latencies": latencies, "errors": errors, "end": time.perf_counter() - t0}


def prepare_settle_client(job) -> list[str]:
    port, token, psn_nos, catalog, begntime, endtime = job
    client = Client(port, token)
    ready = []
    for i, psn_no in enumerate(psn_nos):
        mdtrt_id = register(client, psn_no, begntime)
        status, data, _ = client.post(f"/api/v1/visits/{mdtrt_id}/fee-lines/", lines_body(catalog, 100, i))
        if status != 200:
            raise RuntimeError(f"upload: {status} {str(data)[:300]}")
        status, data, _ = client.post(f"/api/v1/visits/{mdtrt_id}/discharge/", {"endtime": endtime})
        if status != 200:
            raise RuntimeError(f"discharge: {status} {str(data)[:300]}")
        ready.append(mdtrt_id)
    return ready


def requests_client(job) -> dict:
    """One client sending its requests one after another from `when` on: (method, path, body) each, answered
    with `expected` (settlements: POST .../settle/, 201; the floor: GET of the visit, 200)."""
    port, token, requests, expected, when = job
    client = Client(port, token)
    start_at(when)
    latencies, errors = [], []
    for method, path, body in requests:
        status, data, elapsed = client.post(path, body) if method == "POST" else client.get(path)
        latencies.append(elapsed)
        if status != expected:
            errors.append(f"{status} {str(data)[:200]}")
    return {"latencies": latencies, "errors": errors}


def closed_loop(ctx, cpu, port: int, tokens: list[str], requests: list[list[tuple]], expected: int):
    """Each token's client sends its list of requests at once with the others: (wall s, latencies, errors,
    the server CPU line)."""
    when = time.time() + 1.0
    jobs = [(port, token, reqs, expected, when) for token, reqs in zip(tokens, requests, strict=True)]
    t0, cpu0 = time.time(), cpu.snapshot()
    with ctx.Pool(len(jobs)) as pool:
        results = pool.map(requests_client, jobs)
    wall = time.time() - max(t0, when)
    lat = [x for r in results for x in r["latencies"]]
    return wall, lat, [e for r in results for e in r["errors"]], cpu.since(cpu0, len(lat))


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return pids


def _cpu(pids) -> dict[int, float]:
    """utime + stime of each live process, in seconds."""
    out = {}
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            out[p] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return out


class ServerCPU:
    """CPU time the gunicorn processes and the PostgreSQL backends of the scratch database use during a
    phase: what a request costs, whatever else runs on the machine (backends that exit meanwhile are missed)."""

    def __init__(self, server_pid: int, url: str, database: str):
        self.server_pid, self.url, self.database = server_pid, url, database

    def _db_pids(self) -> list[int]:
        conn = support.admin_connection(self.url)
        try:
            with conn.cursor() as cursor:
                # the gunicorn workers' connections (not autovacuum, which the inserts may wake meanwhile)
                cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                               [self.database])
                return [r[0] for r in cursor.fetchall()]
        finally:
            conn.close()

    def snapshot(self) -> tuple[dict, dict]:
        return _cpu(_tree(self.server_pid)), _cpu(self._db_pids())

    def since(self, start: tuple[dict, dict], requests: int) -> str:
        end = self.snapshot()
        app, db = (sum(v - before.get(p, 0.0) for p, v in after.items()) for before, after in zip(start, end,
                                                                                                     strict=True))
        return (f"server CPU {app:.1f} s gunicorn + {db:.1f} s PostgreSQL = {(app + db) / requests * 1000:.0f} ms "
                f"per request ({app / requests * 1000:.0f} + {db / requests * 1000:.0f})")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"[load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs]"


def percentiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return (f"p50 {statistics.median(values) * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, "
            f"max {max(values) * 1000:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--upload-clients", type=int, default=4)
    parser.add_argument("--upload-requests", type=int, default=5, help="requests per upload client")
    parser.add_argument("--upload-lines", type=int, default=5000)
    parser.add_argument("--settle-clients", default="16",
                        help="concurrent settle clients; a comma-separated list (1,4,16) runs one phase for each")
    parser.add_argument("--settle-visits", type=int, default=20, help="settlements per settle client")
    parser.add_argument("--floor-requests", type=int, default=50,
                        help="requests per settle client for the floor: the lightest authenticated request (0: skip)")
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--institutions", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20260316)
    parser.add_argument("--database", default="yibao_bench_api")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--no-audit-rules", dest="audit_rules", action="store_false",
                        help="no smart-audit rules: upload and settlement skip the audit stage")
    args = parser.parse_args()
    phases = [int(c) for c in str(args.settle_clients).split(",")]
    args.settle_clients = max(phases)
    print("reproduce:", support.reproduce("bench/api_bench.py", sys.argv[1:]))
    today = dt.date.today()
    with support.scratch_database(args.database, keep=args.keep) as url:
        _, summary, _ = support.synth(url, persons=args.persons, institutions=args.institutions, lines=1000,
                                      seed=args.seed, start=today.isoformat())
        print(summary)
        support.setup_django(url)
        from io import StringIO

        from django.core.management import call_command
        from django.db import connection, connections

        from insurance.models import Institution, Person
        from policy_rules.models import CatalogItem, PolicyVersion

        if not PolicyVersion.objects.active().covering(today).exists():
            # the API settles at the present time: the demo pack's rules, dated for this year
            from policy_rules.services import import_policy_pack

            doc = json.loads((support.ROOT / "policy_rules" / "fixtures" / "demo-city-2026.json").read_text())
            doc.update(code=f"BENCH-{today.year}", effective_from=f"{today.year}-01-01",
                       effective_to=f"{today.year}-12-31")
            import_policy_pack(doc, source_name="api_bench")
        if args.audit_rules:
            call_command("load_default_rules", stdout=StringIO())
        from policy_rules.models import AuditRuleDefinition

        print(f"smart-audit rules in force: {AuditRuleDefinition.objects.in_force(today).count()}")
        with connection.cursor() as cursor:
            print("machine:", support.machine(cursor))
        clients = args.upload_clients + args.settle_clients
        hospitals = list(Institution.objects.filter(kind="hospital", level__gte=1, designated=True)
                         .order_by("fixmedins_code").values_list("fixmedins_code", flat=True)[:clients])
        if len(hospitals) < clients:
            raise SystemExit(f"need {clients} designated hospitals of level 1-3; raise --institutions")
        tokens = []
        for i, code in enumerate(hospitals):
            out = StringIO()
            call_command("create_institution_token", code, f"bench-client-{i}", stdout=out)
            tokens.append(out.getvalue().strip())
        need = args.upload_clients * args.upload_requests + sum(phases) * args.settle_visits
        persons = list(Person.objects.filter(enrollments__enrolled_to__isnull=True)
                       .order_by("id").values_list("psn_no", flat=True)[:need])
        catalog = [(c, f"{p:.2f}") for c, p in CatalogItem.objects.filter(price_limit__isnull=False)
                   .exclude(restrict_med_types__contains=["21"]).values_list("med_list_codg", "price_limit")[:500]]
        connections.close_all()

        port = free_port()
        env = support.django_env(url, DEBUG="0", SECRET_KEY=secrets.token_urlsafe(40), ALLOWED_HOSTS="127.0.0.1",
                                 SECURE_PROXY_SSL_HEADER="1")
        # exactly docker-compose.yml's web command (sync workers, gunicorn's default 30 s timeout, the access log
        # masked by its logger class), bound to a loopback port; the access log goes to stdout there as here
        server = subprocess.Popen(
            [support.PYTHON, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w",
             str(args.gunicorn_workers), "--access-logfile", "-", "--logger-class",
             "config.gunicorn_logging.MaskingLogger"],
            cwd=support.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            wait_until_up(port, server)
            ctx = multiprocessing.get_context("fork")
            begntime = (dt.datetime.now().astimezone() - dt.timedelta(days=3)).isoformat(timespec="seconds")
            endtime = (dt.datetime.now().astimezone() - dt.timedelta(hours=1)).isoformat(timespec="seconds")

            cpu = ServerCPU(server.pid, support.server_url(), args.database)

            # 1. fee upload: visits registered first (not timed), then 5,000-line requests (0 requests: skipped)
            jobs, p = [], 0
            if not args.upload_requests:
                args.upload_clients = 0
            for c in range(args.upload_clients):
                client = Client(port, tokens[c])
                ids = [register(client, persons[p + r], begntime) for r in range(args.upload_requests)]
                p += args.upload_requests
                bodies = [lines_body(catalog, args.upload_lines, r) for r in range(args.upload_requests)]
                jobs.append((port, tokens[c], ids, bodies, 0.0))
            when = time.time() + 1.0
            jobs = [(*j[:4], when) for j in jobs]
            if jobs:
                t0, cpu0 = time.time(), cpu.snapshot()
                with ctx.Pool(args.upload_clients) as pool:
                    results = pool.map(upload_client, jobs)
                wall = time.time() - max(t0, when)
                lat = [x for r in results for x in r["latencies"]]
                errors = [e for r in results for e in r["errors"]]
                n_lines = args.upload_clients * args.upload_requests * args.upload_lines
                print(f"fee upload: {args.upload_clients} clients x {args.upload_requests} requests x "
                      f"{args.upload_lines:,} lines = {n_lines:,} lines in {wall:.1f} s: "
                      f"{support.rate(n_lines, wall)} lines/s; per request {percentiles(lat)}; errors {len(errors)}"
                      + (f" ({errors[0]})" if errors else "") + " " + load())
                print(f"    {cpu.since(cpu0, args.upload_clients * args.upload_requests)}")

            # 2. settlement: for each number of clients, visits of 100 lines prepared by the same clients (not
            # timed), then settled
            for n_clients in phases:
                prep = []
                for c in range(n_clients):
                    chunk = persons[p:p + args.settle_visits]
                    p += args.settle_visits
                    prep.append((port, tokens[args.upload_clients + c], chunk, catalog, begntime, endtime))
                t_prep = time.time()
                with ctx.Pool(n_clients) as pool:
                    ready = pool.map(prepare_settle_client, prep)
                print(f"prepared {sum(map(len, ready))} visits of 100 lines in {time.time() - t_prep:.0f} s {load()}")
                settle_tokens = tokens[args.upload_clients:args.upload_clients + n_clients]
                wall, lat, errors, cpu_line = closed_loop(
                    ctx, cpu, port, settle_tokens,
                    [[("POST", f"/api/v1/visits/{m}/settle/", {}) for m in ids] for ids in ready], 201)
                print(f"settlement: {n_clients} clients x {args.settle_visits} visits of 100 lines = {len(lat)} "
                      f"settlements in {wall:.1f} s ({support.rate(len(lat), wall)}/s); latency {percentiles(lat)}; "
                      f"errors {len(errors)}" + (f" ({errors[0]})" if errors else "") + " " + load())
                print(f"    {cpu_line}")
            # 3. the floor under the same clients: what gunicorn, Django, DRF and the token cost without the work
            if args.floor_requests:
                wall, lat, errors, cpu_line = closed_loop(
                    ctx, cpu, port, settle_tokens,
                    [[("GET", f"/api/v1/visits/{m}/", None) for m in (ids * args.floor_requests)[:args.floor_requests]]
                     for ids in ready], 200)
                print(f"floor: {args.settle_clients} clients x {args.floor_requests} GET /api/v1/visits/{{mdtrt_id}}/ = "
                      f"{len(lat)} requests in {wall:.1f} s ({support.rate(len(lat), wall)}/s); latency "
                      f"{percentiles(lat)}; errors {len(errors)}" + (f" ({errors[0]})" if errors else "") + " " + load())
                print(f"    {cpu_line}")
            print(f"gunicorn ({args.gunicorn_workers} workers): peak RSS of the largest process "
                  f"{support.tree_peak_rss_mb(server.pid):,.0f} MB {load()}")
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
