"""python manage.py run_dip_cases FILE... — run DIP case files through the database and compare.

Like run_cases: a test database is created for the run (and dropped after), and each file runs in a
transaction that is rolled back, so no file sees another's data. Last line: `dip: N/M match`, M being each
file's cases + institutions + 1 (the point value).
"""
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from casemix.cases import run_dip_case
from claims.errors import ServiceError
from policy_rules.engine.dip import DipInputError


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Run DIP case files (shared/spec/dip.md) through grouping, points and the DIP clearing; compare."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--keep-db", action="store_true", help="reuse the cases database between runs")

    def handle(self, *args, **options):
        docs = []
        for name in options["files"]:
            path = Path(name)
            try:
                docs.append((path, json.loads(path.read_text(encoding="utf-8"))))
            except FileNotFoundError as exc:
                raise CommandError(f"{name}: no such file") from exc
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise CommandError(f"{name}: malformed DIP case file: not valid JSON ({exc})") from exc
        old_name = connection.settings_dict["NAME"]
        test_settings = connection.settings_dict.setdefault("TEST", {})
        if connection.vendor != "sqlite":
            test_settings.setdefault("NAME", f"{old_name}_dip_cases")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False,
                                           keepdb=options["keep_db"])
        total = matching = 0
        failed_files = []
        try:
            for path, doc in docs:
                try:
                    result = self._run_one(doc)
                except (DipInputError, ServiceError, KeyError, TypeError, ValueError) as exc:
                    failed_files.append(path.name)
                    self.stderr.write(f"{path.name}: malformed DIP case file: {exc}")
                    continue
                total += result.total
                matching += result.matching
                self._report(path, result)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=options["keep_db"])
        self.stdout.write(f"dip: {matching}/{total} match")
        if failed_files:
            raise CommandError(f"malformed DIP case files: {', '.join(failed_files)}")
        if matching != total:
            raise CommandError(f"{total - matching} item(s) differ")

    def _run_one(self, doc):
        holder = {}
        try:
            with transaction.atomic():
                holder["result"] = run_dip_case(doc)
                raise _Rollback
        except _Rollback:
            pass
        return holder["result"]

    def _report(self, path, result):
        run = result.run
        self.stdout.write(f"== {path.name}  {result.title}  point value {run.point_value}  "
                          f"{result.matching}/{result.total} match")
        for d in result.differences:
            self.stdout.write(f"  DIFF {d.item} {d.field}: expected {d.expected} got {d.got}")
