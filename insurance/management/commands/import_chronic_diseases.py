"""python manage.py import_chronic_diseases [FILE.json] — the 门慢特 disease list (insurance.ChronicDisease).

FILE: a JSON list of {code, name, icd10_prefixes, institution_required, validity_months}; without it, the
demo list (insurance/fixtures/chronic-diseases-demo.json). A known code is updated; a bad row stops the import.
"""
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from insurance.chronic_services import DEMO_DISEASES, import_chronic_diseases


class Command(BaseCommand):
    help = "Import the 门慢特 (chronic and special disease) list."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEMO_DISEASES))

    def handle(self, *args, path, **options):
        try:
            rows = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise CommandError(f"{path}: a JSON list of objects is expected.")
        try:
            n = import_chronic_diseases(rows)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"chronic diseases: {n} imported")
