import argparse
import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from policy_rules.catalog_import import import_catalog


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期应为YYYY-MM-DD格式: {text}") from exc


class Command(BaseCommand):
    help = "Import catalog items from a CSV or XLSX file, effective from a date (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV or XLSX file")
        parser.add_argument("--effective-from", required=True, type=_date, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=["csv", "xlsx"], help="override the format the extension implies")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在: {path}")
        report = import_catalog(path, effective_from=options["effective_from"], fmt=options.get("format"))
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(f"目录未导入：共 {len(report.errors)} 处错误。")
        self.stdout.write(
            self.style.SUCCESS(f"已导入 {report.created} 条目录项目，关闭旧版本 {report.closed} 条。")
        )
