"""The institution's API tokens in the portal: listed masked, issued (the key shown once, and it works on the
API), revoked (the key stops working; the revocation is recorded, not forgotten), another institution's 404."""
from __future__ import annotations

from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.models import ApiTokenEvent, TokenAction
from portal.services import issue_token
from tests.review.conftest import make_user


def api_status(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/suspect-items/").status_code


def test_issue_shows_the_key_once_and_it_works(world, as_user):
    client = as_user(world.hosp_a)
    response = client.post(reverse("portal:token-create"), {"username": "h1-his", "reason": "HIS 接口"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    token = Token.objects.get(user__username="h1-his")
    assert token.key in response.content.decode()
    assert token.user.institution_link.institution == world.inst_a and not token.user.has_usable_password()
    assert api_status(token.key) == 200
    event = ApiTokenEvent.objects.get()
    assert (event.action, event.actor, event.api_user, event.key_suffix, event.institution) == (
        TokenAction.ISSUED, world.hosp_a, token.user, token.key[-4:], world.inst_a)

    listing = client.get(reverse("portal:tokens")).content.decode()
    assert token.key not in listing and "h1-his" in listing and token.key[-4:] in listing


def test_issue_refuses_a_taken_name(world, as_user):
    response = as_user(world.hosp_a).post(reverse("portal:token-create"), {"username": world.hosp_b.username})
    assert response.status_code == 400 and "username" in response.context["form"].errors
    response = as_user(world.hosp_a).post(reverse("portal:token-create"), {"username": "bad name!"})
    assert response.status_code == 400 and "username" in response.context["form"].errors
    assert not Token.objects.exists() and not ApiTokenEvent.objects.exists()


def test_revoke_stops_the_key_and_is_recorded(world, as_user):
    token = issue_token(user=world.hosp_a, username="h1-his")
    key, api_user = token.key, token.user
    response = as_user(world.hosp_a).post(reverse("portal:token-revoke", args=[api_user.pk]), {"reason": "泄露"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:tokens")
    assert not Token.objects.filter(key=key).exists() and api_status(key) == 401
    revoked = ApiTokenEvent.objects.get(action=TokenAction.REVOKED)
    assert (revoked.actor, revoked.api_user, revoked.reason, revoked.key_suffix) == (
        world.hosp_a, api_user, "泄露", key[-4:])
    # the same API user may get a new token after the revocation
    again = as_user(world.hosp_a).post(reverse("portal:token-create"), {"username": "h1-his"})
    assert again.status_code == 200 and Token.objects.get(user=api_user).key != key


def test_another_institutions_token_is_not_ours_to_revoke(world, as_user):
    token = issue_token(user=world.hosp_b, username="h2-his")
    response = as_user(world.hosp_a).post(reverse("portal:token-revoke", args=[token.user.pk]))
    assert response.status_code == 404 and Token.objects.filter(key=token.key).exists()
    assert "h2-his" not in as_user(world.hosp_a).get(reverse("portal:tokens")).content.decode()


def test_token_pages_refuse_bureau_staff_and_anonymous(world, as_user):
    token = issue_token(user=world.hosp_a, username="h1-his")
    for url in (reverse("portal:token-create"), reverse("portal:token-revoke", args=[token.user.pk])):
        assert as_user(world.reviewer).post(url, {"username": "x"}).status_code == 403
        assert as_user(None).post(url, {"username": "x"}).status_code == 302
    assert Token.objects.count() == 1


def test_tokens_made_by_the_command_are_listed(world, as_user):
    """The management command's token (a user of the institution) is listed masked and may be revoked."""
    api_user = make_user("h1-cmd", institution=world.inst_a)
    key = Token.objects.create(user=api_user).key
    html = as_user(world.hosp_a).get(reverse("portal:tokens")).content.decode()
    assert "h1-cmd" in html and key not in html
