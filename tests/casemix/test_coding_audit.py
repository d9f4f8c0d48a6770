"""The coding-quality audit of a DIP run recorded through review.services.record_hits (docs/dip.md
"Coding-quality rules"), and the case page that shows it: on the worked example, with lists that break each
rule, the rules rows of the smart-audit library."""
import datetime as dt
import io
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from casemix.coding import run_dip_year_audited
from claims.models import Settlement
from policy_rules.models import AuditRuleDefinition
from review.models import AuditHit, HitStage, ReviewEvent, SuspectItem, SuspectState
from tests.api.base import make_person
from tests.factories import local_dt

from .helpers import good_list, inpatient_settlement
from .worked_world import WorkedExampleWorld

D = Decimal
RULES = [
    ("CODE-MCC", "coding_cc", "高套编码", {"support": {"J96": ["120800001", "310603"]}}),
    ("CODE-DXPX", "coding_dxpx", "主要诊断与主要手术操作不符", {"use_grouping_table": True}),
    ("CODE-LOWADM", "coding_low_admission", "低标准入院",
     {"diag_prefixes": ["E11"], "max_days": 7, "cost_ratio": "1.2"}),
    ("CODE-SPLIT", "coding_split", "分解住院", {"readmission_rule": "READM-001"}),
    ("READM-001", "readmission", "再入院", {"days": 15}),
]


def operation(code, day):
    return {"oprn_oprt_code": code, "oprn_oprt_name": "手术", "main_oprn_flag": "1", "oprn_oprt_date": day}


class CodingAuditTests(WorkedExampleWorld):
    def setUp(self):
        super().setUp()
        for code, rule_type, name, params in RULES:
            AuditRuleDefinition.objects.create(code=code, rule_type=rule_type, name=name, params=params,
                                               severity="suspect", effective_from=dt.date(2026, 1, 1))
        post = self.client.post
        # c1 (H1): a respiratory failure coded with no oxygen or ventilation on its lines → CODE-MCC
        diseinfo = [{"diag_code": "K35.800", "diag_name": "急性阑尾炎", "maindiag_flag": "1"},
                    {"diag_code": "J96.000", "diag_name": "急性呼吸衰竭", "maindiag_flag": "0"}]
        c1_day = (self.settlements["c1"].visit.begntime + dt.timedelta(days=1)).date().isoformat()
        assert post("/api/v1/settlements/c1/setl-list/", good_list(
            diseinfo=diseinfo, oprninfo=[operation("47.0100", c1_day)]), format="json").status_code == 201
        # c5 (H2): appendicitis with a coronary stent as the main operation → CODE-DXPX
        c5_day = (self.settlements["c5"].visit.begntime + dt.timedelta(days=1)).date().isoformat()
        assert self.other_client.post("/api/v1/settlements/c5/setl-list/", good_list(
            diseinfo=[{"diag_code": "K35.800", "diag_name": "急性阑尾炎", "maindiag_flag": "1"}],
            oprninfo=[operation("36.0600", c5_day)]), format="json").status_code == 201
        # c4 (H2): 6 days, 5,500 < 1.2 × 5,000 → CODE-LOWADM (these parameters)
        # r1, r2 (H1): one person back 8 days after discharge with the same K35 → CODE-SPLIT on r2
        person = make_person("PSPLIT", insutype="310")
        for setl_id, begn, diag in (("r1", local_dt(2026, 10, 1, 9), "K35.800"),
                                    ("r2", local_dt(2026, 10, 15, 9), "K35.900")):
            inpatient_settlement(self.w.inst_a, person, setl_id=setl_id, policy_version=self.w.policy_2026,
                                 begntime=begn, endtime=begn + dt.timedelta(days=6))
            day = (begn + dt.timedelta(days=1)).date().isoformat()
            assert post(f"/api/v1/settlements/{setl_id}/setl-list/", good_list(
                diseinfo=[{"diag_code": diag, "diag_name": "急性阑尾炎", "maindiag_flag": "1"}],
                oprninfo=[operation("47.0100", day)]), format="json").status_code == 201

    def test_the_run_records_hits_and_opens_items_in_the_review_queue(self):
        run, recorded = run_dip_year_audited("410800", 2026)
        got = sorted((h.rule_code, h.settlement.setl_id, h.stage, h.amount) for h in recorded["hits"])
        assert got == [("CODE-DXPX", "c5", HitStage.SETTLEMENT, D("6000.00")),
                       ("CODE-LOWADM", "c4", HitStage.SETTLEMENT, D("4000.00")),
                       ("CODE-MCC", "c1", HitStage.SETTLEMENT, D("7000.00")),
                       ("CODE-SPLIT", "r2", HitStage.SETTLEMENT, D("7000.00"))]
        split = AuditHit.objects.get(rule_code="CODE-SPLIT")
        assert split.related_visit == Settlement.objects.get(setl_id="r1").visit
        assert "两次住院主要诊断同属 K35(K35.800 / K35.900)" in split.evidence
        # one pending item per case and rule, at stake what the fund paid, opened with its event
        items = {(i.rule.code, i.settlement.setl_id): i for i in SuspectItem.objects.select_related("rule", "settlement")}
        assert set(items) == {("CODE-DXPX", "c5"), ("CODE-LOWADM", "c4"), ("CODE-MCC", "c1"), ("CODE-SPLIT", "r2")}
        mcc = items[("CODE-MCC", "c1")]
        assert (mcc.state, mcc.amount_at_stake, mcc.institution) == (SuspectState.PENDING, D("7000.00"), self.w.inst_a)
        assert ReviewEvent.objects.filter(item=mcc).count() == 1
        assert {i.pk for i in recorded["items"]} == {i.pk for i in items.values()}

    def test_a_second_run_records_nothing_twice(self):
        run_dip_year_audited("410800", 2026)
        hits, items = AuditHit.objects.count(), SuspectItem.objects.count()
        run, again = run_dip_year_audited("410800", 2026, final=True)
        assert (again["hits"], again["items"]) == ([], [])
        assert (AuditHit.objects.count(), SuspectItem.objects.count()) == (hits, items) == (4, 4)

    def test_without_coding_rules_in_force_the_run_records_nothing(self):
        AuditRuleDefinition.objects.filter(code__startswith="CODE-").update(effective_to=dt.date(2026, 6, 30))
        run, recorded = run_dip_year_audited("410800", 2026)
        assert recorded == {"hits": [], "items": []} and run.cases == 8
        assert not AuditHit.objects.exists()

    def test_the_command_runs_the_audit_too(self):
        out = io.StringIO()
        call_command("run_dip_year", "--region", "410800", "--year", "2026", stdout=out)
        assert "coding audit: 4 new hits, 4 new suspect items" in out.getvalue()


