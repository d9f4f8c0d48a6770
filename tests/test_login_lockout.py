"""Sign-in lockout (django-axes, docs/security.md): after AXES_FAILURE_LIMIT (5) wrong passwords a user name is
refused, with the right password too, and so is an address
from which AXES_FAILURE_LIMIT sign-ins failed, on the site's sign-in page and the admin's alike, with a page in the
user's language; a success before the limit clears the count; the other backends (django-rules' object
permissions, the model backend) still decide what a signed-in user may do."""
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import resolve_url
from django.urls import reverse

from claims.roles import ensure_roles
from tests.factories import UserFactory

PASSWORD = "pw-12345678"
LIMIT = settings.AXES_FAILURE_LIMIT


def sign_in(client, username, password, url=None, **headers):
    return client.post(url or reverse("login"), {"username": username, "password": password}, **headers)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def caseworker(db):
    ensure_roles()
    return UserFactory(username="jingban", password=PASSWORD, roles=["caseworker"])


def test_the_limit_is_five_and_the_lock_lasts_thirty_minutes():
    assert LIMIT == 5 and settings.AXES_COOLOFF_TIME == 0.5
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_wrong_passwords_lock_the_user_name_even_for_the_right_password(client, caseworker):
    for _ in range(LIMIT - 1):
        response = sign_in(client, "jingban", "wrong")
        assert response.status_code == 200 and "用户名或密码错误" in response.content.decode()
    locked = sign_in(client, "jingban", "wrong")
    assert locked.status_code == 429
    again = sign_in(client, "jingban", PASSWORD)
    assert again.status_code == 429 and not signed_in(client)
    page = again.content.decode()
    assert "登录失败次数过多" in page and "30" in page
    assert AccessAttempt.objects.get(username="jingban").failures_since_start == LIMIT + 1


def test_the_admin_sign_in_shares_the_count(client, db):
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    admin_login = reverse("admin:login")
    for _ in range(LIMIT - 2):
        sign_in(client, "root", "wrong", url=admin_login)
    sign_in(client, "root", "wrong")  # the site's page
    assert sign_in(client, "root", "wrong", url=admin_login).status_code == 429
    assert sign_in(client, "root", PASSWORD, url=admin_login).status_code == 429 and not signed_in(client)


def test_the_lockout_page_in_english(client, caseworker):
    for _ in range(LIMIT):
        sign_in(client, "jingban", "wrong")
    page = sign_in(client, "jingban", PASSWORD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Too many failed sign-ins for this user name (5). Try again in 30 minutes" in page


def test_a_lock_is_per_user_name_and_a_success_clears_the_count(client, caseworker):
    UserFactory(username="shenhe", password=PASSWORD, roles=["reviewer"])
    for _ in range(LIMIT):
        sign_in(client, "shenhe", "wrong", REMOTE_ADDR="10.0.0.1")
    assert sign_in(client, "shenhe", PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 429  # from anywhere
    for _ in range(LIMIT - 1):
        sign_in(client, "jingban", "wrong", REMOTE_ADDR="10.0.0.3")
    assert sign_in(client, "jingban", PASSWORD, REMOTE_ADDR="10.0.0.3").status_code == 302 and signed_in(client)
    client.logout()
    for _ in range(LIMIT - 1):
        sign_in(client, "jingban", "wrong", REMOTE_ADDR="10.0.0.3")
    # the earlier failures were cleared
    assert sign_in(client, "jingban", PASSWORD, REMOTE_ADDR="10.0.0.3").status_code == 302


def test_many_user_names_tried_from_one_address_lock_that_address(client, caseworker):
    for n in range(LIMIT):
        sign_in(client, f"guess{n}", "123456", REMOTE_ADDR="10.6.6.6")
    assert sign_in(client, "jingban", PASSWORD, REMOTE_ADDR="10.6.6.6").status_code == 429
    assert sign_in(client, "jingban", PASSWORD, REMOTE_ADDR="10.0.0.9").status_code == 302  # not elsewhere


def test_a_signed_in_user_keeps_the_permissions_of_rules_and_groups(client, caseworker):
    response = sign_in(client, "jingban", PASSWORD)
    assert response.status_code == 302 and response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)
    assert caseworker.has_perm("claims.view_review")  # django-rules
    assert caseworker.has_perm("claims.see_certno")
    assert not caseworker.has_perm("claims.decide_appeal")
    assert client.get(reverse("workspace:dashboard")).status_code == 200
