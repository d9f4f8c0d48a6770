"""The list-deadline queue's pages (/dip/lists/, casemix.deadline_views): the bureau sees every institution's
missing lists, most overdue first, filters them, and finds the counts on the DIP index; an institution sees its
own only (the portal's home counts them); any other login is refused. The clock is 20 March 2026."""
from unittest import mock

from django.contrib.auth.models import Group, User
from django.test import Client

from .deadline_world import TODAY, DeadlineWorld


def cell(setl_id: str) -> str:
    """A settlement id as the table's cell shows it (a bare "m1" may occur in a CSRF token)."""
    return f">{setl_id}<"


TODAY_PATCH = mock.patch("casemix.deadlines.timezone.localdate", return_value=TODAY)


class ListQueuePagesTests(DeadlineWorld):
    def setUp(self):
        super().setUp()
        TODAY_PATCH.start()
        self.addCleanup(TODAY_PATCH.stop)
        self.bureau = Client()
        clerk = User.objects.create_user("dipclerk")
        clerk.groups.add(Group.objects.get(name="fund_bureau"))
        self.bureau.force_login(clerk)
        self.h1, self.h2, self.loner = Client(), Client(), Client()
        self.h1.force_login(self.w.user_a)
        self.h2.force_login(self.w.user_b)
        self.loner.force_login(self.w.loner)

    def test_the_bureau_sees_every_missing_list_overdue_first(self):
        page = self.bureau.get("/dip/lists/")
        assert page.status_code == 200
        text = page.content.decode()
        order = [text.index(cell(setl_id)) for setl_id in ("m1", "m4", "m3", "m2")]
        assert order == sorted(order)
        for shown in ("2026-03-17", "逾期 3 天", "今日到期", "剩余 1 天", "剩余 5 天", self.w.inst_a.name,
                      self.w.inst_b.name, 'id="count-missing">4<', 'id="count-overdue">1<'):
            assert shown in text, shown
        for hidden in ("x-listed", "x-outpatient", "x-cancelled", "x-elsewhere", "x-2025"):
            assert hidden not in text, hidden  # no CSRF token has a hyphen
        assert 'href="/dip/lists/"' in text  # the workspace's navigation

    def test_the_filters(self):
        text = self.bureau.get("/dip/lists/", {"state": "overdue"}).content.decode()
        assert cell("m1") in text and cell("m2") not in text and cell("m3") not in text
        text = self.bureau.get("/dip/lists/", {"institution": self.w.inst_b.fixmedins_code}).content.decode()
        assert cell("m3") in text and cell("m4") in text and cell("m1") not in text
        bad = self.bureau.get("/dip/lists/", {"state": "late"})
        assert bad.status_code == 400 and cell("m1") not in bad.content.decode()

    def test_the_dip_index_counts_them(self):
        text = self.bureau.get("/dip/").content.decode()
        assert "缺少结算清单 4 份，其中已逾期 1 份" in text and 'href="/dip/lists/"' in text

    def test_an_institution_sees_its_own_only(self):
        text = self.h2.get("/dip/lists/").content.decode()
        assert cell("m3") in text and cell("m4") in text and cell("m1") not in text and cell("m2") not in text
        assert self.w.inst_a.name not in text
        # a filter cannot widen it: the institution filter is not there, and its parameter is ignored
        widened = self.h2.get("/dip/lists/", {"institution": self.w.inst_a.fixmedins_code}).content.decode()
        assert cell("m1") not in widened and cell("m3") in widened
        assert 'name="institution"' not in widened
        home = self.h1.get("/portal/").content.decode()
        assert 'id="count-missing-lists">2 · 逾期 1<' in home and 'href="/dip/lists/"' in home
        assert "缺少结算清单 2 份，其中已逾期 0 份" in self.h2.get("/dip/").content.decode()

    def test_anyone_else_is_refused(self):
        assert self.loner.get("/dip/lists/").status_code == 403
        assert Client().get("/dip/lists/").status_code == 302  # to the login page
