"""Fund settlement benchmark (issue #6): how long do settle_month and clear_year take for a city?

Creates a scratch PostgreSQL database (default yibao_bench_fund, dropped at the end unless --keep), migrates
it, and generates a year (2025) of data entirely in SQL (INSERT ... SELECT generate_series, with setseed for
repeatable figures):

  * --institutions (default 2,000) institutions of levels 0-3, one pooling region;
  * persons, and one visit per settlement: --per-month (default 75) settlements per institution and month,
    i.e. 2,000 × 12 × 75 = 1,800,000 settlements, 70 % general outpatient (11), 10 % chronic outpatient (14),
    20 % inpatient (21) with 1-15 days and a diagnosis (5 % with a per-disease standard);
  * 2 % of the settlements reversed 1-20 days later (often in the next month), 1 % recorded late (after
    their month's statement run);
  * per-bed-day standards for levels 2 and 3, one per-disease standard, capitation contracts (covering
    general outpatient) for 300 small institutions, 6,000 audit deductions (10 % reversed), an agreed
    index for every institution, the spec's worked-example parameters.

Then it times settle_month for each month of 2025 in order (as the beat job would run them, each with its
cutoff on the 10th of the next month) and clear_year(2025), and a second clear_year (nothing changes).
Generation is excluded from the timings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibao .venv/bin/python bench/fund_bench.py
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
YEAR = 2025


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
        mem = next(r for r in Path("/proc/meminfo").read_text().splitlines() if r.startswith("MemTotal"))
        mem = f"{int(mem.split()[1]) / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration):
        mem = "? RAM"
    return f"{cpu}, {os.cpu_count()} CPUs, {mem}, Python {platform.python_version()}"


def admin_connection(url: str):
    import dj_database_url
    import psycopg2

    cfg = dj_database_url.parse(url)
    conn = psycopg2.connect(dbname="postgres", user=cfg["USER"] or None, password=cfg["PASSWORD"] or None,
                            host=cfg["HOST"] or None, port=cfg["PORT"] or None)
    conn.autocommit = True
    return conn


def scratch_url(url: str, name: str) -> str:
    base, _, _db = url.rpartition("/")
    return f"{base}/{name}"


GENERATE = """
SELECT setseed(0.20250110);
INSERT INTO insurance_institution (fixmedins_code, name, level, kind, designated, region)
SELECT 'H4108' || lpad(i::text, 7, '0'), '基准医院' || i, (i %% 4), 'hospital', true, '410800'
FROM generate_series(1, %(institutions)s) i;

INSERT INTO insurance_person (psn_no, name, gender, birth_date)
SELECT 'B' || lpad(i::text, 9, '0'), '参保人' || i, (1 + i %% 2)::text, date '1940-01-01' + (i * 37) %% 25000
FROM generate_series(1, %(persons)s) i;

CREATE TEMP TABLE bench_rows AS
SELECT g AS n,
       (SELECT min(id) FROM insurance_institution) + (g %% %(institutions)s) AS institution_id,
       (SELECT min(id) FROM insurance_person) + (g * 7919) %% %(persons)s AS person_id,
       (((g / %(institutions)s) %% 12) + 1)::int AS month,
       random() AS r_type, random() AS r_day, random() AS r_amount, random() AS r_len, random() AS r_diag,
       random() AS r_rev, random() AS r_late
FROM generate_series(0::bigint, %(settlements)s - 1) g;

ALTER TABLE bench_rows ADD COLUMN med_type text, ADD COLUMN endtime timestamptz, ADD COLUMN begntime timestamptz,
    ADD COLUMN fund numeric(14,2), ADD COLUMN psn numeric(14,2), ADD COLUMN hifob numeric(14,2);
UPDATE bench_rows SET
    med_type = CASE WHEN r_type < 0.70 THEN '11' WHEN r_type < 0.80 THEN '14' ELSE '21' END,
    endtime = make_timestamptz(%(year)s, month, 1, 8, 0, 0, 'Asia/Shanghai')
              + (floor(r_day * 27) || ' days')::interval + (floor(r_amount * 600) || ' minutes')::interval;
UPDATE bench_rows SET
    begntime = CASE WHEN med_type = '21' THEN endtime - ((1 + floor(r_len * 14)) || ' days')::interval
                    ELSE endtime - interval '1 hour' END,
    fund = CASE WHEN med_type = '21' THEN round((2000 + r_amount * 18000)::numeric, 2)
                WHEN med_type = '14' THEN round((100 + r_amount * 900)::numeric, 2)
                ELSE round((10 + r_amount * 190)::numeric, 2) END;
