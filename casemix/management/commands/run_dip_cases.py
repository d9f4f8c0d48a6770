"""python manage.py run_dip_cases FILE... — run DIP case files through the database and compare.

Like run_cases: a test database is created for the run (and dropped after), and each file runs in a
transaction that is rolled back, so no file sees another's data. Last line: `dip: N/M match`, M being each
file's cases + institutions + 1 (the point value).
"""

from django.core.management.base import BaseCommand, CommandError

from casemix.cases import run_dip_case
from claims.errors import ServiceError
from core.scratch import read_json_files, rolled_back, scratch_database
from policy_rules.engine.dip import DipInputError


class Command(BaseCommand):
    help = "Run DIP case files (shared/spec/dip.md) through grouping, points and the DIP clearing; compare."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--keep-db", action="store_true", help="reuse the cases database between runs")

    def handle(self, *args, **options):
        docs = read_json_files(options["files"], "DIP case file")
        total = matching = 0
        failed_files = []
        with scratch_database("dip_cases", keepdb=options["keep_db"]):
            for path, doc in docs:
                try:
                    result = rolled_back(run_dip_case, doc)
                except (DipInputError, ServiceError, KeyError, TypeError, ValueError) as exc:
                    failed_files.append(path.name)
                    self.stderr.write(f"{path.name}: malformed DIP case file: {exc}")
                    continue
                total += result.total
                matching += result.matching
                self._report(path, result)
        self.stdout.write(f"dip: {matching}/{total} match")
        if failed_files:
            raise CommandError(f"malformed DIP case files: {', '.join(failed_files)}")
        if matching != total:
            raise CommandError(f"{total - matching} item(s) differ")

    def _report(self, path, result):
        run = result.run
        self.stdout.write(f"== {path.name}  {result.title}  point value {run.point_value}  "
                          f"{result.matching}/{result.total} match")
        for d in result.differences:
            self.stdout.write(f"  DIFF {d.item} {d.field}: expected {d.expected} got {d.got}")
