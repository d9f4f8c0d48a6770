import datetime

from django.core.management.base import BaseCommand, CommandError

from policy_rules.audit_library import DEFAULT_EFFECTIVE_FROM, load_default_rules


class Command(BaseCommand):
    help = "创建智能审核默认规则库(引擎 default_rules())；已存在的规则编码保持不变，可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--effective-from", default=DEFAULT_EFFECTIVE_FROM.isoformat(),
                            help="新建规则的生效日期 (YYYY-MM-DD)")
        parser.add_argument("--illustrative-codes", action="store_true",
                            help="使用引擎的示例项目编码，而不是按名称匹配数据库中的医保目录")

    def handle(self, *args, effective_from, illustrative_codes, **options):
        try:
            day = datetime.date.fromisoformat(effective_from)
        except ValueError as exc:
            raise CommandError(f"--effective-from: {exc}") from exc
        result = load_default_rules(effective_from=day, use_catalog=not illustrative_codes)
        self.stdout.write(f"created {len(result['created'])}, kept {len(result['kept'])}")
        for code in result["created"]:
            self.stdout.write(f"  + {code}")
