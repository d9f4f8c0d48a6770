"""Institution statistics benchmark (issue #7): the outlier rules' statistics on the request path at a busy hospital.

Every upload warning, pre-settlement and settlement audits its visit against the institution's mean cost per
visit over the 90 days before the day (claims.audit.pipeline.day_stats). This takes a scratch copy of the growth
benchmark's 10M-line history (bench/growth_bench.py builds and caches it), moves every settlement of the 90
days before the history's last day to one institution (its busiest), as if it were a large tertiary hospital,
and times:

  1. the read every request made before the statistics were kept: the institution's 90 days averaged
     (claims.audit.pipeline.institution_stats, from the window's start on);
  2. the day's first request now: the same read, kept as the day's InstitutionAuditStats row;
  3. every later request that day: the kept row.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibao .venv/bin/python bench/stats_bench.py
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import growth_bench  # noqa: E402
import support  # noqa: E402


def timed_ms(f, k: int) -> list[float]:
    out = []
    for _ in range(k):
        t0 = time.perf_counter()
        f()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="10M", help="the growth history to copy (default 10M)")
    parser.add_argument("--database", default="yibao_bench_stats")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print("reproduce:", support.reproduce("bench/stats_bench.py", sys.argv[1:]))
    lines = growth_bench.parse_size(args.size)
    per_day = 33_333
    history = growth_bench.growth_city(lines=lines, persons=1_000_000, institutions=2_000, per_day=per_day, days=30,
                                       seed=20260316, start=dt.date(2026, 2, 14))
    with support.scratch_database(args.database, keep=args.keep, template=history) as url:
        support.manage(url, "migrate", "--noinput")
        support.setup_django(url)
        from django.db import connection
        from django.db.models import Count
        from django.utils import timezone

        from claims.audit.pipeline import HISTORY_DAYS, day_stats, institution_stats
        from claims.models import InstitutionAuditStats, Settlement
        from core.periods import day_start
        from insurance.models import Institution

        with connection.cursor() as cursor:
            print("machine:", support.machine(cursor))
        last = Settlement.objects.order_by("-setl_time").values_list("setl_time", flat=True)[0]
        day = timezone.localtime(last).date()
        start = day_start(day) - dt.timedelta(days=HISTORY_DAYS)
        window = Settlement.objects.filter(setl_time__gte=start, setl_time__lt=day_start(day))
        busiest = (window.values("institution").annotate(n=Count("pk")).order_by("-n").first())["institution"]
        inst = Institution.objects.get(pk=busiest)
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")  # no history events for the move
            cursor.execute("UPDATE claims_settlement SET institution_id = %s WHERE setl_time >= %s",
                           [inst.pk, start])
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("VACUUM ANALYZE claims_settlement")
        n = window.filter(institution=inst).count()
        print(f"history {args.size} ({history}); day {day}: {n:,} settlements of {inst.fixmedins_code} in the "
              f"{HISTORY_DAYS} days before it")
        before = timed_ms(lambda: institution_stats(last - dt.timedelta(days=HISTORY_DAYS), institutions={inst.pk}),
                          5)
        print("before, every request (the window averaged):", ", ".join(f"{x:.1f}" for x in before), "ms")
        InstitutionAuditStats.objects.filter(day=day).delete()
        first = timed_ms(lambda: day_stats(day, {inst.pk: inst.fixmedins_code}), 1)[0]
        print(f"now, the day's first request (the window averaged and kept): {first:.1f} ms")
        kept = timed_ms(lambda: day_stats(day, {inst.pk: inst.fixmedins_code}), args.repeat)
        print(f"now, every later request that day (the kept row): median {statistics.median(kept):.2f} ms, "
              f"max {max(kept):.2f} ms over {args.repeat}")
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
