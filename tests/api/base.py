"""Shared setup of the provider API tests (NetBox style).

build_world() makes the reference data every API test starts from: the demo policy pack (2026) and
a 2025 copy of it, a small catalog (case 01's), institution A (tertiary, with a token client, and a
staff user for back-dated settlement), institution B (a second hospital, its own token), a user
without an institution link, and persons. APITestBase wraps it for django TestCase classes; the
`world` fixture of tests/api/conftest.py gives it to transactional (threaded) tests.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APITestCase

from claims.models import Accumulator
from insurance.models import Institution, Person
from policy_rules.models import PolicyVersion
from tests.factories import (
    CatalogItemFactory,
    DemoPolicyFactory,
    InstitutionFactory,
    InsuredPersonFactory,
    TokenFactory,
    UserFactory,
    certno_for,
    institution_user,
)

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT.parent / "shared" / "cases"
D = Decimal

# case 01's catalog: code, name, chrg_lv, selfpay_prop, price_limit, restrict
CATALOG = [
    ("XA01ABD075A002010100483", "阿莫西林胶囊", "01", None, None, {}),
    ("XC09AAL055A001010101475", "依那普利片", "02", None, None, {}),
    ("XL01XCR085B002010100103", "利妥昔单抗注射液", "02", "0.20", "1398.00", {}),
    ("XG03DAA021A001010100251", "黄体酮注射液", "01", None, None, {"restrict_gender": "2"}),
    ("001102000010000", "床位费(三人间)", "01", None, "40.00", {}),
    ("C03010517200001", "冠脉支架", "02", "0.30", "800.00", {}),
    ("110200001", "挂号费", "03", None, None, {}),
    ("250101001", "血常规", "01", None, None, {}),
]

# case 01's visit M0001: 8 days at a tertiary hospital, and what settling it must give
CASE01_LINES = [
    {"feedetl_sn": "1", "med_list_codg": "XA01ABD075A002010100483", "cnt": "20", "pric": "1.50",
     "det_item_fee_sumamt": "30.00"},
    {"feedetl_sn": "2", "med_list_codg": "XC09AAL055A001010101475", "cnt": "30", "pric": "2.00",
     "det_item_fee_sumamt": "60.00"},
    {"feedetl_sn": "3", "med_list_codg": "XL01XCR085B002010100103", "cnt": "2", "pric": "1500.00",
     "det_item_fee_sumamt": "3000.00"},
    {"feedetl_sn": "4", "med_list_codg": "001102000010000", "cnt": "8", "pric": "50.00",
     "det_item_fee_sumamt": "400.00"},
    {"feedetl_sn": "5", "med_list_codg": "110200001", "cnt": "1", "pric": "10.00", "det_item_fee_sumamt": "10.00"},
    {"feedetl_sn": "6", "med_list_codg": "NOT-IN-CATALOG-001", "cnt": "1", "pric": "300.00",
     "det_item_fee_sumamt": "300.00"},
    {"feedetl_sn": "7", "med_list_codg": "C03010517200001", "cnt": "1", "pric": "1000.00",
     "det_item_fee_sumamt": "1000.00"},
]
CASE01_SETL = {
    "medfee_sumamt": "4800.00", "fulamt_ownpay_amt": "310.00", "overlmt_selfpay": "484.00",
    "preselfpay_amt": "805.20", "inscp_scp_amt": "3200.80", "act_pay_dedc": "800.00", "hifp_pay": "1920.64",
    "hifob_pay": "0.00", "hifmi_pay": "0.00", "maf_pay": "0.00", "fund_pay_sumamt": "1920.64",
    "psn_part_amt": "2879.36", "acct_pay": "1200.00", "psn_cash_pay": "1679.36",
}
CASE01_BEGNTIME = "2026-03-02T09:00:00"
CASE01_ENDTIME = "2026-03-10T10:00:00"
CASE01_SETL_TIME = "2026-03-10T10:00:00"


def ensure_policy_for(day: dt.date) -> None:
    """A copy of the demo pack for day's year unless one is in force (tests settling 'now')."""
    if PolicyVersion.objects.active().covering(day).exists():
        return
    DemoPolicyFactory(code=f"DEMO-{day.year}", effective_from=dt.date(day.year, 1, 1),
                      effective_to=dt.date(day.year, 12, 31), source_name="tests")


def local(value: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(value))


def make_person(psn_no: str, *, insutype="310", psn_type="in_service", gender="1", birth=dt.date(1970, 5, 1),
                enrolled_from=dt.date(2020, 1, 1), enrolled_to=None, paid_through="2030-12", balance="1200.00",
                certno_seq=None, name=None, assistance_category="") -> Person:
    """An insured person (InsuredPersonFactory) enrolled as given; balance=None: no personal account."""
    account = {"account": None} if balance is None else {"account__balance": D(balance)}
    return InsuredPersonFactory(
        psn_no=psn_no, certno=certno_for(birth, certno_seq) if certno_seq is not None else None,
        name=name or f"参保人{psn_no}", gender=gender, birth_date=birth, enrollment__insutype=insutype,
        enrollment__psn_type=psn_type, enrollment__enrolled_from=enrolled_from, enrollment__enrolled_to=enrolled_to,
        enrollment__paid_through=paid_through, enrollment__assistance_category=assistance_category, **account)


