"""Create, or reset, the demo superuser and print how to log in. Development only: with DEBUG off it refuses,
because a superuser with a published password on a real deployment is an open door (docs/security.md)."""
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from config.stats import platform_counts

DEMO_USERNAME = "demo"
DEFAULT_PASSWORD = "demo12345"


class Command(BaseCommand):
    help = "(DEBUG=1 only) Create or reset the demo superuser 'demo' (password from DEMO_PASSWORD, default demo12345)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="Site address printed with the login."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("ensure_demo_user creates a superuser with a known password and runs only with "
                               "DEBUG=1 (development). On a deployment, create accounts with "
                               "`manage.py createsuperuser`.")
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        user_model = get_user_model()
        user, created = user_model._default_manager.get_or_create(
            **{user_model.USERNAME_FIELD: DEMO_USERNAME}
        )
        user.is_active = True
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()

        base = options["base_url"].rstrip("/")
        counts = ", ".join(f"{label} {value}" for label, value in platform_counts())
        lines = [
            "",
            "演示账号已创建 / Demo login created" if created else "演示账号已重置 / Demo login reset",
            f"  首页 / Site:        {base}/",
            f"  管理后台 / Admin:   {base}/admin/",
            f"  用户名 / Username:  {DEMO_USERNAME}",
            f"  密码 / Password:    {password}",
        ]
        if counts:
            lines.append(f"  数据 / Data:        {counts}")
        self.stdout.write("\n".join(lines) + "\n")
