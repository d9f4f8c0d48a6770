"""python manage.py run_cases FILE... — run case files end to end and compare to the fen.

Each file is loaded into an empty database: a test database is created for the run (and dropped
after), and each file runs in a transaction that is rolled back, so no file sees another's data.
"""
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from claims.cases import CaseFormatError, run_case
from claims.errors import ServiceError
from policy_rules.engine.adjudicate import LAYER_COLUMNS
from policy_rules.engine.cases import SETL_FIELDS
from policy_rules.engine.pack import PolicyPackError


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Run case files (shared/spec/case-format.md) through the platform and compare every field."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--keep-db", action="store_true", help="reuse the cases database between runs")

    def handle(self, *args, **options):
        files = options["files"]
        docs = []
        for name in files:
            path = Path(name)
            try:
                docs.append((path, json.loads(path.read_text(encoding="utf-8"))))
            except FileNotFoundError as exc:
                raise CommandError(f"{name}: no such file") from exc
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise CommandError(f"{name}: malformed case file: not valid JSON ({exc})") from exc
        old_name = connection.settings_dict["NAME"]
        test_settings = connection.settings_dict.setdefault("TEST", {})
        if connection.vendor != "sqlite":
            test_settings.setdefault("NAME", f"{old_name}_cases")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False,
                                           keepdb=options["keep_db"])
        try:
            total = matching = 0
            failed_files = []
            for path, doc in docs:
                try:
                    result = self._run_one(doc)
                except (CaseFormatError, PolicyPackError, ServiceError, KeyError, TypeError, ValueError) as exc:
                    failed_files.append(path.name)
                    self.stderr.write(f"{path.name}: malformed case file: {exc}")
                    continue
                total += len(result.visits)
                matching += result.matching
                self._report(path, result)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=options["keep_db"])
        self.stdout.write(f"cases: {matching}/{total} visits match")
        if failed_files:
            raise CommandError(f"malformed case files: {', '.join(failed_files)}")
        if matching != total:
            raise CommandError(f"{total - matching} visit(s) differ")

    def _run_one(self, doc):
        holder = {}
        try:
            with transaction.atomic():
                holder["result"] = run_case(doc)
                raise _Rollback
        except _Rollback:
            pass
        return holder["result"]

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
