"""A search that finds nobody says why when the query explains it: a partial ID number, a short name."""
from __future__ import annotations

from django.urls import reverse

from claims.selectors import search_hint

from .conftest import make_person

HINT = "证件号码需完整 18 位"


def _search(client, q):
    response = client.post(reverse("workspace:search"), {"q": q}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_partial_id_number_gets_a_hint(world, login):
    person = make_person("P7001")
    person.certno = "410802197005010013"
    person.save()
    client = login(world.caseworker)
    html = _search(client, "4108021970")
    assert HINT in html and 'id="search-hint"' in html
    assert "按姓名搜索可用部分内容" in html
    found = _search(client, "410802197005010013")  # the whole number finds the person, without a hint
    assert "P7001" in found and HINT not in found


def test_short_name_without_match_gets_a_hint(world, login):
    html = _search(login(world.caseworker), "欧阳")
    assert "一两个字只匹配姓名开头" in html


def test_no_hint_when_someone_is_found_or_nothing_explains_it():
    assert search_hint("4108021970", persons_found=1) is None
    assert search_hint("王小明", persons_found=0) is None
    assert search_hint("410802197005010013", persons_found=0) is None  # a whole ID number: nobody has it
    assert search_hint("41080219700501001x", persons_found=0) is None
    assert search_hint("41080219700501", persons_found=0) is not None


def test_hint_in_english(world, login):
    client = login(world.caseworker)
    client.cookies["django_language"] = "en"
    html = _search(client, "4108021970")
    assert "ID numbers must be entered in full (18 characters)" in html
