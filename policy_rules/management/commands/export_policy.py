from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from policy_rules.models import PolicyVersion
from policy_rules.services import dump_policy_document, export_policy_pack


class Command(BaseCommand):
    help = "Export a policy version as the pack it was imported from (JSON, or YAML by -o's extension)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="policy pack code")
        parser.add_argument("-o", "--output", help="write to this file instead of standard output")

    def handle(self, *args, **options):
        try:
            version = PolicyVersion.objects.get(code=options["code"])
        except PolicyVersion.DoesNotExist as exc:
            raise CommandError(f"政策包 {options['code']} 不存在。") from exc
        output = options.get("output")
        text = dump_policy_document(export_policy_pack(version), output or "")
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"已导出到 {output}"))
        else:
            self.stdout.write(text, ending="")
