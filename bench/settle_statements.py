"""Where the PostgreSQL backend's CPU of one counter settlement goes, statement by statement (issue 14).

Needs a database that bench/settle_bench.py built and kept (`--keep`): the demo pack, the audit rules and the
synthetic city. Registers, uploads and discharges one more inpatient visit there (settle_bench.prepare), settles it
three times with `settle_visit` in a transaction rolled back each time (the reads' shapes compiled and prepared on
the first), and keeps what the third sent: each statement's SQL as the server received it, and the COPY's data.

It then replays them on the same connection in transactions it rolls back (the settlements' id sequence set back
before each, so that the lines' keys find their settlement; `SET CONSTRAINTS ALL IMMEDIATE` at the end runs the
deferred foreign-key checks a COMMIT would):
- --explain times under EXPLAIN (ANALYZE, BUFFERS, SUMMARY): each statement's planning and execution time and its
  triggers' (medians);
- --replay times plainly: each statement's backend CPU from /proc/<pid>/schedstat (nanoseconds; this machine's
  backends only), the median per statement and the mean and median of the whole.

The settlement's own statements run through Django's cursor: a prefix that core.ledger sends in front of a
statement is split off and replayed as a statement of its own.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibao .venv/bin/python bench/settle_statements.py \\
        --database yibao_bench_settle
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import settle_bench  # noqa: E402
import support  # noqa: E402


class _Rollback(Exception):
    pass


def capture(visit) -> list[tuple]:
    """The statements of settling visit (rolled back), as ("sql", text) and ("copy", command, data)."""
    from django.db import connection, transaction
    from django.db.backends.utils import CursorWrapper

    from claims.settlement import services

    captured: list[tuple] = []

    def record(execute, sql, params, many, context):
        cursor = context["cursor"].cursor
        captured.append(("sql", cursor.mogrify(sql, params).decode() if params is not None else sql))
        return execute(sql, params, many, context)

    def copy_expert(self, sql, source, *args):
        data = source.read()
        captured.append(("copy", sql, data))
        return self.cursor.copy_expert(sql, io.StringIO(data), *args)

    CursorWrapper.copy_expert = copy_expert  # core.pgcopy's COPY does not pass through the execute wrappers
    try:
        for _ in range(3):
            captured.clear()
            try:
                with transaction.atomic(), connection.execute_wrapper(record):
                    services.settle_visit(visit)
                    raise _Rollback
            except _Rollback:
                pass
    finally:
        del CursorWrapper.copy_expert
    out = []
    for item in captured:
        text = item[1]
        if item[0] == "sql" and text.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            continue
        if item[0] == "sql" and text.startswith("/* core.ledger */"):
            out += [("sql", part) for part in text.split("; ", 1)]
        else:
            out.append(item)
    return [*out, ("sql", "SET CONSTRAINTS ALL IMMEDIATE")]


class Replay:
    def __init__(self, statements: list[tuple]):
        from django.db import connection

        self.statements = statements
        raw = connection.connection
        raw.autocommit = True
        self.cursor = raw.cursor()
        self.cursor.execute("SELECT pg_backend_pid(), last_value FROM claims_settlement_id_seq")
        self.pid, self.last_id = self.cursor.fetchone()

    def cpu_ns(self) -> int:
        return int(Path(f"/proc/{self.pid}/schedstat").read_text().split()[0])

    def begin(self) -> None:
        self.cursor.execute("SELECT setval('claims_settlement_id_seq', %s)", [self.last_id - 1])
        self.cursor.execute("BEGIN")

    def run(self, item: tuple, explain: bool = False) -> str | None:
        if item[0] == "copy":
            self.cursor.copy_expert(item[1], io.StringIO(item[2]))
            return None
        sql = item[1].replace("%", "%%")
        if explain and not sql.startswith("SET"):
            self.cursor.execute("EXPLAIN (ANALYZE, BUFFERS, SUMMARY) " + sql)
            return "\n".join(row[0] for row in self.cursor.fetchall())
        self.cursor.execute(sql)
        return None

    def explained(self, n: int) -> tuple[dict, dict, dict]:
        plan: dict[int, list] = {}
        execute: dict[int, list] = {}
        triggers: dict[tuple, list] = {}
        for _ in range(n):
            self.begin()
            for i, item in enumerate(self.statements):
                out = self.run(item, explain=True)
                if out is None:
                    continue
                plan.setdefault(i, []).append(float(re.search(r"Planning Time: ([\d.]+)", out).group(1)))
                execute.setdefault(i, []).append(float(re.search(r"Execution Time: ([\d.]+)", out).group(1)))
                for m in re.finditer(r"Trigger (\S+)(?: on (\S+))?: time=([\d.]+) calls=(\d+)", out):
                    triggers.setdefault((i, m.group(1), m.group(2)), []).append(float(m.group(3)))
            self.cursor.execute("ROLLBACK")
        return plan, execute, triggers

    def timed(self, n: int) -> tuple[dict, list]:
        cpu: dict[int, list] = {i: [] for i in range(len(self.statements))}
        total = []
        for _ in range(n):
            self.begin()
            t0 = t = self.cpu_ns()
            for i, item in enumerate(self.statements):
                self.run(item)
                now = self.cpu_ns()
                cpu[i].append(now - t)
                t = now
            self.cursor.execute("ROLLBACK")
            total.append(self.cpu_ns() - t0)
        return cpu, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="a database settle_bench.py kept (--keep)")
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--explain", type=int, default=20, help="replays under EXPLAIN ANALYZE")
    parser.add_argument("--replay", type=int, default=200, help="plain replays timed")
    parser.add_argument("--show", type=int, nargs="*", default=[], help="print these statements and their plans")
    args = parser.parse_args()
    print("reproduce:", support.reproduce("bench/settle_statements.py", sys.argv[1:]))
    print(f"code: {support.ROOT} at {settle_bench.git_head()}")
    support.setup_django(support.with_database(support.server_url(), args.database))
    visit = settle_bench.prepare(1, args.lines, dt.date.today())[0]
    replay = Replay(capture(visit))
    plan, execute, triggers = replay.explained(args.explain)
    load = support.load_average()
    cpu, total = replay.timed(args.replay)
    print(f"{len(replay.statements)} statements replayed {args.replay} times [load average {load} -> "
          f"{support.load_average()}]: backend CPU per settlement mean {statistics.fmean(total) / 1e6:.2f} ms, "
          f"median {statistics.median(total) / 1e6:.2f} ms (ROLLBACK for COMMIT, its deferred checks included)")
    print("  #   CPU ms  plan ms  exec ms  (medians)  statement")
    sums = [0.0, 0.0, 0.0]
    for i, item in enumerate(replay.statements):
        c = statistics.median(cpu[i]) / 1e6
        p = statistics.median(plan[i]) if i in plan else 0.0
        e = statistics.median(execute[i]) if i in execute else 0.0
        sums = [sums[0] + c, sums[1] + p, sums[2] + e]
        text = item[1] if item[0] == "sql" else f"{item[1]} [{len(item[2])} bytes]"
        print(f"{i:3d}  {c:7.3f}  {p:7.3f}  {e:7.3f}  {len(text):6d} chars  {text[:90]!r}")
        for (j, name, table), values in triggers.items():
            if j == i:
                print(f"                              trigger {name} on {table}: {statistics.median(values):.3f} ms")
    print(f"sum  {sums[0]:7.3f}  {sums[1]:7.3f}  {sums[2]:7.3f}")
    for i in args.show:
        replay.begin()
        for item in replay.statements[:i]:
            replay.run(item)
        print(f"\n[{i}] {replay.statements[i][1][:4000]}\n{replay.run(replay.statements[i], explain=True)}")
        replay.cursor.execute("ROLLBACK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
