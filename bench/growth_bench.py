"""Growth benchmark (issue #7 "Growth", part 2): the caseworker's search and visit pages against 1, 10 and 30
million stored fee lines. The cost of a page must stay flat in the size of the history.

The history (cached on the server as template databases named yibao_city_hist_*, marked complete by a
comment, like support.city_template; --fresh-city builds them again):

  * month 1 is real: `manage.py synth_city` (--persons insured, --institutions institutions, --days days of
    --lines-per-day fee lines from --start), the default audit rules, the bureau roles, and `manage.py run_daily`
    for every day, so the month's visits are settled with their settlement lines, audit hits and suspect
    items. The rows the daily job stamps with the wall clock (hits, items, trail, settlements) are then dated
    as if each day's job had run at 02:30 the next morning;
  * a history of M months (M = history / lines of month 1) is month 1 followed by M - 1 copies of it, copy k
    shifted by k × --days days with new ids and keys (INSERT ... SELECT of visits, uploads, fee lines,
    settlements, settlement lines, audit hits, suspect items, trail, daily jobs and their summaries; the
    persons and institutions are the same, so a person's history grows with M). Running the daily job on
    every day of a 30-million-line history takes hours on this machine (it slows down as history grows, see
    docs/benchmarks.md), so only month 1 goes through it.

Then for each history size, in a subprocess connected to that database, inside one transaction that is rolled
back at the end (the templates are never changed): a user with the caseworker role (`setup_roles`) logged
in with Django's test Client requests, for --targets random targets each (fixed seed, targets drawn from the
whole history):

  search-psn_no     /ws/search/?q=<psn_no>          search-certno   POST /ws/search/ q=<certno>, then ?s=
  search-mdtrt_id   /ws/search/?q=<mdtrt_id>        search-name     /ws/search/?q=<a person's name>
  person            /ws/persons/<psn_no>/           the person's visits (the visit list)
  visit             /ws/items/<id>/                 a suspect item: the visit, its fee lines with their split,
                                                    the settlement breakdown, the hits and the trail
  dashboard         /ws/?date=<a day>               a business day (uploads, settlements, items, hits)
  institution       /ws/institutions/<code>/?year=  an institution's year (of a random visit)

and prints p50/p95 of the wall time per page, the number of SQL queries, and EXPLAIN (ANALYZE, BUFFERS) of
every query of one request per page (a one-line summary per query with the scans it used; full plans in
--explain-dir). With --before it times the pages again after dropping, inside the same rolled-back
transaction, the indexes that claims/migrations/0010_growth_indexes.py adds (and putting back the index on
claims_visit.institution_id that it replaces).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibao .venv/bin/python bench/growth_bench.py --before
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import support  # noqa: E402

GROWTH_VERSION = "1"  # bump when the way the history is built changes
NEW_INDEXES_MIGRATION = support.ROOT / "claims" / "migrations" / "0010_growth_indexes.py"
# what 0010 replaced, put back for --before (inside the rolled-back transaction)
BEFORE_0010 = ["CREATE INDEX growth_bench_visit_institution ON claims_visit (institution_id)"]
PAGES = ("search-psn_no", "search-certno", "search-mdtrt_id", "search-name", "person", "visit", "dashboard",
         "institution")
# tables a month's copy duplicates: {table: {column: SQL expression}} (other columns are copied as they are);
# %(k)s is the copy's number, %(days)s its shift in days, o_<table> the id offset of a table
TZ = "Asia/Shanghai"
SHIFT = "make_interval(days => %(days)s)"
CLONE = {
    "claims_dailyjob": {"id": "id + %(o_claims_dailyjob)s", "run_date": "run_date + %(days)s",
                        "started_at": f"started_at + {SHIFT}", "finished_at": f"finished_at + {SHIFT}"},
    "claims_upload": {"id": "id + %(o_claims_upload)s", "created_at": f"created_at + {SHIFT}"},
    "claims_visit": {
        "id": "id + %(o_claims_visit)s",
        "mdtrt_id": "'M' || to_char(substr(mdtrt_id, 2, 8)::date + %(days)s, 'YYYYMMDD') || substr(mdtrt_id, 10)",
        "begntime": f"begntime + {SHIFT}", "endtime": f"endtime + {SHIFT}", "created_at": f"created_at + {SHIFT}"},
    "claims_feeline": {"id": "id + %(o_claims_feeline)s", "visit_id": "visit_id + %(o_claims_visit)s",
                       "upload_id": "upload_id + %(o_claims_upload)s", "fee_ocur_time": f"fee_ocur_time + {SHIFT}",
                       "cancelled_at": f"cancelled_at + {SHIFT}"},
    "claims_settlement": {
        "id": "id + %(o_claims_settlement)s",
        "setl_id": "'S' || to_char(substr(setl_id, 2, 8)::date + %(days)s, 'YYYYMMDD') || substr(setl_id, 10)",
        "setl_time": f"setl_time + {SHIFT}", "created_at": f"created_at + {SHIFT}",
        "reverses_id": "reverses_id + %(o_claims_settlement)s", "visit_id": "visit_id + %(o_claims_visit)s",
        "daily_job_id": "daily_job_id + %(o_claims_dailyjob)s"},
    "claims_settlementline": {"id": "id + %(o_claims_settlementline)s",
                              "fee_line_id": "fee_line_id + %(o_claims_feeline)s",
                              "settlement_id": "settlement_id + %(o_claims_settlement)s"},
    "claims_suspectitem": {"id": "id + %(o_claims_suspectitem)s", "visit_id": "visit_id + %(o_claims_visit)s",
                           "settlement_id": "settlement_id + %(o_claims_settlement)s",
                           "created_at": f"created_at + {SHIFT}", "confirmed_at": f"confirmed_at + {SHIFT}",
                           "dismissed_at": f"dismissed_at + {SHIFT}"},
    "claims_audithit": {
        "id": "id + %(o_claims_audithit)s", "key": "encode(sha256(convert_to(key || ':' || %(k)s, 'UTF8')), 'hex')",
        "created_at": f"created_at + {SHIFT}", "visit_id": "visit_id + %(o_claims_visit)s",
        "settlement_id": "settlement_id + %(o_claims_settlement)s",
        "related_visit_id": "related_visit_id + %(o_claims_visit)s", "item_id": "item_id + %(o_claims_suspectitem)s",
        "related_mdtrt_id": "CASE WHEN related_mdtrt_id = '' THEN '' ELSE 'M' || "
                            "to_char(substr(related_mdtrt_id, 2, 8)::date + %(days)s, 'YYYYMMDD') || "
                            "substr(related_mdtrt_id, 10) END",
        "fee_line_ids": "(SELECT coalesce(jsonb_agg(to_jsonb(x::bigint + %(o_claims_feeline)s)), '[]'::jsonb) "
                        "FROM jsonb_array_elements_text(fee_line_ids) x)"},
    "claims_reviewevent": {"id": "id + %(o_claims_reviewevent)s", "at": f"at + {SHIFT}",
                           "visit_id": "visit_id + %(o_claims_visit)s", "item_id": "item_id + %(o_claims_suspectitem)s"},
    "claims_institutiondailysummary": {"id": "id + %(o_claims_institutiondailysummary)s",
                                       "job_id": "job_id + %(o_claims_dailyjob)s"},
}


def say(message: str) -> None:
    print(message, flush=True)


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def city_name(*, months: int, persons: int, institutions: int, per_day: int, days: int, seed: int,
              start: dt.date) -> str:
    name = (f"yibao_city_hist_p{persons}_i{institutions}_l{per_day}_d{days}_s{seed}_{start:%y%m%d}"
            + (f"_x{months}" if months > 1 else ""))
    if len(name) > 63:  # PostgreSQL would cut it to 63 bytes
        raise SystemExit(f"database name too long: {name}")
    return name


def mark() -> str:
    return f"bench growth city {support.code_digest()}.{GROWTH_VERSION}"


def build_month(name: str, *, persons: int, institutions: int, per_day: int, days: int, seed: int,
                start: dt.date) -> None:
    """Month 1: synth_city, the audit rules, the roles and the daily job of every day."""
    url = support.server_url()
    support.create_database(url, name)
    city = support.with_database(url, name)
    t0 = time.perf_counter()
    support.manage(city, "migrate", "--noinput", "-v", "0")
    generated, summary, _rss = support.synth(city, persons=persons, institutions=institutions, lines=per_day,
                                             seed=seed, days=days, start=start.isoformat())
    say(f"  synth_city {generated:.0f} s: {summary}")
    support.manage(city, "load_default_rules")
    support.manage(city, "setup_roles")
    t1 = time.perf_counter()
    conn = support.admin_connection(url, dbname=name)
    try:
        with conn.cursor() as cursor:
            for n in range(days):
                day = start + dt.timedelta(days=n)
                t = time.perf_counter()
                out = support.manage(city, "run_daily", "--date", day.isoformat())
                say(f"  {out.splitlines()[0]} ({time.perf_counter() - t:.0f} s, {load()})")
                # what autovacuum does between nights (it is off on the benchmark server): without it the
                # planner keeps believing every visit is unsettled and the daily job slows down day by day
                cursor.execute("VACUUM ANALYZE claims_visit, claims_feeline, claims_settlement, "
                               "claims_settlementline, claims_audithit, claims_suspectitem")
            say(f"  daily jobs: {time.perf_counter() - t1:.0f} s")
            # what the daily job stamped with the wall clock, as if each day's job ran at 02:30 the next day
            ran = f"((j.run_date + 1)::timestamp + time '02:30') AT TIME ZONE '{TZ}'"
            # no history rows for these corrections; the trail is append-only (a trigger) for everyone else
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(f"UPDATE claims_dailyjob j SET started_at = {ran}, "
                           f"finished_at = {ran} + (finished_at - started_at)")
            cursor.execute(f"UPDATE claims_settlement s SET created_at = {ran} FROM claims_dailyjob j "
                           "WHERE j.id = s.daily_job_id")
            cursor.execute("UPDATE claims_audithit h SET created_at = s.created_at FROM claims_settlement s "
                           "WHERE s.id = h.settlement_id")
            cursor.execute("UPDATE claims_suspectitem i SET created_at = s.created_at FROM claims_settlement s "
                           "WHERE s.id = i.settlement_id")
            cursor.execute("UPDATE claims_reviewevent e SET at = i.created_at FROM claims_suspectitem i "
                           "WHERE i.id = e.item_id")
            cursor.execute("RESET session_replication_role")
            cursor.execute("VACUUM (ANALYZE)")
    finally:
        conn.close()
    say(f"  month 1 built in {time.perf_counter() - t0:.0f} s")


def clone_months(name: str, months: int) -> None:
    """Append months 2..M: copies of month 1 shifted by k × days days, with new ids and keys."""
    url = support.server_url()
    conn = support.admin_connection(url, dbname=name)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT max(run_date) - min(run_date) + 1 FROM claims_dailyjob")
            days = cursor.fetchone()[0]
            offsets = {}
            for table in CLONE:
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
                offsets[table] = cursor.fetchone()[0]
            columns = {}
            for table in CLONE:
                cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                               "ORDER BY ordinal_position", [table])
                columns[table] = [r[0] for r in cursor.fetchall()]
            # the copies are consistent by construction: no FK checks, no history triggers while loading
            cursor.execute("SET session_replication_role = replica")
            for k in range(1, months):
                t = time.perf_counter()
                params = {"k": k, "days": k * days, **{f"o_{t_}": k * o for t_, o in offsets.items()},
                          **{f"month1_{t_}": o for t_, o in offsets.items()}}
                cursor.execute("BEGIN")
                for table, exprs in CLONE.items():
                    cols = columns[table]
                    select = ", ".join(exprs.get(c, f'"{c}"') for c in cols)
                    cursor.execute(f'INSERT INTO {table} ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
                                   f"SELECT {select} FROM {table} WHERE id <= %(month1_{table})s", params)
                cursor.execute("COMMIT")
                say(f"  month {k + 1}/{months} copied in {time.perf_counter() - t:.0f} s ({load()})")
            cursor.execute("RESET session_replication_role")
            for table in CLONE:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
            t = time.perf_counter()
            cursor.execute("VACUUM (ANALYZE)")
            say(f"  VACUUM ANALYZE {time.perf_counter() - t:.0f} s")
    finally:
        conn.close()


def growth_city(*, lines: int, persons: int, institutions: int, per_day: int, days: int, seed: int,
                start: dt.date, fresh: bool = False) -> str:
    """The database holding a history of about `lines` fee lines (whole months of days × per_day lines)."""
    url = support.server_url()
    months = max(1, round(lines / (per_day * days)))
    spec = {"persons": persons, "institutions": institutions, "per_day": per_day, "days": days, "seed": seed,
            "start": start}
    name = city_name(months=months, **spec)
    wanted = mark()  # taken before building: a migration added meanwhile must not mark an older schema
    if not fresh and support.database_comment(url, name) == wanted:
        say(f"history {months} month(s): reusing {name}")
        return name
    t0 = time.perf_counter()
    base = city_name(months=1, **spec)
    if months == 1 or fresh or support.database_comment(url, base) != wanted:
        say(f"history 1 month: building {base}")
        build_month(base, **spec)
        _finish(url, base, wanted)
    if months == 1:
        return base
    say(f"history {months} months: copying {base} to {name}")
    support.create_database(url, name, template=base)
    clone_months(name, months)
    _finish(url, name, wanted)
    say(f"history {months} months: built {name} in {time.perf_counter() - t0:.0f} s")
    return name


def _finish(url: str, name: str, wanted: str) -> None:
    conn = support.admin_connection(url, dbname=name)
    try:
        with conn.cursor() as cursor:
            try:
                cursor.execute("CHECKPOINT")
            except Exception:  # noqa: BLE001 (needs superuser or pg_checkpoint; a best effort)
                pass
            if mark() == wanted:
                cursor.execute(f'COMMENT ON DATABASE "{name}" IS %s', [wanted])
            else:
                say(f"  the migrations or the generator changed while {name} was built: not marked as complete")
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            say(f"  {name}: {cursor.fetchone()[0]}")
    finally:
        conn.close()


# --- the daily batch on top of a history ----------------------------------------------------------------------

# what a copied day changes besides CLONE's ids and times: its visits arrive discharged and not yet settled
NEXT_DAY = {"claims_visit": {"status": "'discharged'"}}


def next_day_batch(name: str, scratch: str) -> dict:
    """The daily job of one more day on top of history `name`, in a scratch copy of it (dropped afterwards): the
    uploads of month 1's first day, with their visits (discharged, not settled) and fee lines (as uploaded,
    with their upload-time split), shifted to the day after the history, as CLONE shifts a month; then
    `manage.py run_daily` for that day, timed. The same day's work on every history, so that its time shows
    what the history's size costs the batch."""
    url = support.server_url()
    t0 = time.perf_counter()
    support.create_database(url, scratch, template=name)
    copied = time.perf_counter() - t0
    try:
        conn = support.admin_connection(url, dbname=scratch)
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT min(run_date), max(run_date) FROM claims_dailyjob")
                first, last = cursor.fetchone()
                day = last + dt.timedelta(days=1)
                shift = (day - first).days
                start = dt.datetime.combine(first, dt.time(), tzinfo=dt.timezone(dt.timedelta(hours=8)))
                tables = ("claims_upload", "claims_visit", "claims_feeline")
                params = {"k": shift, "days": shift, "start": start, "end": start + dt.timedelta(days=1)}
                for table in tables:
                    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
                    params[f"o_{table}"] = cursor.fetchone()[0]
                cursor.execute("SET session_replication_role = replica")  # consistent by construction, as clone_months
                cursor.execute("BEGIN")
                cursor.execute("CREATE TEMP TABLE day_upload AS SELECT id FROM claims_upload "
                               "WHERE created_at >= %(start)s AND created_at < %(end)s", params)
                where = {"claims_upload": "id IN (SELECT id FROM day_upload)",
                         "claims_visit": "id IN (SELECT DISTINCT visit_id FROM claims_feeline "
                                         "WHERE upload_id IN (SELECT id FROM day_upload))",
                         "claims_feeline": "upload_id IN (SELECT id FROM day_upload)"}
                for table in tables:
                    cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                                   "ORDER BY ordinal_position", [table])
                    cols = [r[0] for r in cursor.fetchall()]
                    exprs = {**CLONE[table], **NEXT_DAY.get(table, {})}
                    select = ", ".join(exprs.get(c, f'"{c}"') for c in cols)
                    cursor.execute(f'INSERT INTO {table} ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
                                   f"SELECT {select} FROM {table} WHERE {where[table]}", params)
                # a history of 30 months runs past the policy pack's year and the contributions paid for it: the
                # city keeps the same pack every later year (a copy per year, effective that year) and its
                # insured keep paying, so that the day is settled as a day of the pack's own year would be
                cursor.execute("""
                    INSERT INTO policy_rules_policyversion (code, name, region, effective_from, effective_to, status,
                                                            document, source_name, imported_at, imported_by_id)
                    SELECT p.code || '-' || y, p.name, p.region, make_date(y, 1, 1), make_date(y, 12, 31), p.status,
                           p.document || jsonb_build_object('code', p.code || '-' || y,
                                                            'effective_from', make_date(y, 1, 1)::text,
                                                            'effective_to', make_date(y, 12, 31)::text),
                           p.source_name, p.imported_at, p.imported_by_id
                    FROM policy_rules_policyversion p
                    CROSS JOIN generate_series(extract(year FROM p.effective_to)::int + 1, %(year)s) y
                    WHERE p.status = 'active' AND p.effective_to IS NOT NULL
                      AND p.effective_to = make_date(extract(year FROM p.effective_to)::int, 12, 31)
                """, {"year": day.year})
                cursor.execute("UPDATE insurance_enrollment SET paid_through = %s WHERE paid_through < %s "
                               "AND paid_through >= %s", [f"{day.year}-12", f"{day.year}-12", f"{first.year}-12"])
                cursor.execute("COMMIT")
                cursor.execute("RESET session_replication_role")
                for table in tables:
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT max(id) FROM {table}))")
                    cursor.execute(f"ANALYZE {table}")
                cursor.execute("SELECT count(*), count(DISTINCT visit_id) FROM claims_feeline WHERE id > %s",
                               [params["o_claims_feeline"]])
                lines, visits = cursor.fetchone()
        finally:
            conn.close()
        before = os.getloadavg()
        t = time.perf_counter()
        out = support.manage(support.with_database(url, scratch), "run_daily", "--date", day.isoformat())
        wall = time.perf_counter() - t
        return {"day": day.isoformat(), "lines": lines, "visits": visits, "wall": wall, "copy_s": copied,
                "summary": out.splitlines()[0] if out else "", "load_before": before, "load_after": os.getloadavg()}
    finally:
        support.drop_database(url, scratch)


