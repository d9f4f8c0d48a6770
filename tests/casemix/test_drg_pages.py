"""The DIP pages for a DRG year (docs/drg.md worked example): the year shows its method, the point value or the
rate, each institution's figures; the cases show their DRG code and name and their path (MDC, ADRG, severity) or
why they stayed ungrouped; the year-end clearing labels its line by the method."""
from django.contrib.auth.models import Group, User
from django.test import Client

from casemix.services import run_dip_year
from fund_budget.clearing import clear_year
from fund_budget.models import ClearingLine, ClearingReport, InstitutionIndex, PaymentMode

from .drg_world import RATE_PARAMS, DrgExampleWorld
from .worked_world import settle_year


def bureau_client() -> Client:
    client = Client()
    user = User.objects.create_user("drgclerk")
    user.groups.add(Group.objects.get(name="fund_bureau"))
    client.force_login(user)
    return client


class DrgPagesTests(DrgExampleWorld):
    def setUp(self):
        super().setUp()
        run_dip_year("410800", 2026, final=True)
        self.bureau = bureau_client()

    def test_the_year_and_the_cases_show_the_drgs(self):
        text = self.bureau.get("/dip/410800/2026/").content.decode()
        for figure in ("DRG付费年度结果", "DRG点数法", "DRG应付", "DRG清算", "162.068966", "870.00", "120,000.00", "41,000.00",
                       "4 / 6", self.w.inst_a.name):
            assert figure in text, figure
        cases = self.bureau.get(f"/dip/410800/2026/{self.w.inst_a.fixmedins_code}/").content.decode()
        for shown in ("GB11 胃切除术，伴严重并发症或合并症", "GB15 胃切除术，不伴并发症或合并症", "GD19 阑尾切除术",
                      "GS13 胃肠出血，伴一般并发症或合并症", "MDC G · ADRG GB1 · 并发症 MCC → GB11（RW 4.0000 × 100）",
                      "MDC G · ADRG GB1 · 并发症 CC → GB15", "（NO_DRG），按项目付费", "主要诊断 N18.500 不属于任何MDC",
                      "低倍率病例", "高倍率病例"):
            assert shown in cases, shown
        assert "DRG点数法" in self.bureau.get("/dip/").content.decode()

    def test_the_clearing_line_is_labelled_drg(self):
        settle_year()
        InstitutionIndex.objects.create(year=2026, institution=self.w.inst_a, payment_mode=PaymentMode.ITEM_BY_ITEM)
        clear_year(2026)
        report = ClearingReport.objects.get(institution=self.w.inst_a)
        line = ClearingLine.objects.get(report=report, key="dip")
        assert (line.label, line.amount) == ("DRG付费清算(点数法) D", 41000)
        text = self.bureau.get(f"/fund/clearings/{report.pk}/").content.decode()
        assert "DRG付费清算(点数法) D" in text and "41,000.00" in text


class DrgRatePagesTests(DrgExampleWorld):
    PARAMS = RATE_PARAMS

    def test_the_year_shows_the_rate(self):
        run_dip_year("410800", 2026, final=True)
        text = bureau_client().get("/dip/410800/2026/").content.decode()
        for figure in ("DRG费率法", "费率(元/点)", "150.000000", "109,500.00", "30,500.00"):
            assert figure in text, figure
        settle_year()
        InstitutionIndex.objects.create(year=2026, institution=self.w.inst_a, payment_mode=PaymentMode.ITEM_BY_ITEM)
        clear_year(2026)
        line = ClearingLine.objects.get(report__institution=self.w.inst_a, key="dip")
        assert (line.label, line.formula, line.amount) == (
            "DRG付费清算(费率法) D", "DRG 点数 × 费率 − 个人负担 − 按项目已付基金", 30500)
