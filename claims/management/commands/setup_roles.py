from django.core.management.base import BaseCommand, no_translations

from claims.roles import ROLE_LABELS, ensure_roles


class Command(BaseCommand):
    help = "创建智能审核的四个角色(用户组)及其模型权限：经办人员、审核员、申诉复核员、稽核主管；以及用户管理员组。可重复执行。"

    @no_translations  # the role labels as written in claims.roles (Chinese), whatever language is active
    def handle(self, *args, **options):
        for role, group in ensure_roles().items():
            self.stdout.write(f"{role} ({ROLE_LABELS[role]}): {group.permissions.count()} permissions")
