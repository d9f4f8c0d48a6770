"""python manage.py import_grouping_table FILE --code C --region R --effective-from D [--kind dip|drg]
[--params PARAMS.json]

Imports a grouping table for a region, effective from a date: a DIP table (CSV or XLSX, casemix/importer.py) or,
with --kind drg, a CHS-DRG table (a JSON file, an XLSX workbook with the sheets mdc, adrg, cc, drg, or a directory
of mdc.csv, adrg.csv, cc.csv, drg.csv: casemix/drg_importer.py). With --params, also the year's parameters
({year, method (dip, drg_points, drg_rate), rate, low, high, coef {level: ratio}, budget}). Nothing is stored
when any row is bad: every error is printed with its file, row and column. A table whose code exists is kept.
"""
import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casemix.drg_importer import import_drg_table
from casemix.importer import import_grouping_table, set_year_parameters
from casemix.models import GroupingTable, TableKind
from claims.errors import ServiceError


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Import a DIP (CSV/XLSX) or DRG (JSON/XLSX/CSV directory) grouping table and optionally the year's parameters."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--code", required=True, help="the table's version code (unique)")
        parser.add_argument("--name", default="")
        parser.add_argument("--region", required=True, help="6-digit region code")
        parser.add_argument("--effective-from", required=True)
        parser.add_argument("--effective-to")
        parser.add_argument("--kind", choices=TableKind.values, default=TableKind.DIP,
                            help="dip (default) or drg (CHS-DRG: MDC, ADRG, CC/MCC, DRG)")
        parser.add_argument("--params", help="JSON file with the year's DIP parameters")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        try:
            with transaction.atomic():
                if GroupingTable.objects.filter(code=options["code"]).exists():
                    self.stdout.write(f"grouping table {options['code']} already imported; kept")
                else:
                    importer = import_drg_table if options["kind"] == TableKind.DRG else import_grouping_table
                    table = importer(
                        path, code=options["code"], name=options["name"] or options["code"], region=options["region"],
                        effective_from=_date(options["effective_from"]),
                        effective_to=_date(options["effective_to"]) if options["effective_to"] else None)
                    rows = (f"{table.drg_groups.count()} DRGs in {table.drg_mdcs.count()} MDCs"
                            if table.kind == TableKind.DRG else f"{table.groups.count()} groups")
                    self.stdout.write(f"grouping table {table.code}: {rows}")
                if options["params"]:
                    doc = json.loads(Path(options["params"]).read_text(encoding="utf-8"))
                    params = set_year_parameters(region=options["region"], year=int(doc["year"]), doc=doc,
                                                 reason=f"import_grouping_table {Path(options['params']).name}")
                    label = "DIP" if params.method == "dip" else f"DRG ({params.method})"
                    self.stdout.write(f"{label} parameters {params.region} {params.year}: "
                                      f"budget {params.budget}" + (f", rate {params.rate}" if params.rate else ""))
        except ServiceError as exc:
            for e in exc.errors:
                where = (f"{e['file']}{'[' + e['sheet'] + ']' if e.get('sheet') else ''} " if e.get("file") else "")
                where += f"row {e['line']} " if e.get("line") is not None else ""
                self.stderr.write(f"{where}{e['field']}: {e['code']} {e['message']}")
            raise CommandError(f"{path}: not imported ({len(exc.errors)} error(s))") from exc
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"{options['params']}: {exc}") from exc
