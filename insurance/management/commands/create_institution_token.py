"""python manage.py create_institution_token FIXMEDINS_CODE USERNAME — an API token for an institution.

Creates the user when it does not exist (with no usable password: it signs in with the token only),
links it to the institution and prints the token key. Running it again prints the same token;
--rotate replaces it.
"""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from insurance.models import Institution, InstitutionUser


class Command(BaseCommand):
    help = "Create (or show) the provider API token of a user acting for one institution."

    def add_arguments(self, parser):
        parser.add_argument("fixmedins_code")
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="replace an existing token with a new one")

    def handle(self, *args, fixmedins_code, username, rotate=False, **options):
        institution = Institution.objects.filter(fixmedins_code=fixmedins_code).first()
        if institution is None:
            raise CommandError(f"定点医药机构 {fixmedins_code} 不存在 (unknown institution).")
        User = get_user_model()
        with transaction.atomic():
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username)
                user.set_unusable_password()
                user.save()
            link = InstitutionUser.objects.filter(user=user).first()
            if link is None:
                InstitutionUser.objects.create(user=user, institution=institution)
            elif link.institution_id != institution.pk:
                raise CommandError(
                    f"用户 {username} 已关联机构 {link.institution.fixmedins_code} "
                    f"(user already linked to another institution)."
                )
            if rotate:
                Token.objects.filter(user=user).delete()
            token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
