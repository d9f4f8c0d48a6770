from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from policy_rules.models import PolicyVersion
from policy_rules.services import PolicyPackError, import_policy_pack, load_policy_document


class Command(BaseCommand):
    help = "Import a policy pack (JSON, or YAML by the .yaml/.yml extension) as a policy version."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the policy pack")
        parser.add_argument("--draft", action="store_true", help="store it as a draft instead of activating it")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}: {exc}") from exc
        try:
            doc = load_policy_document(content, path.name)
            same = PolicyVersion.objects.filter(code=doc.get("code"), document=doc).first() if isinstance(doc, dict) else None
            if same is not None:
                self.stdout.write(f"政策包 {same.code} 已导入且内容相同，未作更改。")
                return
            version = import_policy_pack(doc, source_name=path.name, activate=not options["draft"])
        except PolicyPackError as exc:
            for error in exc.errors:
                self.stderr.write(f"{error['key']}: {error['message']}")
            raise CommandError(f"政策包 {path.name} 未导入：共 {len(exc.errors)} 处错误。") from exc
        self.stdout.write(
            self.style.SUCCESS(f"已导入政策包 {version.code} ({version.get_status_display()})，统筹区 {version.region}。")
        )