class CasePageTests(WorkedExampleWorld):
    def setUp(self):
        super().setUp()
        AuditRuleDefinition.objects.create(code="CODE-DXPX", rule_type="coding_dxpx", name="主要诊断与主要手术操作不符",
                                           params={}, severity="suspect", effective_from=dt.date(2026, 1, 1))
        day = (self.settlements["c5"].visit.begntime + dt.timedelta(days=1)).date().isoformat()
        assert self.other_client.post("/api/v1/settlements/c5/setl-list/", good_list(
            diseinfo=[{"diag_code": "K35.800", "diag_name": "急性阑尾炎", "maindiag_flag": "1"},
                      {"diag_code": "I10.x00", "diag_name": "原发性高血压", "maindiag_flag": "0"}],
            oprninfo=[operation("36.0600", day)]), format="json").status_code == 201
        run_dip_year_audited("410800", 2026)
        self.bureau = Client()
        clerk = User.objects.create_user("dipclerk2")
        clerk.groups.add(Group.objects.get(name="fund_bureau"))
        self.bureau.force_login(clerk)
        self.h1, self.h2 = Client(), Client()
        self.h1.force_login(self.w.user_a)
        self.h2.force_login(self.w.user_b)
        self.h2_code, self.h1_code = self.w.inst_b.fixmedins_code, self.w.inst_a.fixmedins_code

    def test_the_case_shows_its_list_group_points_why_and_hits(self):
        text = self.bureau.get(f"/dip/410800/2026/{self.h2_code}/c5/").content.decode()
        for shown in ("K35.800", "急性阑尾炎", "I10.x00", "原发性高血压", "36.0600", "主要诊断", "其他诊断",
                      "未入组", "无匹配病种", "CODE-DXPX", "主要诊断 K35.800 与主要手术操作 36.0600 不相符",
                      "待审核", "6,000.00"):
            assert shown in text, shown
        item = SuspectItem.objects.get(settlement__setl_id="c5")
        assert f'href="/ws/items/{item.pk}/"' in text  # the caseworker goes on to the item in the queue
        assert f'href="/ws/items/{item.pk}/"' not in self.h2.get(f"/dip/410800/2026/{self.h2_code}/c5/").content.decode()
        grouped = self.bureau.get(f"/dip/410800/2026/{self.h1_code}/c3/").content.decode()
        assert "A 急性阑尾炎·阑尾切除术" in grouped and "高倍率病例" in grouped and "1,500.00" in grouped
        assert "没有编码质量疑点" in grouped

    def test_the_institution_page_shows_cmi_and_the_deviation_cases(self):
        text = self.bureau.get(f"/dip/410800/2026/{self.h1_code}/").content.decode()
        assert "CMI" in text and "低倍率病例 1" in text and "高倍率病例 1" in text
        assert f'href="/dip/410800/2026/{self.h1_code}/c1/"' in text
        low = self.bureau.get(f"/dip/410800/2026/{self.h1_code}/?kind=low").content.decode()
        assert ">c2<" in low and ">c1<" not in low and ">c3<" not in low

    def test_an_institution_reads_its_own_cases_only(self):
        assert self.h2.get(f"/dip/410800/2026/{self.h2_code}/c5/").status_code == 200
        assert self.h1.get(f"/dip/410800/2026/{self.h2_code}/c5/").status_code == 404
        assert self.h1.get(f"/dip/410800/2026/{self.h1_code}/c5/").status_code == 404  # not its case
        assert self.bureau.get(f"/dip/410800/2026/{self.h1_code}/nope/").status_code == 404
        nobody = Client()
        nobody.force_login(User.objects.create_user("plain"))
        assert nobody.get(f"/dip/410800/2026/{self.h2_code}/c5/").status_code == 403
