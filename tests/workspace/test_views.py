"""The caseworker workspace: every page for every role, the 403s, and the verbs through the services."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fund_budget.models import AuditDeduction
from review import services as review
from review.models import AppealState, ReviewEvent, SuspectState
from tests.factories import PersonFactory

from .conftest import settled_today

D = Decimal
ROLES = ["caseworker", "reviewer", "appeal_reviewer", "supervisor"]


@pytest.fixture
def data(world):
    """One pending item today, one appealed item, and a person with a certno."""
    pending = world.item(settlement=settled_today(world, "P9001"))
    appealed = world.appealed()
    person = pending.visit.person
    person.certno = "410802197005010013"
    person.save()
    return {"pending": pending, "appealed": appealed, "person": person}


def pages(world, data):
    pending, appeal = data["pending"], data["appealed"]
    return [
        reverse("workspace:dashboard"),
        reverse("workspace:dashboard") + "?date=2026-03-10",
        reverse("workspace:queue"),
        reverse("workspace:queue") + f"?state=&institution={world.inst_a.pk}&rule={world.dup_rule.pk}"
                                     "&min_amount=1&max_amount=100&min_age=0&max_age=30&sort=-amount_at_stake",
        reverse("workspace:item", args=[pending.pk]),
        reverse("workspace:item", args=[appeal.item_id]),
        reverse("workspace:appeals"),
        reverse("workspace:appeals") + "?state=",
        reverse("workspace:appeal", args=[appeal.pk]),
        reverse("workspace:person", args=[data["person"].psn_no]),
        reverse("workspace:institution", args=[world.inst_a.fixmedins_code]),
        reverse("workspace:search") + "?q=P9001",
        reverse("workspace:search") + "?q=" + world.inst_a.name[:3],
        reverse("workspace:search") + "?q=" + pending.visit.mdtrt_id,
        reverse("workspace:search"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_for_each_bureau_role(world, data, login, role):
    client = login(getattr(world, role))
    for url in pages(world, data):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_superuser_sees_every_page(world, data, login, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="pw-12345678")
    client = login(admin)
    for url in pages(world, data):
        assert client.get(url).status_code == 200, url


def test_anonymous_is_sent_to_login(world, data, client):
    for url in pages(world, data):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_login_page_and_redirect(world, client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()
    response = client.post(reverse("login"), {"username": "jingban", "password": "pw-12345678"})
    assert response.status_code == 302 and response["Location"] == "/start/"
    assert client.get("/start/")["Location"] == "/ws/"  # bureau staff land in the workspace


def test_users_without_a_bureau_role_get_403(world, data, login):
    for user in (world.nobody, world.hosp_a):
        client = login(user)
        for url in pages(world, data):
            assert client.get(url).status_code == 403, (user, url)


def test_queue_is_scoped_and_filtered(world, data, login):
    client = login(world.caseworker)
    body = client.get(reverse("workspace:queue")).content.decode()
    assert f'href="/ws/items/{data["pending"].pk}/?state=pending"' in body  # the link carries its queue
    assert f'href="/ws/items/{data["appealed"].item_id}/?' not in body  # not pending
    body = client.get(reverse("workspace:queue") + "?state=&min_amount=60").content.decode()
    assert f'href="/ws/items/{data["pending"].pk}/?' not in body


def test_certno_masked_unless_the_role_may_see_it(world, data, login):
    url = reverse("workspace:item", args=[data["pending"].pk])
    assert "410802197005010013" in login(world.caseworker).get(url).content.decode()
    body = login(world.reviewer).get(url).content.decode()
    assert "410802197005010013" not in body and "410802********0013" in body


def test_item_page_shows_breakdown_lines_evidence_and_trail(world, data, login):
    item = data["pending"]
    body = login(world.supervisor).get(reverse("workspace:item", args=[item.pk])).content.decode()
    s = item.settlement
    for amount in (s.medfee_sumamt, s.hifp_pay, s.act_pay_dedc, s.psn_part_amt, s.psn_cash_pay):
        assert f"{amount:,.2f}" in body  # money on the page: two decimals, thousands separators
    assert "同日重复收取血常规" in body  # evidence
    assert "生成疑点" in body  # trail: opened
    assert "250101001" in body  # the visit's lines


def test_caseworker_cannot_confirm_or_dismiss(world, data, login):
    item = data["pending"]
    client = login(world.caseworker)
    r = client.post(reverse("workspace:item-confirm", args=[item.pk]), {"amount": "10.00", "reason": "x"})
    assert r.status_code == 403
    r = client.post(reverse("workspace:item-dismiss", args=[item.pk]), {"reason": "x"})
    assert r.status_code == 403
    item.refresh_from_db()
    assert item.state == SuspectState.PENDING


def test_reviewer_confirms_through_the_service(world, data, login):
    item = data["pending"]
    client = login(world.reviewer)
    url = reverse("workspace:item-confirm", args=[item.pk])
    assert client.post(url, {"amount": "60.00", "reason": "多收"}).status_code == 400  # above at stake
    assert client.post(url, {"amount": "20.00", "reason": ""}).status_code == 400  # reason required
    r = client.post(url, {"amount": "20.00", "reason": "同日重复收费属实"})
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.state == SuspectState.CONFIRMED and item.confirmed_amount == D("20.00")
    assert item.confirmed_by == world.reviewer
    assert AuditDeduction.objects.get(pk=item.deduction_id).amount == D("20.00")
    assert ReviewEvent.objects.filter(item=item, action="confirmed").exists()
    body = client.get(reverse("workspace:item", args=[item.pk])).content.decode()
    assert "同日重复收费属实" in body and 'id="deduction"' in body
    # a second confirmation is refused by the service and shown
    assert client.post(url, {"amount": "10.00", "reason": "again"}).status_code == 400


def test_htmx_confirm_errors_come_back_as_the_actions_fragment(world, data, login):
    item = data["pending"]
    client = login(world.reviewer)
    r = client.post(reverse("workspace:item-confirm", args=[item.pk]), {"amount": "999", "reason": "x"},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'id="item-actions"' in r.content.decode() and "<html" not in r.content.decode()
    r = client.post(reverse("workspace:item-confirm", args=[item.pk]), {"amount": "10", "reason": "属实"},
                    HTTP_HX_REQUEST="true")
    # the next open item of the (default) queue: the only other pending item is gone, so the queue itself
    assert r.status_code == 200 and r["HX-Redirect"] == reverse("workspace:queue") + "?state=pending"


def test_reviewer_dismisses_through_the_service(world, data, login):
    item = data["pending"]
    r = login(world.reviewer).post(reverse("workspace:item-dismiss", args=[item.pk]), {"reason": "有医嘱"})
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.state == SuspectState.DISMISSED
    assert ReviewEvent.objects.filter(item=item, action="dismissed").exists()


def test_reviewer_cannot_decide_appeals(world, data, login):
    appeal = data["appealed"]
    r = login(world.reviewer2).post(reverse("workspace:appeal-decide", args=[appeal.pk]),
                                    {"decision": "reversed", "reason": "x"})
    assert r.status_code == 403
    appeal.refresh_from_db()
    assert appeal.state == AppealState.FILED


def test_four_eyes_the_confirming_reviewer_cannot_decide(world, data, login):
    # the reviewer who confirmed the item is also an appeal reviewer: the service refuses and we show why
    confirmer = world.reviewer
    confirmer.groups.add(world.groups["appeal_reviewer"])
    appeal = data["appealed"]
    assert appeal.item.confirmed_by == confirmer
    client = login(confirmer)
    body = client.get(reverse("workspace:appeal", args=[appeal.pk])).content.decode()
    assert "四眼原则" in body
    r = client.post(reverse("workspace:appeal-decide", args=[appeal.pk]), {"decision": "reversed", "reason": "x"})
    assert r.status_code == 403
    assert "四眼原则" in r.content.decode()
    appeal.refresh_from_db()
    assert appeal.state == AppealState.FILED


def test_appeal_reviewer_reverses_through_the_service(world, data, login):
    appeal = data["appealed"]
    client = login(world.appeal_reviewer)
    url = reverse("workspace:appeal-decide", args=[appeal.pk])
    assert client.post(url, {"decision": "reversed", "reason": ""}).status_code == 400
    r = client.post(url, {"decision": "reversed", "reason": "复查有医嘱，扣款撤销"})
    assert r.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == AppealState.REVERSED and appeal.decided_by == world.appeal_reviewer
    item = appeal.item
    item.refresh_from_db()
    assert item.state == SuspectState.REVERSED
    assert AuditDeduction.objects.get(pk=item.deduction_id).reversed_at is not None
    body = client.get(reverse("workspace:item", args=[item.pk])).content.decode()
    assert "复查有医嘱，扣款撤销" in body


def test_appeal_reviewer_upholds(world, data, login):
    appeal = data["appealed"]
    login(world.appeal_reviewer).post(reverse("workspace:appeal-decide", args=[appeal.pk]),
                                      {"decision": "upheld", "reason": "维持"})
    appeal.refresh_from_db()
    assert appeal.state == AppealState.UPHELD


def test_dashboard_counts_the_business_day(world, data, login):
    client = login(world.supervisor)
    r = client.get(reverse("workspace:dashboard"))
    ctx = r.context
    assert ctx["day"] == timezone.localdate()  # the latest day with data: today's settlement
    assert ctx["settled_visits"] == 1 and ctx["uploads"] >= 1 and ctx["new_items"] == 1
    assert ctx["fund_total"] == data["pending"].settlement.fund_pay_sumamt
    assert any(h["rule_code"] == "DUP-01" for h in ctx["hits"])
    # the appealed item's settlement is of 2026-03-10: its item and hit count there, though recorded today
    r = client.get(reverse("workspace:dashboard") + "?date=2026-03-10")
    assert r.context["settled_visits"] == 1 and r.context["new_items"] == 1
    assert [h["rule_code"] for h in r.context["hits"]] == ["DUP-01"]


def test_dashboard_money_has_two_decimals_and_thousands_separators(world, data, login):
    r = login(world.supervisor).get(reverse("workspace:dashboard"))
    fund_total = r.context["fund_total"]
    shown = f"{fund_total.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    assert fund_total > 0 and f"<dd>{shown}</dd>" in r.content.decode()


def test_institution_page_shows_the_hits_and_items_of_its_year(world, data, login):
    url = reverse("workspace:institution", args=[world.inst_a.fixmedins_code])
    client = login(world.supervisor)
    year = data["pending"].created_at.astimezone().year
    r = client.get(url, {"year": year})
    assert sum(h["n"] for h in r.context["hit_counts"]) > 0
    assert sum(row["n"] for row in r.context["item_counts"]) > 0
    assert f"{year}" in r.content.decode()
    r = client.get(url, {"year": year - 1})
    assert list(r.context["hit_counts"]) == [] and list(r.context["item_counts"]) == []
    assert r.context["hit_table"].paginator.count == 0


def test_institution_page_numbers(world, data, login):
    # a second admission of P9001 within 15 days of the first discharge at the same hospital
    review.confirm_item(data["pending"], user=world.reviewer, amount=D("10.00"), reason="属实")
    r = login(world.supervisor).get(reverse("workspace:institution", args=[world.inst_a.fixmedins_code]))
    stats = r.context["stats"]
    assert stats["settlements"] == 2 and stats["admissions"] == 2
    assert stats["avg_cost"] == D("2480.00")
    assert stats["avg_stay"] is not None
    assert r.context["deduction_totals"]["n"] == 2


def test_search_names_by_start_when_short_and_anywhere_from_three_characters(world, login):
    for name in ("王伟", "王伟明", "李王伟", "张王伟明"):
        PersonFactory(name=name)
    client = login(world.caseworker)

    def found(q):
        r = client.get(reverse("workspace:search"), {"q": q})
        assert r.status_code == 200
        return sorted(p.name for p in r.context["person_table"].data)

    assert found("王伟") == ["王伟", "王伟明"]  # two characters: names starting with them
    assert found("王伟明") == ["张王伟明", "王伟明"]  # three: anywhere in the name
    assert found("李王伟") == ["李王伟"]
    # a query with a digit is a code, never looked for inside names
    PersonFactory(name="测试9号")
    assert found("9号") == []


def test_person_page_accumulators(world, data, login):
    r = login(world.caseworker).get(reverse("workspace:person", args=["P9001"]))
    assert r.status_code == 200
    assert len(r.context["accumulators"]) > 0
    assert "410802197005010013" in r.content.decode()


def test_search_by_certno_is_exact(world, data, login):
    client = login(world.caseworker)
    # an ID number is POSTed from the search box (never in a URL: tests below)
    r = client.post(reverse("workspace:search"), {"q": "410802197005010013"}, follow=True)
    assert r.context["person_table"].paginator.count == 1
    r = client.get(reverse("workspace:search") + "?q=4108021970")
    assert r.context["person_table"].paginator.count == 0
    r = client.get(reverse("workspace:search") + "?q=" + world.inst_a.fixmedins_code)
    assert r.context["institution_table"].paginator.count == 1


def test_the_search_box_posts_and_no_url_carries_the_query(world, data, login):
    client = login(world.caseworker)
    page = client.get(reverse("workspace:dashboard")).content.decode()
    assert 'class="ws-search" action="/ws/search/" method="post"' in page
    r = client.post(reverse("workspace:search"), {"q": "410802197005010013"})
    assert r.status_code == 303 and "410802197005010013" not in r["Location"]
    assert r["Location"].startswith("/ws/search/?s=")
    shown = client.get(r["Location"])
    assert shown.status_code == 200 and shown.context["q"] == "410802197005010013"
    assert shown.context["person_table"].paginator.count == 1
    # the same query has the same link; another query another
    assert client.post(reverse("workspace:search"), {"q": "410802197005010013"})["Location"] == r["Location"]
    assert client.post(reverse("workspace:search"), {"q": "P9001"})["Location"] != r["Location"]
    # the link means nothing in another session
    other = login(world.supervisor).get(r["Location"])
    assert other.status_code == 200 and other.context["q"] == ""


def test_an_id_number_in_a_search_url_is_refused_unsearched(world, data, login):
    client = login(world.caseworker)
    for q in ("410802197005010013", "41080219700501001x", "410802700501001", "身份证 410802197005010013"):
        r = client.get(reverse("workspace:search"), {"q": q})
        assert r.status_code == 400 and "person_table" not in r.context, q
    # person numbers, visit IDs and names still work as links
    assert client.get(reverse("workspace:search"), {"q": "P9001"}).context["person_table"].paginator.count == 1
