"""[4101] the settlement list over the provider API: a good list is stored, each bad field is a 400 naming it
with nothing written, another institution's settlement is a 404, the same list again changes nothing and a
different one replaces it until a final DIP run has grouped the case."""
import datetime as dt

import pytest

from casemix.importer import create_grouping_table, set_year_parameters
from casemix.models import DipCaseResult, DipRun, ListDiagnosis, ListOperation, SettlementList
from casemix.services import run_dip_year
from tests.api.base import APITestBase, build_world, make_person, token_client
from tests.factories import PaidSettlementFactory, VisitFactory, local_dt

from .helpers import good_list, inpatient_settlement

BAD = [
    # (what is wrong, the body's changes, field, code)
    ("diagnosis code format", {"diseinfo": [{"diag_code": "K3580", "diag_name": "x", "maindiag_flag": "1"}]},
     "diseinfo.0.diag_code", "INVALID_CODE"),
    ("no main diagnosis", {"diseinfo": [{"diag_code": "K35.800", "diag_name": "x", "maindiag_flag": "0"}]},
     "diseinfo", "MAIN_DIAGNOSIS"),
    ("two main diagnoses", {"diseinfo": [{"diag_code": "K35.800", "diag_name": "x", "maindiag_flag": "1"},
                                         {"diag_code": "I10.x00", "diag_name": "y", "maindiag_flag": "1"}]},
     "diseinfo", "MAIN_DIAGNOSIS"),
    ("no diagnosis", {"diseinfo": []}, "diseinfo", "EMPTY"),
    ("operation code format", {"oprninfo": [{"oprn_oprt_code": "4701", "oprn_oprt_name": "x", "main_oprn_flag": "1",
                                             "oprn_oprt_date": "2026-03-03"}]},
     "oprninfo.0.oprn_oprt_code", "INVALID_CODE"),
    ("operation before admission", {"oprninfo": [{"oprn_oprt_code": "47.0100", "oprn_oprt_name": "x",
                                                  "main_oprn_flag": "1", "oprn_oprt_date": "2026-03-01"}]},
     "oprninfo.0.oprn_oprt_date", "OUTSIDE_STAY"),
    ("operation after discharge", {"oprninfo": [{"oprn_oprt_code": "47.0100", "oprn_oprt_name": "x",
                                                 "main_oprn_flag": "1", "oprn_oprt_date": "2026-03-11"}]},
     "oprninfo.0.oprn_oprt_date", "OUTSIDE_STAY"),
    ("operations without a main one", {"oprninfo": [{"oprn_oprt_code": "47.0100", "oprn_oprt_name": "x",
                                                     "main_oprn_flag": "0", "oprn_oprt_date": "2026-03-03"}]},
     "oprninfo", "MAIN_OPERATION"),
    ("a female diagnosis for a man", {"diseinfo": [{"diag_code": "O80.000", "diag_name": "x", "maindiag_flag": "1"}]},
     "diseinfo.0.diag_code", "GENDER_MISMATCH"),
    ("a female operation for a man", {"oprninfo": [{"oprn_oprt_code": "74.1x00", "oprn_oprt_name": "x",
                                                    "main_oprn_flag": "1", "oprn_oprt_date": "2026-03-03"}]},
     "oprninfo.0.oprn_oprt_code", "GENDER_MISMATCH"),
    ("a newborn diagnosis for an adult", {"diseinfo": [{"diag_code": "P07.300", "diag_name": "x",
                                                        "maindiag_flag": "1"}]},
     "diseinfo.0.diag_code", "AGE_MISMATCH"),
    ("newborn weights for an adult", {"nwb_bir_wt": [3200]}, "nwb_bir_wt", "NOT_NEWBORN"),
    ("newborn weight out of range", {"nwb_bir_wt": [20]}, "nwb_bir_wt.0", "MIN_VALUE"),
    ("discharge way", {"dscg_way": "7"}, "dscg_way", "INVALID_CHOICE"),
    ("admission condition", {"diseinfo": [{"diag_code": "K35.800", "diag_name": "x", "maindiag_flag": "1",
                                           "adm_cond_type": "8"}]}, "diseinfo.0.adm_cond_type", "INVALID_CHOICE"),
    ("physician code missing", {"chfpdr_code": ""}, "chfpdr_code", "BLANK"),
    ("ICU hours negative", {"scs_cutd_sum_dura": "-1"}, "scs_cutd_sum_dura", "MIN_VALUE"),
    ("ventilator hours not a number", {"vent_used_dura": "abc"}, "vent_used_dura", "INVALID"),
    ("operation date not a date", {"oprninfo": [{"oprn_oprt_code": "47.0100", "oprn_oprt_name": "x",
                                                 "main_oprn_flag": "1", "oprn_oprt_date": "03/03/2026"}]},
     "oprninfo.0.oprn_oprt_date", "INVALID"),
]


