"""An institution sees and changes only its own visits, settlements and jobs: anything else is 404,
for every endpoint. A user without an institution link gets 403; no token, 401."""
import shutil
import tempfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from claims.models import FeeLine, FeeLineStatus, Settlement, SettlementStatus, UploadJob, Visit, VisitStatus

from .base import CASE01_LINES, APITestBase, token_client

LINE = {"feedetl_sn": "99", "med_list_codg": "250101001", "cnt": "1", "pric": "1", "det_item_fee_sumamt": "1.00"}


class IsolationTests(APITestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.media = tempfile.mkdtemp(prefix="yibao-media-")
        cls.media_override = override_settings(MEDIA_ROOT=cls.media)
        cls.media_override.enable()

    @classmethod
    def tearDownClass(cls):
        cls.media_override.disable()
        shutil.rmtree(cls.media, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.open_visit = self.case01_visit(discharge=False)
        self.setl = self.settled_case01(psn_no="P0002")
        csv = b"mdtrt_id,feedetl_sn,med_list_codg,cnt,pric,det_item_fee_sumamt\nM-NOPE,1,X,1,1,1.00\n"
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post("/api/v1/upload-jobs/", {"file": SimpleUploadedFile("a.csv", csv)},
                                        format="multipart")
        self.job_id = response.json()["id"]
        self.w.user_b.is_staff = True  # even B's staff cannot reach A's data
        self.w.user_b.save()
        self.snapshot = self.state()

    def state(self):
        return (list(Visit.objects.order_by("pk").values_list("mdtrt_id", "status", "endtime")),
                list(FeeLine.objects.order_by("pk").values_list("feedetl_sn", "status")),
                list(Settlement.objects.order_by("pk").values_list("setl_id", "status")),
                UploadJob.objects.count())

    def endpoints(self):
        v, s = self.open_visit, self.setl["setl_id"]
        return [
            ("get", f"/api/v1/visits/{v}/", None),
            ("post", f"/api/v1/visits/{v}/discharge/", {"endtime": "2026-03-10T10:00:00"}),
            ("get", f"/api/v1/visits/{v}/fee-lines/", None),
            ("post", f"/api/v1/visits/{v}/fee-lines/", {"lines": [LINE]}),
            ("post", f"/api/v1/visits/{v}/fee-lines/cancel/", {"all": True}),
            ("post", f"/api/v1/visits/{v}/presettle/", {}),
            ("post", f"/api/v1/visits/{v}/settle/", {"setl_time": "2026-03-10T10:00:00"}),
            ("get", f"/api/v1/visits/{self.setl['mdtrt_id']}/", None),
            ("get", f"/api/v1/settlements/{s}/", None),
            ("post", f"/api/v1/settlements/{s}/cancel/", {"reason": "试图撤销他院结算"}),
            ("get", f"/api/v1/upload-jobs/{self.job_id}/", None),
            ("get", f"/api/v1/upload-jobs/{self.job_id}/errors.csv", None),
        ]

    def call(self, client, method, url, body):
        return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)

    def test_another_institution_gets_404_everywhere_and_changes_nothing(self):
        for method, url, body in self.endpoints():
            with self.subTest(url=url, method=method):
                self.assert_error(self.call(self.other_client, method, url, body), 404, "NOT_FOUND")
        assert self.state() == self.snapshot
        assert Visit.objects.get(mdtrt_id=self.open_visit).status == VisitStatus.REGISTERED
        assert FeeLine.objects.filter(visit__mdtrt_id=self.open_visit, status=FeeLineStatus.ACTIVE).count() == len(
            CASE01_LINES)
        assert Settlement.objects.get(setl_id=self.setl["setl_id"]).status == SettlementStatus.SETTLED

    def test_the_owner_reaches_every_endpoint(self):
        for method, url, body in [e for e in self.endpoints() if e[0] == "get"]:
            with self.subTest(url=url):
                assert self.call(self.client, method, url, body).status_code == 200

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

    def all_endpoints(self):
        return [*self.endpoints(),
                ("get", "/api/v1/visits/", None), ("post", "/api/v1/visits/", {"psn_no": "P0001"}),
                ("get", "/api/v1/settlements/", None), ("get", "/api/v1/upload-jobs/", None),
                ("post", "/api/v1/upload-jobs/", {}), ("post", "/api/v1/reconciliation/", {}),
                ("get", "/api/v1/persons/P0001/", None), ("get", "/api/v1/persons/", None)]

    def test_a_user_without_an_institution_gets_403_everywhere(self):
        loner = token_client(self.w.loner_token)
        for method, url, body in self.all_endpoints():
            with self.subTest(url=url, method=method):
                self.assert_error(self.call(loner, method, url, body), 403, "PERMISSION_DENIED")
        assert self.state() == self.snapshot

    def test_no_or_a_bad_token_gets_401_everywhere(self):
        anonymous = token_client(None)
        bad = token_client(None)
        bad.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
        for method, url, body in self.all_endpoints():
            with self.subTest(url=url, method=method):
                self.assert_error(self.call(anonymous, method, url, body), 401, "NOT_AUTHENTICATED")
                self.assert_error(self.call(bad, method, url, body), 401, "AUTHENTICATION_FAILED")
        assert self.state() == self.snapshot
