"""An institution sees and changes only its own visits, settlements and jobs. Route by route — 404 for
another institution's object, 403 for a user without an institution link, 401 without a valid token, and
nothing changed by any of them — this is declared in tests/**/test_isolation_*.py (tests/api/isolation.py);
here: what lists, filters, reconciliation and registration show of it."""
from django.core.files.uploadedfile import SimpleUploadedFile

from claims.models import Visit

from .base import APITestBase
from .isolation import TemporaryMediaRoot


class IsolationTests(TemporaryMediaRoot, APITestBase):
    def setUp(self):
        super().setUp()
        self.open_visit = self.case01_visit(discharge=False)
        self.setl = self.settled_case01(psn_no="P0002")
        csv = b"mdtrt_id,feedetl_sn,med_list_codg,cnt,pric,det_item_fee_sumamt\nM-NOPE,1,X,1,1,1.00\n"
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post("/api/v1/upload-jobs/", {"file": SimpleUploadedFile("a.csv", csv)},
                                        format="multipart")
        self.job_id = response.json()["id"]

    def test_lists_show_only_own_records(self):
        for url in ("/api/v1/visits/", "/api/v1/settlements/", "/api/v1/upload-jobs/"):
            with self.subTest(url=url):
                assert self.client.get(url).json()["count"] >= 1
                assert self.other_client.get(url).json()["count"] == 0
        # filtering by another institution's data finds nothing either
        assert self.other_client.get("/api/v1/visits/", {"psn_no": "P0001"}).json()["count"] == 0
        assert self.other_client.get("/api/v1/settlements/", {"mdtrt_id": self.setl["mdtrt_id"]}).json()[
            "count"] == 0

    def test_reconciliation_counts_only_own_settlements(self):
        body = {"stmt_begndate": "2026-01-01", "stmt_enddate": "2026-12-31", "medfee_sumamt": "0.00",
                "fund_pay_sumamt": "0.00", "acct_pay": "0.00", "fixmedins_setl_cnt": 0}
        assert self.other_client.post("/api/v1/reconciliation/", body, format="json").json()["stmt_rslt"] == "match"
        assert self.client.post("/api/v1/reconciliation/", body, format="json").json()["stmt_rslt"] == "mismatch"

    def test_registration_is_always_for_the_users_own_institution(self):
        response = self.register(client=self.other_client, fixmedins_code="H41080000001")
        assert response.status_code == 201
        assert Visit.objects.get(mdtrt_id=response.json()["mdtrt_id"]).institution == self.w.inst_b