UPDATE bench_rows SET psn = round(fund * 0.25, 2),
                      hifob = CASE WHEN med_type = '21' AND fund > 15000 THEN round(fund - 15000, 2) ELSE 0 END;

INSERT INTO claims_visit (mdtrt_id, person_id, institution_id, med_type, begntime, endtime, diagnoses, status,
                          created_at)
SELECT 'BV' || lpad(n::text, 10, '0'), person_id, institution_id, med_type, begntime, endtime,
       CASE WHEN med_type = '21' AND r_diag < 0.05 THEN '["K35.800"]'::jsonb
            WHEN med_type = '21' THEN '[{"diag_code": "I10"}]'::jsonb ELSE '[]'::jsonb END,
       'settled', endtime
FROM bench_rows;

INSERT INTO claims_settlement (setl_id, kind, visit_id, person_id, institution_id, policy_version_id, setl_time,
    med_type, medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, act_pay_dedc, hifp_pay,
    hifob_pay, hifmi_pay, maf_pay, fund_pay_sumamt, psn_part_amt, acct_pay, psn_cash_pay, ineligible_reason,
    status, reason, created_at)
SELECT 'BS' || lpad(b.n::text, 10, '0'), 'settlement', v.id, b.person_id, b.institution_id, %(policy)s, b.endtime,
       b.med_type, b.fund + b.psn, 0, 0, 0, b.fund + b.psn, 0, b.fund - b.hifob, b.hifob, 0, 0, b.fund, b.psn, 0, b.psn, '',
       CASE WHEN b.r_rev < 0.02 THEN 'cancelled' ELSE 'settled' END, '',
       CASE WHEN b.r_late < 0.01 THEN b.endtime + interval '40 days' ELSE b.endtime + interval '1 hour' END
FROM bench_rows b JOIN claims_visit v ON v.mdtrt_id = 'BV' || lpad(b.n::text, 10, '0');

INSERT INTO claims_settlement (setl_id, kind, reverses_id, visit_id, person_id, institution_id, policy_version_id,
    setl_time, med_type, medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, act_pay_dedc,
    hifp_pay, hifob_pay, hifmi_pay, maf_pay, fund_pay_sumamt, psn_part_amt, acct_pay, psn_cash_pay,
    ineligible_reason, status, reason, created_at)
SELECT 'BR' || substr(s.setl_id, 3), 'reversal', s.id, s.visit_id, s.person_id, s.institution_id,
       s.policy_version_id, s.setl_time + ((1 + s.id %% 20) || ' days')::interval, s.med_type, s.medfee_sumamt, 0, 0, 0,
       s.inscp_scp_amt, 0, s.hifp_pay, s.hifob_pay, 0, 0, s.fund_pay_sumamt, s.psn_part_amt, 0, s.psn_cash_pay,
       '', 'settled', '基准撤销', s.setl_time + ((1 + s.id %% 20) || ' days')::interval + interval '1 minute'
FROM claims_settlement s WHERE s.status = 'cancelled';

INSERT INTO fund_budget_auditdeduction (institution_id, fund, amount, reason, source_type, source_id,
    confirmed_at, reversed_at, reverse_reason)
SELECT (SELECT min(id) FROM insurance_institution) + (i * 13) %% %(institutions)s, '310100',
       round((50 + random() * 5000)::numeric, 2), '基准扣款', 'bench', i::text,
       make_timestamptz(%(year)s, 1 + i %% 12, 1 + i %% 27, 15, 0, 0, 'Asia/Shanghai'),
       CASE WHEN i %% 10 = 0 THEN make_timestamptz(%(year)s, 1 + i %% 12, 1 + i %% 27, 15, 0, 0, 'Asia/Shanghai')
            + interval '20 days' END,
       CASE WHEN i %% 10 = 0 THEN '申诉成立' ELSE '' END
FROM generate_series(1, 6000) i;

INSERT INTO fund_budget_institutionindex (year, institution_id, fund, payment_mode, mode_source, agreed_amount,
    rating, assessment_score, status, agreed_at, note)
SELECT %(year)s, s.institution_id, '310100', 'budget', 'explicit',
       round(s.total * (0.85 + ((s.institution_id * 37) %% 30) / 100.0), -2),
       (ARRAY['A', 'AA', 'AAA'])[1 + s.institution_id %% 3], 60 + s.institution_id %% 41, 'agreed', now(), ''
FROM (SELECT institution_id, sum(hifp_pay) AS total FROM claims_settlement WHERE kind = 'settlement'
      GROUP BY institution_id) s;

