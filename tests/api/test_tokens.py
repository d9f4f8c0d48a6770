"""create_institution_token: a user linked to one institution, and its token that opens the API."""
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from insurance.models import InstitutionUser

from .base import APITestBase, token_client


def run(*args) -> str:
    out = io.StringIO()
    call_command("create_institution_token", *args, stdout=out)
    return out.getvalue().strip()


class CreateInstitutionTokenTests(APITestBase):
    def test_creates_user_link_and_token_that_opens_the_api(self):
        key = run("H41080000002", "zyy_his")
        user = get_user_model().objects.get(username="zyy_his")
        assert not user.has_usable_password()
        assert InstitutionUser.objects.get(user=user).institution == self.w.inst_b
        assert Token.objects.get(user=user).key == key and len(key) == 40
        client = token_client(Token.objects.get(key=key))
        assert client.get("/api/v1/visits/").status_code == 200

    def test_running_again_prints_the_same_token_and_rotate_replaces_it(self):
        key = run("H41080000002", "zyy_his")
        assert run("H41080000002", "zyy_his") == key
        new = run("H41080000002", "zyy_his", "--rotate")
        assert new != key and not Token.objects.filter(key=key).exists()

    def test_links_an_existing_user(self):
        user = get_user_model().objects.create_user(username="existing")
        run("H41080000001", "existing")
        assert user.institution_link.institution == self.w.inst_a

    def test_refuses_unknown_institution_and_a_user_of_another_institution(self):
        with pytest.raises(CommandError, match="H41089999999"):
            run("H41089999999", "someone")
        assert not get_user_model().objects.filter(username="someone").exists()
        with pytest.raises(CommandError, match="H41080000001"):
            run("H41080000002", "h1_clerk")
        assert self.w.user_a.institution_link.institution == self.w.inst_a
