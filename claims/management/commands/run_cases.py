"""python manage.py run_cases FILE... — run case files end to end and compare to the fen.

Each file is loaded into an empty database: a test database is created for the run (and dropped
after), and each file runs in a transaction that is rolled back, so no file sees another's data.
"""

from django.core.management.base import BaseCommand, CommandError

from claims.cases import CaseFormatError, run_case
from claims.errors import ServiceError
from core.scratch import read_json_files, rolled_back, scratch_database
from policy_rules.engine.adjudicate import LAYER_COLUMNS
from policy_rules.engine.cases import SETL_FIELDS
from policy_rules.engine.pack import PolicyPackError


class Command(BaseCommand):
    help = "Run case files (shared/spec/case-format.md) through the platform and compare every field."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--keep-db", action="store_true", help="reuse the cases database between runs")

    def handle(self, *args, **options):
        docs = read_json_files(options["files"], "case file")
        total = matching = 0
        failed_files = []
        with scratch_database("cases", keepdb=options["keep_db"]):
            for path, doc in docs:
                try:
                    result = rolled_back(run_case, doc)
                except (CaseFormatError, PolicyPackError, ServiceError, KeyError, TypeError, ValueError) as exc:
                    failed_files.append(path.name)
                    self.stderr.write(f"{path.name}: malformed case file: {exc}")
                    continue
                total += len(result.visits)
                matching += result.matching
                self._report(path, result)
        self.stdout.write(f"cases: {matching}/{total} visits match")
        if failed_files:
            raise CommandError(f"malformed case files: {', '.join(failed_files)}")
        if matching != total:
            raise CommandError(f"{total - matching} visit(s) differ")

    def _report(self, path, result):
        self.stdout.write(f"== {path.name}  {result.title}")
        for d in result.differences:
            self.stdout.write(f"  DIFF {d.mdtrt_id} {d.field}: expected {d.expected} got {d.got}")
        shown = ("medfee_sumamt", "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay",
                 "acct_pay", "psn_cash_pay")
        assert set(shown) <= set(SETL_FIELDS)
        # the project's layers (docs/benefit-layers.md), where a visit of the file has one
        shown += tuple(f for f in LAYER_COLUMNS if any(getattr(s, f) for s in result.settlements.values()))
        header = f"  {'mdtrt_id':<10}{'':<4}" + "".join(f"{f[:13]:>14}" for f in shown)
        self.stdout.write(header)
        bad = {d.mdtrt_id for d in result.differences}
        for m in result.visits:
            s = result.settlements[m]
            mark = "DIFF" if m in bad else "ok"
            self.stdout.write(f"  {m:<10}{mark:<4}" + "".join(f"{getattr(s, f)!s:>14}" for f in shown))
