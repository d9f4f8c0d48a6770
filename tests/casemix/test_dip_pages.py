"""The DIP pages (casemix.views) on the worked example: the bureau reads the region's year (point value, each
institution's points, grouping rate, CMI-like index, DIP amount and clearing) and each institution's cases with
the reason of their points; an institution reads its own row and cases only; the clearing page shows the DIP
figures behind its DIP line (and the report's part when the cases are of both schemes) and links it to the cases."""
from django.contrib.auth.models import Group, User
from django.test import Client

from casemix.services import run_dip_year
from fund_budget.clearing import clear_year
from fund_budget.models import ClearingReport, Fund, InstitutionIndex, PaymentMode

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
        # the DIP figures behind the line: points, point value, patients' share, DIP amount, paid by items
        card = text.split('class="card dip-line"', 1)[1].split("</section>", 1)[0]
        for figure in ("2,900.00", "10.000000", "9,000.00", "20,000.00", "29,000.00", "-9,000.00"):
            assert figure in card, figure
        assert "本报告基金的部分 D" not in card  # one scheme: the line is the institution's whole clearing


class MixedSchemesPageTests(WorkedExampleWorld):
    RESIDENT_CASES = ("c5",)

    def test_each_report_shows_the_institutions_figures_and_its_part(self):
        settle_year()
        for fund in (Fund.EMPLOYEE_POOL, Fund.RESIDENT_POOL):
            InstitutionIndex.objects.create(year=2026, institution=self.w.inst_b, fund=fund,
                                            payment_mode=PaymentMode.ITEM_BY_ITEM)
        run_dip_year("410800", 2026, final=True)
        clear_year(2026)
        bureau = Client()
        user = User.objects.create_user("dipclerk")
        user.groups.add(Group.objects.get(name="fund_bureau"))
        bureau.force_login(user)
        parts = {Fund.EMPLOYEE_POOL: "-100.00", Fund.RESIDENT_POOL: "1,000.00"}
        for report in ClearingReport.objects.filter(institution=self.w.inst_b):
            card = bureau.get(f"/fund/clearings/{report.pk}/").content.decode().split('class="card dip-line"', 1)[1]
            card = card.split("</section>", 1)[0]
            assert "1,440.00" in card and "10,900.00" in card and "900.00" in card  # H2's points, amount, clearing
            assert "本报告基金的部分 D" in card and parts[report.fund] in card
        # a report without a DIP line has no card
        InstitutionIndex.objects.create(year=2026, institution=self.w.inst_a, payment_mode=PaymentMode.ITEM_BY_ITEM,
                                        fund=Fund.RESIDENT_POOL)
        clear_year(2026)
        plain = ClearingReport.objects.get(institution=self.w.inst_a, fund=Fund.RESIDENT_POOL)
        assert "dip-line" not in bureau.get(f"/fund/clearings/{plain.pk}/").content.decode()
