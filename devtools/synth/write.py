"""Writing the city to the default database: COPY with ids reserved from the sequences on PostgreSQL,
bulk_create on other databases (small sizes only); the demo policy pack when no active pack covers the days."""
from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from pathlib import Path

import pandas as pd
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from core.pgcopy import copy_in
from devtools.synth.days import day
from devtools.synth.reference import Reference, reference
from devtools.synth.rows import DAY_TABLES, REFERENCE_TABLES, day_tables, reference_tables
from devtools.synth.spec import CitySpec
from insurance.history import history_context
from policy_rules.models import PolicyVersion
from policy_rules.services import import_policy_pack


def reserve_ids(cursor, table: str, n: int) -> int:
    """Reserve n ids of a table's identity sequence; returns the first. Safe beside concurrent inserts."""
    cursor.execute(
        f"SELECT setval(s.seq, greatest((SELECT coalesce(max(id), 0) FROM {table}), "
        f"coalesce(pg_sequence_last_value(s.seq), 0)) + %s) "
        f"FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq) s", [max(n, 1), table])
    last = cursor.fetchone()[0]
    return last - max(n, 1) + 1


def write_city(spec: CitySpec, *, progress=None, analyze: bool = True) -> dict[str, int]:
    """Generate the city and write it to the default database; returns row counts by table."""
    say = progress or (lambda message: None)
    counts = dict.fromkeys(REFERENCE_TABLES + DAY_TABLES, 0)
    ref, ref_base, written = write_reference(spec)
    for t, n in written.items():
        counts[t] += n
    say(f"reference: {len(ref.institutions):,} institutions, {len(ref.persons):,} persons, "
        f"{len(ref.catalog):,} catalog items")
    for n, date in enumerate(spec.dates()):
        written = write_day(spec, ref, ref_base, n)
        for t, k in written.items():
            counts[t] += k
        say(f"{date}: {written['claims_visit']:,} visits, {written['claims_feeline']:,} fee lines, "
            f"{written['claims_upload']:,} uploads")
    if analyze:
        analyze_tables()
    return counts


def write_reference(spec: CitySpec) -> tuple[Reference, dict[str, int], dict[str, int]]:
    """Generate and write the institutions, persons (enrollments, accounts) and catalog in one transaction.

    Returns the reference frames, the first id of each table (what day rows point to) and row counts."""
    ref = reference(spec)
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        sizes = {"insurance_institution": len(ref.institutions), "insurance_person": len(ref.persons),
                 "insurance_enrollment": len(ref.persons), "insurance_personalaccount": len(ref.persons),
                 "policy_rules_catalogitem": len(ref.catalog)}
        ref_base = _reserve(sizes) if postgres else _next_ids(sizes)
        tables = reference_tables(ref, spec, ref_base, timezone.get_current_timezone(), timezone.now().isoformat())
        _write(tables, postgres, {"source": "synth_city", "seed": spec.seed})
    return ref, ref_base, {t: len(f) for t, f in tables.items()}


def write_day(spec: CitySpec, ref: Reference, ref_base: dict[str, int], n: int) -> dict[str, int]:
    """Generate and write day n of the city (its uploads, visits and fee lines) in one transaction."""
    postgres = connection.vendor == "postgresql"
    d = day(spec, ref, n)
    with transaction.atomic():
        sizes = {"claims_upload": len(d.uploads), "claims_visit": len(d.visits), "claims_feeline": len(d.lines)}
        base = _reserve(sizes) if postgres else _next_ids(sizes)
        tables = day_tables(d, base, ref_base, timezone.get_current_timezone())
        _write(tables, postgres, {"source": "synth_city", "seed": spec.seed, "day": d.date.isoformat()})
    return {t: len(f) for t, f in tables.items()}


def analyze_tables() -> None:
    """Fresh planner statistics for the tables the city was written to (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for t in REFERENCE_TABLES + DAY_TABLES:
                cursor.execute(f"ANALYZE {t}")


def _reserve(sizes: dict[str, int]) -> dict[str, int]:
    with connection.cursor() as cursor:
        return {t: reserve_ids(cursor, t, n) for t, n in sizes.items()}


def _next_ids(sizes: dict[str, int]) -> dict[str, int]:
    """Other databases: the next ids after the largest (the writer holds the only transaction)."""
    with connection.cursor() as cursor:
        out = {}
        for t in sizes:
            cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {t}")
            out[t] = cursor.fetchone()[0]
        return out


def _write(tables: dict[str, pd.DataFrame], postgres: bool, context: dict | None = None) -> None:
    if postgres:
        with connection.cursor() as cursor:
            history_context(cursor, **(context or {"source": "synth_city"}))
            for table, frame in tables.items():
                if len(frame):
                    copy_in(cursor, table, frame)
        return
    _bulk_create(tables)


def _bulk_create(tables: dict[str, pd.DataFrame]) -> None:
    """The fallback for SQLite and the like: the same rows through the ORM (meant for small cities)."""
    models = {m._meta.db_table: m for m in apps.get_models()}
    stamps: dict = {}
    for table, frame in tables.items():
        model = models[table]
        fields = {f.column: f for f in model._meta.concrete_fields}
        objs = []
        for rec in frame.to_dict("records"):
            values = {}
            for column, value in rec.items():
                f = fields[column]
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    value = None
                elif f.get_internal_type() == "DecimalField":
                    value = Decimal(str(value))
                elif f.get_internal_type() == "DateTimeField":
                    text = str(value)
                    value = dt.datetime.fromisoformat(text + ":00" if text.endswith("+00") else text)
                elif f.get_internal_type() == "DateField":
                    value = dt.date.fromisoformat(str(value))
                elif f.get_internal_type() == "JSONField":
                    value = json.loads(value) if isinstance(value, str) else value
                elif f.get_internal_type() == "BooleanField":
                    value = bool(value)
                elif hasattr(value, "item"):
                    value = value.item()
                values[f.attname] = value
            stamps[(table, values["id"])] = values
            objs.append(model(**values))
        model.objects.bulk_create(objs, batch_size=2000)
        # bulk_create stamps auto_now(_add) fields with the present time: put the city's times back
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
                by_value: dict = {}
                for obj in objs:
                    by_value.setdefault(stamps[(table, obj.pk)][f.attname], []).append(obj.pk)
                for value, pks in by_value.items():
                    model.objects.filter(pk__in=pks).update(**{f.attname: value})


def ensure_policy(dates: list[dt.date], region: str, stdout=None) -> str | None:
    """Import the demo policy pack unless an active pack of the region covers every day; returns its code."""
    active = PolicyVersion.objects.active().filter(region=region)
    if all(active.covering(d).exists() for d in dates):
        return None
    path = Path(apps.get_app_config("policy_rules").path) / "fixtures" / "demo-city-2026.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc["region"] != region or PolicyVersion.objects.filter(code=doc["code"]).exists():
        if stdout:
            stdout.write(f"warning: no active policy pack of region {region} covers every day; visits outside "
                         f"one will be held by the daily job")
        return None
    version = import_policy_pack(doc, source_name=path.name)
    uncovered = [d for d in dates if not active.covering(d).exists()]
    if uncovered and stdout:
        stdout.write(f"warning: the demo policy pack {version.code} does not cover {uncovered[0]}"
                     f"{' …' if len(uncovered) > 1 else ''}; those visits will be held by the daily job")
    return version.code
