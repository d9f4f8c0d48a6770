"""The DIP estimate on the statement pages (templates/fund_budget/_statement_dip.html) and the PDF: the bureau and
the statement's institution read the running points and the estimated point value with thousands separators;
another institution gets a 404; a statement outside DIP has no such section."""
import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from fund_budget.models import MonthlyStatement
from tests.casemix.worked_world import WorkedExampleWorld, settle_year

from .conftest import make_institution, make_settlement, settle, worked_parameters

D = Decimal
MAY, JULY = dt.date(2026, 5, 1), dt.date(2026, 7, 1)


class EstimatePagesTests(WorkedExampleWorld):
    def setUp(self):
        super().setUp()
        settle_year()
        self.bureau = Client()
        clerk = User.objects.create_user("fundclerk")
        clerk.groups.add(Group.objects.get(name="fund_bureau"))
        self.bureau.force_login(clerk)
        self.h1, self.h2 = Client(), Client()
        self.h1.force_login(self.w.user_a)
        self.h2.force_login(self.w.user_b)

    def test_the_bureau_and_the_institution_read_it(self):
        may = MonthlyStatement.objects.current().get(month=MAY, institution=self.w.inst_a)
        for client in (self.bureau, self.h1):
            page = client.get(f"/fund/statements/{may.pk}/")
            assert page.status_code == 200
            text = page.content.decode()
            for shown in ('id="dip-estimate"', "本机构累计点数", "2,900.0000", "6,960.0000", "21,600.00",
                          "30,900.00", "7.543103", "3 / 3", "2026 年 1—5 月"):
                assert shown in text, shown
        assert self.h2.get(f"/fund/statements/{may.pk}/").status_code == 404

    def test_the_pdf_carries_it(self):
        july = MonthlyStatement.objects.current().get(month=JULY, institution=self.w.inst_b)
        response = self.h2.get(f"/fund/statements/{july.pk}.pdf")
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert b"7.033410" in response.content and b"7,440.0000" in response.content



class OutsideDipPageTests(WorkedExampleWorld):
    def test_a_statement_outside_dip_has_no_section(self):
        elsewhere = make_institution(99, region="410100")
        worked_parameters(2026)
        make_settlement(elsewhere, timezone.make_aware(dt.datetime(2026, 3, 10, 10)),
                        person=self.settlements["c1"].person, policy=self.w.policy_2026, hifp="50.00")
        run, _ = settle("2026-03", cutoff=timezone.now() + dt.timedelta(hours=1))
        bureau = Client()
        clerk = User.objects.create_user("fundclerk")
        clerk.groups.add(Group.objects.get(name="fund_bureau"))
        bureau.force_login(clerk)
        st = MonthlyStatement.objects.get(run=run, institution=elsewhere)
        text = bureau.get(f"/fund/statements/{st.pk}/").content.decode()
        assert st.fund_amount == D("50.00") and 'id="dip-estimate"' not in text and "预估点值" not in text
        h1 = MonthlyStatement.objects.get(run=run, institution=self.w.inst_a)
        assert 'id="dip-estimate"' in bureau.get(f"/fund/statements/{h1.pk}/").content.decode()