# --- measuring (in a subprocess connected to one history) -----------------------------------------------------


def new_index_names() -> list[str]:
    """The names of the indexes that the growth migration adds (dropped for --before)."""
    if not NEW_INDEXES_MIGRATION.exists():
        return []
    return re.findall(r"Index\([^)]*\bname=['\"]([a-z0-9_]+)['\"]", NEW_INDEXES_MIGRATION.read_text())


def pick_targets(cursor, n: int, seed: int) -> tuple[dict[str, list[str]], dict[str, float]]:
    """n random targets per page, from the whole history, the same for a seed and a database; and the median
    number of rows behind a target (what a page's cost should follow, rather than the size of the history)."""
    rnd = random.Random(seed)

    def sample(table: str, columns: str, k: int) -> list[tuple]:
        """k rows (id, *columns) at random ids between the smallest and the largest."""
        cursor.execute(f"SELECT min(id), max(id) FROM {table}")
        lo, hi = cursor.fetchone()
        if lo is None:
            return []
        ids = [rnd.randint(lo, hi) for _ in range(k * 3)]
        cursor.execute(f"SELECT id, {columns} FROM {table} WHERE id = ANY(%s)", [ids])
        found = {r[0]: r for r in cursor.fetchall()}
        return [found[i] for i in dict.fromkeys(ids) if i in found][:k]

    visits = [v[1:] for v in sample("claims_visit", "mdtrt_id, person_id, institution_id, endtime", n)]
    cursor.execute("SELECT id, psn_no, certno, name FROM insurance_person WHERE id = ANY(%s)",
                   [[v[1] for v in visits]])
    persons = {r[0]: r[1:] for r in cursor.fetchall()}
    cursor.execute("SELECT id, fixmedins_code FROM insurance_institution WHERE id = ANY(%s)",
                   [[v[2] for v in visits]])
    institutions = dict(cursor.fetchall())
    items = sample("claims_suspectitem", "visit_id", n)
    item_ids = [r[0] for r in items]
    local = dt.timezone(dt.timedelta(hours=8))

    def median_count(sql: str, keys: list) -> float:
        counts = []
        for key in keys:
            cursor.execute(sql, key if isinstance(key, (list, tuple)) else [key])
            counts.append(cursor.fetchone()[0])
        return statistics.median(counts) if counts else 0

    years = [(v[2], dt.datetime(v[3].astimezone(local).year, 1, 1, tzinfo=local)) for v in visits]
    days = [dt.datetime.combine(v[3].astimezone(local).date(), dt.time(), tzinfo=local) for v in visits]
    rows = {
        "person: the person's visits": median_count(
            "SELECT count(*) FROM claims_visit WHERE person_id = %s", [v[1] for v in visits]),
        "visit: the visit's fee lines": median_count(
            "SELECT count(*) FROM claims_feeline WHERE visit_id = %s", [r[1] for r in items]),
        "dashboard: the day's settlements": median_count(
            "SELECT count(*) FROM claims_settlement WHERE setl_time >= %s AND setl_time < %s + interval '1 day'",
            [(d, d) for d in days]),
        "institution: its visits in the year": median_count(
            "SELECT count(*) FROM claims_visit WHERE institution_id = %s AND begntime >= %s "
            "AND begntime < %s + interval '1 year'", [(i, y, y) for i, y in years]),
        "institution: its audit hits, all years": median_count(
            "SELECT count(*) FROM claims_audithit WHERE institution_id = %s", [v[2] for v in visits]),
        "dashboard: pending suspect items, all days": median_count(
            "SELECT count(*) FROM claims_suspectitem WHERE state = %s", ["pending"]),
    }
    return {
        "search-psn_no": [f"/ws/search/?q={persons[v[1]][0]}" for v in visits],
        "search-certno": [f"{POSTED_SEARCH}{persons[v[1]][1]}" for v in visits],
        "search-mdtrt_id": [f"/ws/search/?q={v[0]}" for v in visits],
        "search-name": [f"/ws/search/?q={persons[v[1]][2]}" for v in visits],
        "person": [f"/ws/persons/{persons[v[1]][0]}/" for v in visits],
        "visit": [f"/ws/items/{i}/" for i in item_ids],
        "dashboard": [f"/ws/?date={v[3].astimezone(local):%Y-%m-%d}" for v in visits],
        "institution": [f"/ws/institutions/{institutions[v[2]]}/?year={v[3].astimezone(local).year}"
                        for v in visits],
    }, rows