class SettlementListAPITests(APITestBase):
    def setUp(self):
        super().setUp()
        self.settlement = inpatient_settlement(self.w.inst_a, self.w.employee, policy_version=self.w.policy_2026)
        self.url = f"/api/v1/settlements/{self.settlement.setl_id}/setl-list/"

    def post(self, body, client=None):
        return (client or self.client).post(self.url, body, format="json")

    def test_a_good_list_is_stored_and_read_back(self):
        response = self.post(good_list())
        assert response.status_code == 201, response.content
        assert response.data["version"] == 1 and response.data["setl_id"] == self.settlement.setl_id
        stored = SettlementList.objects.get(settlement=self.settlement)
        assert stored.institution == self.w.inst_a and stored.dscg_way == "1" and stored.chfpdr_code == "D110001"
        assert [(d.diag_code, d.maindiag_flag) for d in stored.diagnoses.order_by("seq")] == [
            ("K35.800", True), ("I10.x00", False)]
        assert [(o.oprn_oprt_code, o.oprn_oprt_date) for o in stored.operations.all()] == [
            ("47.0100", dt.date(2026, 3, 3))]
        got = self.client.get(self.url)
        assert got.status_code == 200 and got.data["diseinfo"][0]["diag_code"] == "K35.800"
        assert got.data["oprninfo"][0]["main_oprn_flag"] is True

    def test_no_list_yet_is_404(self):
        self.assert_error(self.client.get(self.url), 404, "NOT_FOUND")

    def test_the_same_list_again_changes_nothing(self):
        assert self.post(good_list()).status_code == 201
        again = self.post(good_list())
        assert again.status_code == 200 and again.data["version"] == 1
        assert SettlementList.objects.filter(settlement=self.settlement).count() == 1
        assert ListDiagnosis.objects.count() == 2 and ListOperation.objects.count() == 1

    def test_a_different_list_replaces_it_as_a_new_version(self):
        assert self.post(good_list()).status_code == 201
        changed = good_list(oprninfo=[])
        response = self.post(changed)
        assert response.status_code == 201 and response.data["version"] == 2
        assert self.client.get(self.url).data["oprninfo"] == []
        # the first version is kept, not edited
        assert SettlementList.objects.get(settlement=self.settlement, version=1).operations.count() == 1

    def test_once_a_final_run_grouped_the_case_the_list_is_fixed(self):
        create_grouping_table([(2, {"code": "A", "name": "阑尾", "diag": "K35", "oprn": "47.0", "points": "1000",
                                    "ref_cost_3": "10000"})], code="T", name="T", region="410800",
                              effective_from=dt.date(2026, 1, 1))
        set_year_parameters(region="410800", year=2026, doc={"coef": {"3": "1"}, "budget": "10000"})
        assert self.post(good_list()).status_code == 201
        run_dip_year("410800", 2026, final=True)
        self.assert_error(self.post(good_list(oprninfo=[])), 400, "LIST_FINAL", field="setl_id")
        assert self.post(good_list()).status_code == 200  # the same list is still no change
        assert SettlementList.objects.filter(settlement=self.settlement).count() == 1

    def test_another_institutions_settlement_is_404_and_nothing_written(self):
        self.assert_error(self.post(good_list(), client=self.other_client), 404, "NOT_FOUND")
        self.assert_error(self.other_client.get(self.url), 404, "NOT_FOUND")
        assert not SettlementList.objects.exists()

    def test_an_outpatient_settlement_takes_no_list(self):
        visit = VisitFactory(institution=self.w.inst_a, person=self.w.employee, med_type="11")
        clinic = PaidSettlementFactory(visit=visit, hifp_pay=100, psn_part=50)
        response = self.client.post(f"/api/v1/settlements/{clinic.setl_id}/setl-list/", good_list(), format="json")
        self.assert_error(response, 400, "NOT_INPATIENT", field="setl_id")


