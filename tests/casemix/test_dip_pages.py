"""The DIP pages (casemix.views) on the worked example: the bureau reads the region's year (point value, each
institution's points, grouping rate, CMI-like index, DIP amount and clearing) and each institution's cases with
the reason of their points; an institution reads its own row and cases only; the clearing page links its DIP
line to the cases."""
from django.contrib.auth.models import Group, User
from django.test import Client

from casemix.services import run_dip_year
from fund_budget.clearing import clear_year
from fund_budget.models import ClearingReport, InstitutionIndex, PaymentMode

from .worked_world import WorkedExampleWorld, settle_year


class DipPagesTests(WorkedExampleWorld):
    def setUp(self):
        super().setUp()
        run_dip_year("410800", 2026, final=True)
        self.bureau = Client()
        user = User.objects.create_user("dipclerk")
        user.groups.add(Group.objects.get(name="fund_bureau"))
        self.bureau.force_login(user)
        self.h1 = Client()
        self.h1.force_login(self.w.user_a)

    def test_the_bureau_reads_the_year_and_the_cases(self):
        page = self.bureau.get("/dip/410800/2026/")
        assert page.status_code == 200
        text = page.content.decode()
        for figure in ("10.000000", "4,340.00", "66.7%", "1.11", "-9,000.00", "900.00", "20,000.00", "10,900.00",
                       self.w.inst_a.name, self.w.inst_b.name):
            assert figure in text, figure
        cases = self.bureau.get(f"/dip/410800/2026/{self.w.inst_b.fixmedins_code}/").content.decode()
        assert "2型糖尿病·保守治疗" in cases and "J18.900" in cases and "无匹配病种" in cases
        h1 = self.bureau.get(f"/dip/410800/2026/{self.w.inst_a.fixmedins_code}/").content.decode()
        assert "低倍率病例" in h1 and "高倍率病例" in h1 and "1,500.00" in h1

    def test_the_index_lists_each_year_and_the_nav_links_it(self):
        run_dip_year("410800", 2026, final=False)  # a later trial run: the index still shows the final one
        text = self.bureau.get("/dip/").content.decode()
        assert 'href="/dip/410800/2026/"' in text and "10.000000" in text and "最终分组" in text
        assert 'href="/dip/"' in self.bureau.get("/fund/statements/").content.decode()

    def test_an_institution_reads_its_own_only(self):
        text = self.h1.get("/dip/410800/2026/").content.decode()
        assert self.w.inst_a.name in text and self.w.inst_b.name not in text
        assert self.h1.get(f"/dip/410800/2026/{self.w.inst_a.fixmedins_code}/").status_code == 200
        assert self.h1.get(f"/dip/410800/2026/{self.w.inst_b.fixmedins_code}/").status_code == 404

    def test_the_clearing_page_shows_the_dip_line(self):
        settle_year()
        InstitutionIndex.objects.create(year=2026, institution=self.w.inst_a, payment_mode=PaymentMode.ITEM_BY_ITEM)
        clear_year(2026)
        report = ClearingReport.objects.get(institution=self.w.inst_a)
        text = self.bureau.get(f"/fund/clearings/{report.pk}/").content.decode()
        assert f'href="/dip/410800/2026/{self.w.inst_a.fixmedins_code}/"' in text and "-9,000.00" in text