# An ID number is searched by POST only (never in a URL): the target names the query, and fetch() posts it and
# follows the redirect to the result page (?s=<keyed hash>), so the timing includes the POST and the redirect.
POSTED_SEARCH = "POST /ws/search/ q="


def fetch(client, target: str):
    """GET the target URL, or POST a search and follow it to its result page."""
    if target.startswith(POSTED_SEARCH):
        return client.post("/ws/search/", {"q": target[len(POSTED_SEARCH):]}, follow=True)
    return client.get(target)


SCAN = re.compile(r"(Parallel )?(Seq Scan|Index Scan|Index Only Scan|Bitmap Index Scan|Bitmap Heap Scan)"
                  r"(?: Backward)?(?: using (\S+))? on (\S+)")
BUFFERS = re.compile(r"Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?")
GROWING = {"claims_feeline", "claims_visit", "claims_settlement", "claims_settlementline", "claims_audithit",
           "claims_suspectitem", "claims_reviewevent", "claims_upload"}


def explain_request(client, url: str) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT of one request: one-line summaries, the full plans and the
    shared buffers the statements touched (hit = in PostgreSQL's cache, read = from the OS or the disk)."""
    from django.db import connection

    captured = []

    def capture(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT"):
            captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        fetch(client, url)
    out = {"summary": [], "full": [], "hit": 0, "read": 0, "seq_growing": 0}
    with connection.cursor() as cursor:
        for n, (sql, params) in enumerate(captured, 1):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [r[0] for r in cursor.fetchall()]
            ms = next((float(m.group(1)) for r in plan if (m := re.match(r"Execution Time: ([\d.]+) ms", r))), 0.0)
            # the first Buffers line is the top node's: the whole statement (planning has its own, after)
            hit = read = 0
            for row in plan:
                if row.startswith("Planning"):
                    break
                top = BUFFERS.search(row)
                if top:
                    hit, read = int(top.group(1) or 0), int(top.group(2) or 0)
                    break
            out["hit"] += hit
            out["read"] += read
            scans = []
            for row in plan:
                m = SCAN.search(row)
                if m:
                    kind = ("Parallel " if m.group(1) else "") + m.group(2)
                    what = f"{kind} {m.group(4)}" + (f" ({m.group(3)})" if m.group(3) else "")
                    if m.group(2) == "Seq Scan" and m.group(4) in GROWING:
                        what = "**" + what + "**"
                        out["seq_growing"] += 1
                    scans.append(what)
            tables = re.findall(r'FROM "(\w+)"', sql)
            out["summary"].append(f"q{n:<2} {ms:8.2f} ms {hit + read:6d} buf  {tables[0] if tables else '?':<26} "
                                  + "; ".join(dict.fromkeys(scans)))
            out["full"].append(f"-- q{n}: {cursor.mogrify(sql, params).decode()}\n" + "\n".join(plan) + "\n")
    return out


def time_pages(client, targets: dict[str, list[str]], pages: list[str]) -> dict[str, dict]:
    """Each page for each of its targets twice: cold (the first request for that target: its rows may have to
    come from the disk) and warm (the same request again at once: the plan and Python, nothing read)."""
    from django.db import connection

    out = {}
    for page in pages:
        urls = targets[page]
        if not urls:
            continue
        cold, warm, sql_ms, queries = [], [], [], []
        for url in urls:
            for series in (cold, warm):
                spent = [0.0, 0]

                def timed(execute, sql, params, many, context, spent=spent):
                    t = time.perf_counter()
                    try:
                        return execute(sql, params, many, context)
                    finally:
                        spent[0] += time.perf_counter() - t
                        spent[1] += 1

                with connection.execute_wrapper(timed):
                    t0 = time.perf_counter()
                    response = fetch(client, url)
                    series.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            sql_ms.append(spent[0] * 1000)
            queries.append(spent[1])
        out[page] = {"n": len(urls), "cold_p50": pct(cold, 50), "cold_p95": pct(cold, 95),
                     "warm_p50": pct(warm, 50), "warm_p95": pct(warm, 95), "warm_sql_p50": pct(sql_ms, 50),
                     "queries": statistics.median(queries)}
    return out


def explain_pages(client, targets: dict[str, list[str]], pages: list[str], k: int,
                  explain_dir: Path | None, tag: str) -> dict[str, dict]:
    """Buffers per request over k targets per page; the plans of the first target."""
    out = {}
    for page in pages:
        urls = targets[page][:k]
        if not urls:
            continue
        runs = [explain_request(client, url) for url in urls]
        totals = [r["hit"] + r["read"] for r in runs]
        out[page] = {"buffers_p50": pct(totals, 50), "buffers_max": max(totals),
                     "seq_growing": max(r["seq_growing"] for r in runs), "summary": runs[0]["summary"]}
        if explain_dir:
            explain_dir.mkdir(parents=True, exist_ok=True)
            (explain_dir / f"{tag}.{page}.txt").write_text("\n".join(runs[0]["full"]))
    return out


def pct(values: list[float], p: float) -> float:
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def measure(args) -> int:
    """Time the pages against one history (this process is the subprocess of main)."""
    url = support.with_database(support.server_url(), args.measure)
    support.setup_django(url)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core import signals
    from django.db import close_old_connections, connection, transaction
    from django.test import Client
    from django.test.utils import setup_test_environment

    from claims.permissions import CASEWORKER

    setup_test_environment()
    # the test client's requests run inside the transaction below: keep Django from closing the connection
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    result = {"database": args.measure, "load_before": os.getloadavg()}
    pages = [p for p in args.pages.split(",") if p]
    explain_dir = Path(args.explain_dir) if args.explain_dir else None
    warmup = 3
    with transaction.atomic():
        with connection.cursor() as cursor:
            result["machine"] = support.machine(cursor)
            cursor.execute("SELECT (SELECT count(*) FROM claims_feeline), (SELECT count(*) FROM claims_visit), "
                           "(SELECT count(*) FROM claims_settlement), (SELECT count(*) FROM claims_settlementline), "
                           "(SELECT count(*) FROM claims_audithit), (SELECT count(*) FROM claims_suspectitem), "
                           "(SELECT count(*) FROM insurance_person), (SELECT min(begntime) FROM claims_visit), "
                           "(SELECT max(endtime) FROM claims_visit), pg_database_size(current_database())")
            row = cursor.fetchone()
            result["rows"] = dict(zip(("fee lines", "visits", "settlements", "settlement lines", "audit hits",
                                       "suspect items", "persons"), row[:7], strict=True))
            result["span"] = f"{row[7]:%Y-%m-%d} .. {row[8]:%Y-%m-%d}"
            result["size_gb"] = row[9] / 1e9
            before_n = args.before_targets if args.before else 0
            drawn, result["rows_behind"] = pick_targets(cursor, warmup + args.targets + before_n, args.seed)
        # separate targets: a few to warm up Python (templates, translations), the timed ones, and for --before
        # others again, so that the first pass has not already brought their rows into memory
        warm_targets = {p: u[:warmup] for p, u in drawn.items()}
        targets = {p: u[warmup:warmup + args.targets] for p, u in drawn.items()}
        before_targets = {p: u[warmup + args.targets:] for p, u in drawn.items()}
        user = get_user_model().objects.create_user("growth-caseworker", password="unused-pw-123")
        user.groups.add(Group.objects.get(name=CASEWORKER))
        client = Client()
        client.force_login(user)
        for page in pages:
            for u in warm_targets[page]:
                assert fetch(client, u).status_code == 200, u
        result["after"] = time_pages(client, targets, pages)
        result["explain"] = explain_pages(client, targets, pages, args.explain_targets, explain_dir, args.measure)
        if args.before:
            names = new_index_names()
            result["dropped"] = names
            sid = transaction.savepoint()
            with connection.cursor() as cursor:
                cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [names])
                present = {r[0] for r in cursor.fetchall()}
                assert names and present == set(names), f"not in the database: {set(names) - present}"
                for sql in BEFORE_0010:
                    cursor.execute(sql)
                for name in names:
                    cursor.execute(f'DROP INDEX "{name}"')
            result["before"] = time_pages(client, before_targets, pages)
            # the buffers on the same targets as above (they do not depend on what is cached)
            result["explain_before"] = explain_pages(client, targets, pages, args.explain_targets,
                                                     explain_dir, args.measure + ".before")
            transaction.savepoint_rollback(sid)
        transaction.set_rollback(True)
    result["load_after"] = os.getloadavg()
    Path(args.json).write_text(json.dumps(result, default=str))
    connection.close()
    return 0


# --- the report -----------------------------------------------------------------------------------------------


def fmt_load(values) -> str:
    return " ".join(f"{x:.2f}" for x in values)


def size_label(lines: int) -> str:
    return f"{lines / 1e6:g}M"


def report(results: list[tuple[int, dict]], before: bool) -> None:
    say("")
    for lines, r in results:
        rows = ", ".join(f"{k} {v:,}" for k, v in r["rows"].items())
        say(f"history {size_label(lines)}: {r['database']} ({r['size_gb']:.1f} GB; {r['span']}): {rows}")
        say(f"  load average before {fmt_load(r['load_before'])}, after {fmt_load(r['load_after'])}")
    say("")
    say("rows behind a target (median over the targets; the pages show at most 25 rows per table):")
    for what in results[0][1]["rows_behind"]:
        say(f"  {what:<44}" + "".join(f"{size_label(lines):>6} {r['rows_behind'][what]:>9,.0f}"
                                       for lines, r in results))
    pages = list(results[0][1]["after"])

    def table(key: str, explain_key: str, title: str) -> None:
        say("")
        say(title)
        say(f"{'page':<16}" + "".join(f"{size_label(lines):>9} cold p50/p95    warm p50/p95    buffers"
                                      for lines, _ in results))
        for page in pages:
            cells = ""
            for _, r in results:
                t, e = r.get(key, {}).get(page), r.get(explain_key, {}).get(page)
                if t is None:
                    cells += f"{'-':>46}"
                    continue
                buf = f"{e['buffers_p50']:>6.0f}" + ("*" if e["seq_growing"] else " ") if e else "     - "
                cells += (f"{t['cold_p50']:>9.1f} / {t['cold_p95']:<6.1f}{t['warm_p50']:>6.1f} / {t['warm_p95']:<6.1f}"
                          f"{buf}  ")
            say(f"{page:<16}{cells}")

    n = results[0][1]["after"][pages[0]]["n"]
    table("after", "explain", f"ms per request ({n} targets per page; cold = first request for the target, warm = "
          "the same again); buffers = median shared buffers per request (EXPLAIN), * = a sequential scan of a "
          "growing table")
    if before and any("before" in r for _, r in results):
        dropped = ", ".join(results[0][1].get("dropped", []))
        table("before", "explain_before", f"before 0010 (inside the rolled-back transaction: dropped {dropped}; "
              "created an index on claims_visit (institution_id)); timed on other targets (not yet in memory), "
              "buffers on the same targets as above")
    for lines, r in results:
        say("")
        say(f"EXPLAIN (ANALYZE, BUFFERS), history {size_label(lines)}, one request per page "
            "(** a sequential scan of a table that grows with history):")
        for page, e in r["explain"].items():
            say(f"  {page}:")
            for s in e["summary"]:
                say(f"    {s}")
        if before and r.get("explain_before"):
            say(f"  before 0010, history {size_label(lines)} (the statements with a sequential scan of a growing table):")
            for page, e in r["explain_before"].items():
                changed = [s for s in e["summary"] if "**" in s]
                if changed:
                    say(f"  {page}:")
                    for s in changed:
                        say(f"    {s}")


def parse_size(text: str) -> int:
    text = text.strip().upper().replace("_", "")
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * scale)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1M,10M,30M", help="history sizes in fee lines, e.g. 1M,10M,30M")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--institutions", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=30, help="days of month 1")
    parser.add_argument("--lines-per-day", type=int, default=None,
                        help="fee lines a day of month 1 (default: the smallest size / days)")
    parser.add_argument("--start", default="2026-02-14", help="the first day of month 1")
    parser.add_argument("--seed", type=int, default=20260316)
    parser.add_argument("--targets", type=int, default=50, help="random targets per page")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--before", action="store_true",
                        help="also time the pages without the indexes of claims 0010 (dropped, rolled back)")
    parser.add_argument("--before-targets", type=int, default=20)
    parser.add_argument("--explain-targets", type=int, default=10, help="targets per page run under EXPLAIN")
    parser.add_argument("--explain-dir", default=None, help="write the full plans here")
    parser.add_argument("--fresh-city", action="store_true", help="build the histories again, not from the cache")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--batch", action="store_true",
                        help="also time the daily job of one more day on each history (in a scratch copy)")
    parser.add_argument("--batch-only", action="store_true", help="only that, no pages")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure(args)

    say("reproduce: " + support.reproduce("bench/growth_bench.py", sys.argv[1:]))
    say(f"machine: {support.machine()}; {load()}")
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    per_day = args.lines_per_day or min(sizes) // args.days
    start = dt.date.fromisoformat(args.start)
    names = []
    for lines in sizes:
        t = time.perf_counter()
        names.append(growth_city(lines=lines, persons=args.persons, institutions=args.institutions,
                                 per_day=per_day, days=args.days, seed=args.seed, start=start,
                                 fresh=args.fresh_city))
        say(f"  ({time.perf_counter() - t:.0f} s, {load()})")
    if args.build_only:
        return 0
    if args.batch or args.batch_only:
        batches = []
        for lines, name in zip(sizes, names, strict=True):
            say(f"daily job of one more day on history {size_label(lines)} ({load()})")
            b = next_day_batch(name, "yibao_bench_growth_day")
            batches.append((lines, b))
            say(f"  {b['day']}: {b['lines']:,} lines, {b['visits']:,} visits: {b['wall']:.1f} s "
                f"({b['lines'] / b['wall']:,.0f} lines/s; copy of the history {b['copy_s']:.0f} s); {b['summary']}; "
                f"load {fmt_load(b['load_before'])} -> {fmt_load(b['load_after'])}")
        say("")
        say("daily job of the same day's work on top of each history (manage.py run_daily, one process):")
        for lines, b in batches:
            say(f"  history {size_label(lines):>4}: {b['lines']:,} lines in {b['wall']:.1f} s")
        if args.batch_only:
            return 0
    results = []
    for lines, name in zip(sizes, names, strict=True):
        out = Path(f"/tmp/growth_bench_{os.getpid()}_{name}.json")
        cmd = [support.PYTHON, __file__, "--measure", name, "--json", str(out), "--targets", str(args.targets),
               "--seed", str(args.seed), "--pages", args.pages, "--before-targets", str(args.before_targets),
               "--explain-targets", str(args.explain_targets)]
        if args.before:
            cmd.append("--before")
        if args.explain_dir:
            cmd += ["--explain-dir", args.explain_dir]
        say(f"measuring history {lines / 1e6:g}M ({name}; {load()})")
        t = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=support.ROOT)
        results.append((lines, json.loads(out.read_text())))
        out.unlink()
        say(f"  done in {time.perf_counter() - t:.0f} s ({load()})")
    say(f"machine: {results[0][1]['machine']}")
    report(results, args.before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
