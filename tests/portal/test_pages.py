"""Every portal page: the institution's own user gets it, another institution's user 404 (objects) or its
own view (lists), bureau staff 403, anonymous the login page. Money with |money, codes by their labels."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from insurance.models import Person
from portal.services import file_appeal_with_attachments
from review import services as review
from tests.factories.insurance import certno_for
from tests.portal.conftest import PDF


@pytest.fixture
def objects(world):
    item = world.confirmed(amount="30.00")
    other = world.confirmed(amount="25.00")
    appeal = file_appeal_with_attachments(other, user=world.hosp_a, explanation="复查有医嘱",
                                          uploads=[SimpleUploadedFile("病历.pdf", PDF, "application/pdf")])
    return {"item": item, "appeal": appeal, "attachment": appeal.attachments.get()}


def urls(o):
    item = o["item"]
    return {
        "home": reverse("portal:home"),
        "visit": reverse("portal:visit", args=[item.visit.mdtrt_id]),
        "item": reverse("portal:item", args=[item.pk]),
        "attachment": reverse("portal:attachment", args=[o["attachment"].pk]),
        "tokens": reverse("portal:tokens"),
    }


OBJECT_PAGES = ("visit", "item", "attachment")


@pytest.mark.parametrize("page", ["home", "visit", "item", "attachment", "tokens"])
def test_own_institution_gets_every_page(world, objects, as_user, page):
    response = as_user(world.hosp_a).get(urls(objects)[page])
    assert response.status_code == 200


@pytest.mark.parametrize("page", OBJECT_PAGES)
def test_another_institution_gets_404(world, objects, as_user, page):
    assert as_user(world.hosp_b).get(urls(objects)[page]).status_code == 404


@pytest.mark.parametrize("page", ["home", "visit", "item", "tokens"])
def test_bureau_staff_are_refused(world, objects, as_user, page):
    for user in (world.reviewer, world.supervisor, world.nobody):
        assert as_user(user).get(urls(objects)[page]).status_code == 403


@pytest.mark.parametrize("page", ["home", "visit", "item", "attachment", "tokens"])
def test_anonymous_goes_to_the_login_page(world, objects, as_user, page):
    url = urls(objects)[page]
    response = as_user(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login")) and "next=" in response["Location"]


def test_home_lists_only_own_settlements_and_items(world, objects, as_user):
    own = objects["item"]
    foreign = world.confirmed(settlement=world.settled_visit(institution=world.inst_b))
    html = as_user(world.hosp_a).get(reverse("portal:home")).content.decode()
    assert own.settlement.setl_id in html and reverse("portal:item", args=[own.pk]) in html
    assert foreign.settlement.setl_id not in html and reverse("portal:item", args=[foreign.pk]) not in html
    assert "1,344.00" in html  # the fund's payment, with |money
    assert "已确认扣款" in html and "普通住院" in html  # states and medical types by their labels
    html_b = as_user(world.hosp_b).get(reverse("portal:home")).content.decode()
    assert foreign.settlement.setl_id in html_b and own.settlement.setl_id not in html_b


def test_home_filters_settlements_by_date_and_status(world, objects, as_user):
    client = as_user(world.hosp_a)
    setl_id = objects["item"].settlement.setl_id
    assert setl_id in client.get(reverse("portal:home"), {"date_from": "2026-03-10", "date_to": "2026-03-10"}
                                 ).content.decode()
    assert setl_id not in client.get(reverse("portal:home"), {"date_from": "2026-03-11"}).content.decode()
    assert setl_id not in client.get(reverse("portal:home"), {"status": "cancelled"}).content.decode()
    assert setl_id in client.get(reverse("portal:home"), {"status": "settled"}).content.decode()


def test_visit_page_reuses_the_breakdown_and_masks_the_id_number(world, objects, as_user):
    item = objects["item"]
    certno = certno_for(dt.date(1980, 1, 1), 1)
    Person.objects.filter(pk=item.visit.person_id).update(certno=certno)
    html = as_user(world.hosp_a).get(reverse("portal:visit", args=[item.visit.mdtrt_id])).content.decode()
    assert 'class="bd-group"' in html and "2,480.00" in html  # templates/review/_breakdown.html
    assert certno not in html and certno[-4:] in html  # masked: institution users may not see it whole
    assert reverse("portal:item", args=[item.pk]) in html
    assert "/ws/" not in html.split("<main")[1]  # no links into the bureau's workspace


def test_nav_links_to_the_statements_by_path(world, objects, as_user):
    html = as_user(world.hosp_a).get(reverse("portal:home")).content.decode()
    assert 'href="/fund/statements/"' in html and reverse("portal:tokens") in html


def test_dismissed_items_are_not_shown(world, as_user):
    item = world.item()
    review.dismiss_item(item, user=world.reviewer, reason="不属实")
    assert as_user(world.hosp_a).get(reverse("portal:item", args=[item.pk])).status_code == 404
