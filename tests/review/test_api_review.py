"""The institution's API for its suspect items: token auth, own items only (404 for others'), filter by
state, and the appeal, with the API's one error shape."""
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from review import services as review
from review.models import Appeal, SuspectState

from .conftest import token_client

URL = "/api/v1/suspect-items/"


@pytest.fixture
def api(world):
    world.client_a = token_client(world.hosp_a)
    world.client_b = token_client(world.hosp_b)
    return world


def errors(response, status):
    assert response.status_code == status, response.content
    errs = response.json()["errors"]
    assert errs and all(set(e) == {"line", "field", "code", "message"} for e in errs)
    return errs


def test_list_shows_own_items_but_not_dismissed_or_others(api):
    pending = api.item()
    confirmed = api.confirmed(amount="30.00")
    review.dismiss_item(api.item(), user=api.reviewer, reason="无问题")
    api.item(settlement=api.settled_visit(institution=api.inst_b))
    response = api.client_a.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {r["id"] for r in body["results"]} == {pending.pk, confirmed.pk}
    assert {r["fixmedins_code"] for r in body["results"]} == {"H41080000001"}


def test_filter_by_state(api):
    api.item()
    confirmed = api.confirmed()
    body = api.client_a.get(URL, {"state": "confirmed"}).json()
    assert [r["id"] for r in body["results"]] == [confirmed.pk]
    assert api.client_a.get(URL, {"state": "pending"}).json()["count"] == 1
    errors(api.client_a.get(URL, {"state": "dismissed"}), 400)


def test_detail_shows_rule_hits_amounts_and_deadline(api):
    item = api.confirmed(amount="30.00")
    body = api.client_a.get(f"{URL}{item.pk}/").json()
    assert body["mdtrt_id"] == item.visit.mdtrt_id and body["setl_id"] == item.settlement.setl_id
    assert (body["rule_code"], body["rule_type"], body["state"]) == ("DUP-01", "duplicate_charge", "confirmed")
    assert body["amount_at_stake"] == "50.00" and body["confirmed_amount"] == "30.00"
    assert body["review_reason"] == "同日重复收费属实" and body["appeal"] is None
    assert body["appeal_deadline"] is not None
    assert body["hits"] == [{"feedetl_sns": ["2", "3"], "amount": "50.00", "evidence": "同日重复收取血常规 2 次",
                             "related_mdtrt_id": ""}]
    assert "confirmed_by" not in body  # the reviewer's identity stays with the bureau


def test_another_institutions_item_is_404(api):
    item = api.confirmed()
    errors(api.client_b.get(f"{URL}{item.pk}/"), 404)
    errors(api.client_b.post(f"{URL}{item.pk}/appeal/", {"explanation": "不认可"}, format="json"), 404)
    assert not Appeal.objects.exists()
    dismissed = review.dismiss_item(api.item(), user=api.reviewer, reason="无问题")
    errors(api.client_a.get(f"{URL}{dismissed.pk}/"), 404)


def test_appeal_over_the_api(api):
    item = api.confirmed()
    response = api.client_a.post(f"{URL}{item.pk}/appeal/", {"explanation": "第二次为复查，有医嘱"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "appealed"
    assert body["appeal"]["state"] == "filed" and body["appeal"]["explanation"] == "第二次为复查，有医嘱"
    appeal = Appeal.objects.get(item=item)
    assert appeal.filed_by == api.hosp_a
    item.refresh_from_db()
    assert item.state == SuspectState.APPEALED


def test_appeal_errors_have_the_one_error_shape(api):
    item = api.confirmed()
    [err] = errors(api.client_a.post(f"{URL}{item.pk}/appeal/", {"explanation": "  "}, format="json"), 400)
    assert (err["field"], err["code"]) == ("explanation", "REQUIRED")
    [err] = errors(api.client_a.post(f"{URL}{item.pk}/appeal/", {}, format="json"), 400)
    assert err["field"] == "explanation"
    pending = api.item()
    [err] = errors(api.client_a.post(f"{URL}{pending.pk}/appeal/", {"explanation": "不认可"}, format="json"), 400)
    assert err["code"] == "NOT_CONFIRMED"
    api.client_a.post(f"{URL}{item.pk}/appeal/", {"explanation": "有医嘱"}, format="json")
    [err] = errors(api.client_a.post(f"{URL}{item.pk}/appeal/", {"explanation": "再次"}, format="json"), 400)
    assert err["code"] == "ALREADY_APPEALED"
    assert Appeal.objects.count() == 1


def test_authentication_and_institution_link_are_required(api):
    item = api.item()
    errors(APIClient().get(URL), 401)
    loner = APIClient()
    loner.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=api.reviewer).key}")
    errors(loner.get(URL), 403)  # bureau staff use the review pages, not the institution API
    errors(loner.post(f"{URL}{item.pk}/appeal/", {"explanation": "x"}, format="json"), 403)