@pytest.mark.parametrize(("what", "changes", "field", "code"), BAD, ids=[b[0] for b in BAD])
def test_each_bad_field_is_a_400_naming_it_and_nothing_is_written(db, what, changes, field, code):
    w = build_world()
    settlement = inpatient_settlement(w.inst_a, w.employee, policy_version=w.policy_2026)
    client = token_client(w.token_a)
    response = client.post(f"/api/v1/settlements/{settlement.setl_id}/setl-list/", good_list(**changes),
                           format="json")
    assert response.status_code == 400, (what, response.content)
    errors = response.json()["errors"]
    assert any(e["field"] == field and e["code"] == code for e in errors), (what, errors)
    assert not SettlementList.objects.exists() and not ListDiagnosis.objects.exists()


def test_a_female_code_is_fine_for_a_woman(db):
    w = build_world()
    woman = make_person("P0100", gender="2", birth=dt.date(1990, 1, 1))
    settlement = inpatient_settlement(w.inst_a, woman, policy_version=w.policy_2026)
    body = good_list(diseinfo=[{"diag_code": "O82.000", "diag_name": "剖宫产", "maindiag_flag": "1"}],
                     oprninfo=[{"oprn_oprt_code": "74.1x00", "oprn_oprt_name": "子宫下段剖宫产", "main_oprn_flag": "1",
                                "oprn_oprt_date": "2026-03-03"}])
    response = token_client(w.token_a).post(f"/api/v1/settlements/{settlement.setl_id}/setl-list/", body,
                                            format="json")
    assert response.status_code == 201, response.content


def test_a_newborn_takes_weights_and_perinatal_codes(db):
    w = build_world()
    baby = make_person("P0101", gender="2", birth=dt.date(2026, 3, 1), balance=None)
    settlement = inpatient_settlement(w.inst_a, baby, policy_version=w.policy_2026)
    body = good_list(diseinfo=[{"diag_code": "P07.300", "diag_name": "早产儿", "maindiag_flag": "1"}], oprninfo=[],
                     nwb_bir_wt=[2100], nwb_adm_wt=2050)
    response = token_client(w.token_a).post(f"/api/v1/settlements/{settlement.setl_id}/setl-list/", body,
                                            format="json")
    assert response.status_code == 201, response.content
    assert SettlementList.objects.get().nwb_bir_wt == [2100]


def test_the_dip_cases_answer_lists_the_institutions_grouped_cases(db):
    w = build_world()
    create_grouping_table([(2, {"code": "A", "name": "阑尾", "diag": "K35", "oprn": "47.0", "points": "1000",
                                "ref_cost_3": "10000", "ref_cost_2": "8000"})], code="T", name="T", region="410800",
                          effective_from=dt.date(2026, 1, 1))
    set_year_parameters(region="410800", year=2026, doc={"coef": {"3": "1", "2": "0.9"}, "budget": "10000"})
    mine = inpatient_settlement(w.inst_a, w.employee, policy_version=w.policy_2026)
    theirs = inpatient_settlement(w.inst_b, w.resident, policy_version=w.policy_2026,
                                  begntime=local_dt(2026, 4, 1, 9), endtime=local_dt(2026, 4, 5, 9))
    client_a, client_b = token_client(w.token_a), token_client(w.token_b)
    assert client_a.post(f"/api/v1/settlements/{mine.setl_id}/setl-list/", good_list(), format="json").status_code == 201
    body_b = good_list(oprninfo=[{"oprn_oprt_code": "47.0100", "oprn_oprt_name": "x", "main_oprn_flag": "1",
                                  "oprn_oprt_date": "2026-04-02"}])
    assert client_b.post(f"/api/v1/settlements/{theirs.setl_id}/setl-list/", body_b, format="json").status_code == 201
    run_dip_year("410800", 2026)
    response = client_a.get("/api/v1/dip-cases/?year=2026")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["setl_id"], r["dise_grp_code"], r["kind"], r["points"]) for r in rows] == [
        (mine.setl_id, "A", "normal", "1000.0000")]  # 9,000 against a reference of 10,000 at level 3
    assert DipRun.objects.count() == 1 and DipCaseResult.objects.count() == 2