INSERT INTO fund_budget_capitationcontract (institution_id, year, heads, monthly_rate, covered_med_type, note)
SELECT id, %(year)s, 500 + id %% 1500, 12.50, '11', '' FROM insurance_institution WHERE level = 0 LIMIT 300;
"""


def generate(args, policy_id: int) -> dict:
    from django.db import connection

    from fund_budget.models import FundThreshold, FundYearParameters, PaymentMethod, PaymentStandard

    persons = max(1000, args.institutions * args.per_month * 12 // 9)
    params = {"institutions": args.institutions, "persons": persons, "year": YEAR, "policy": policy_id,
              "settlements": args.institutions * args.per_month * 12}
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no pghistory triggers while loading
        cursor.execute(GENERATE, params)
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("DROP TABLE bench_rows")
        cursor.execute("ANALYZE")
    p = FundYearParameters.objects.create(
        year=YEAR, region="", withholding_rate="0.05", retain_share_a="0.4", retain_share_aa="0.5",
        retain_share_aaa="0.6", retain_ceiling="0.15", overspend_tolerance="0.10", overspend_share_a="0.5",
        overspend_share_aa="0.6", overspend_share_aaa="0.7", up_factor="0.03", down_factor="0.03")
    FundThreshold.objects.create(parameters=p, fund="310100", item_by_item_threshold="100000")
    for level, daily in ((2, "450"), (3, "800")):
        PaymentStandard.objects.create(year=YEAR, level=level, med_type="21", method=PaymentMethod.PER_BED_DAY,
                                       standard=daily)
    PaymentStandard.objects.create(year=YEAR, med_type="21", method=PaymentMethod.PER_DISEASE,
                                   disease_code="K35.800", standard="6000")
    with connection.cursor() as cursor:
        counts = {}
        for table in ("insurance_institution", "insurance_person", "claims_visit", "claims_settlement",
                      "fund_budget_auditdeduction", "fund_budget_institutionindex", "fund_budget_capitationcontract"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed names)
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM claims_settlement WHERE kind = 'reversal'")
        counts["reversals"] = cursor.fetchone()[0]
        cursor.execute("SELECT version()")
        counts["postgres"] = cursor.fetchone()[0].split(",")[0]
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--institutions", type=int, default=2000)
    parser.add_argument("--per-month", type=int, default=75, help="settlements per institution and month")
    parser.add_argument("--database", default="yibao_bench_fund")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yibao")
    if not url.startswith("postgres"):
        print("fund_bench needs PostgreSQL (DATABASE_URL=postgres://...)", file=sys.stderr)
        return 2
    admin = admin_connection(url)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
        cursor.execute(f'CREATE DATABASE "{args.database}"')
    os.environ.update({"DATABASE_URL": scratch_url(url, args.database), "DEBUG": "1", "CELERY_BROKER_URL": "",
                       "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING"})
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from core.periods import month_bounds
        from fund_budget.clearing import clear_year
        from fund_budget.monthly import settle_month
        from policy_rules.services import import_policy_pack

        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        with open(ROOT / "policy_rules" / "fixtures" / "demo-city-2026.json", encoding="utf-8") as fh:
            policy = import_policy_pack(json.load(fh))
        counts = generate(args, policy.pk)
        generated = time.perf_counter() - t0
        print(f"machine: {machine()}; {counts.pop('postgres')}")
        print(f"generated in {generated:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))

        months = []
        for m in range(1, 13):
            month = dt.date(YEAR, m, 1)
            cutoff = month_bounds(month)[1] + dt.timedelta(days=9, hours=5)
            start = time.perf_counter()
            run, created = settle_month(month, cutoff=cutoff)
            months.append(time.perf_counter() - start)
            print(f"settle_month {month:%Y-%m}: {months[-1]:6.2f} s  {run.statement_count} statements, "
                  f"fund {run.fund_total:,}")
        start = time.perf_counter()
        again, created = settle_month(dt.date(YEAR, 6, 1))
        rerun = time.perf_counter() - start
        assert not created
        start = time.perf_counter()
        first = clear_year(YEAR)
        clearing = time.perf_counter() - start
        start = time.perf_counter()
        second = clear_year(YEAR)
        clearing_again = time.perf_counter() - start
        assert second["updated"] == 0 and second["created"] == 0
        from fund_budget.monitoring import dashboard

        start = time.perf_counter()
        dashboard(YEAR, "310100", None, today=dt.date(YEAR, 12, 31))
        monitoring = time.perf_counter() - start
        print(f"settle_month: median {statistics.median(months):.2f} s, max {max(months):.2f} s, "
              f"June {months[5]:.2f} s; second run of a month {rerun * 1000:.0f} ms")
        print(f"clear_year {YEAR}: {clearing:.2f} s ({first['created']} reports); again {clearing_again:.2f} s "
              f"({second['unchanged']} unchanged); monitoring page data {monitoring:.2f} s")
        connection.close()
    finally:
        if not args.keep:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