def make_institution_user(institution: Institution, username: str, *, staff: bool = False):
    return institution_user(institution, username, staff=staff)


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.policy_2026 = DemoPolicyFactory(source_name="demo-city-2026.json")
    w.policy_2025 = DemoPolicyFactory(code="DEMO-2025", name="示范市2025年基本医疗保险待遇政策",
                                      effective_from=dt.date(2025, 1, 1), effective_to=dt.date(2025, 12, 31),
                                      source_name="demo-city-2025.json")
    for code, name, lv, prop, limit, restrict in CATALOG:
        CatalogItemFactory(med_list_codg=code, name=name, list_type="", chrg_lv=lv,
                           selfpay_prop=None if prop is None else D(prop),
                           price_limit=None if limit is None else D(limit), effective_from=dt.date(2025, 1, 1),
                           **restrict)
    w.inst_a = InstitutionFactory(fixmedins_code="H41080000001", name="示范市第一人民医院", level=3, region="410800")
    w.inst_b = InstitutionFactory(fixmedins_code="H41080000002", name="示范市中医院", level=2, region="410800")
    w.user_a, w.token_a = institution_user(w.inst_a, "h1_clerk")
    w.staff_a, w.staff_token_a = institution_user(w.inst_a, "h1_staff", staff=True)
    w.user_b, w.token_b = institution_user(w.inst_b, "h2_clerk")
    w.loner = UserFactory(username="no_institution")
    w.loner_token = TokenFactory(user=w.loner)
    w.employee = make_person("P0001", certno_seq=1, name="张伟")
    w.resident = make_person("P0002", insutype="390", psn_type="resident_adult", gender="2",
                             birth=dt.date(1985, 7, 15), balance=None, certno_seq=2, name="李娜")
    w.lapsed = make_person("P0003", enrolled_to=dt.date(2021, 12, 31), balance="0.00", name="王强")
    return w


def token_client(token: Token | None) -> APIClient:
    client = APIClient()
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


class APIHelpers:
    """Calls of the provider API by name; `client` defaults to institution A's clerk."""

    client: APIClient

    def register(self, psn_no="P0001", med_type="21", begntime=CASE01_BEGNTIME, client=None, **extra):
        body = {"psn_no": psn_no, "med_type": med_type, "begntime": begntime, **extra}
        return (client or self.client).post("/api/v1/visits/", body, format="json")

    def registered(self, **kwargs) -> str:
        response = self.register(**kwargs)
        assert response.status_code == 201, response.content
        return response.data["mdtrt_id"]

    def upload(self, mdtrt_id, lines, client=None):
        return (client or self.client).post(f"/api/v1/visits/{mdtrt_id}/fee-lines/", {"lines": lines},
                                            format="json")

    def discharge(self, mdtrt_id, endtime=CASE01_ENDTIME, client=None):
        return (client or self.client).post(f"/api/v1/visits/{mdtrt_id}/discharge/", {"endtime": endtime},
                                            format="json")

    def presettle(self, mdtrt_id, client=None, **body):
        return (client or self.client).post(f"/api/v1/visits/{mdtrt_id}/presettle/", body, format="json")

    def settle(self, mdtrt_id, client=None, **body):
        return (client or self.client).post(f"/api/v1/visits/{mdtrt_id}/settle/", body, format="json")

    def cancel_settlement(self, setl_id, reason="费用录入错误", client=None):
        return (client or self.client).post(f"/api/v1/settlements/{setl_id}/cancel/", {"reason": reason},
                                            format="json")

    def case01_visit(self, *, discharge=True, psn_no="P0001") -> str:
        """Case 01's admission registered, its lines uploaded and (by default) discharged."""
        mdtrt_id = self.registered(psn_no=psn_no)
        assert self.upload(mdtrt_id, CASE01_LINES).status_code == 200
        if discharge:
            assert self.discharge(mdtrt_id).status_code == 200
        return mdtrt_id

    def settled_case01(self, setl_time=CASE01_SETL_TIME, psn_no="P0001") -> dict:
        mdtrt_id = self.case01_visit(psn_no=psn_no)
        response = self.settle(mdtrt_id, client=self.staff_client, setl_time=setl_time)
        assert response.status_code == 201, response.content
        return response.data["setlinfo"]

    def assert_error(self, response, status: int, code: str, field: str | None = None, line="any") -> dict:
        """The answer is `status` with the one error shape, and one of its errors has this code."""
        assert response.status_code == status, (response.status_code, getattr(response, "data", response.content))
        errors = response.json()["errors"]
        assert errors and all(set(e) == {"line", "field", "code", "message"} for e in errors), errors
        matching = [e for e in errors if e["code"] == code and (field is None or e["field"] == field)
                    and (line == "any" or e["line"] == line)]
        assert matching, errors
        assert all(e["message"] for e in errors)
        return matching[0]

    @staticmethod
    def accumulators(person) -> dict:
        return {(a.year, a.kind, a.key): a.amount for a in Accumulator.objects.filter(person=person)}


class APITestBase(APIHelpers, APITestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = build_world()

    def setUp(self):
        self.client = token_client(self.w.token_a)
        self.staff_client = token_client(self.w.staff_token_a)
        self.other_client = token_client(self.w.token_b)
