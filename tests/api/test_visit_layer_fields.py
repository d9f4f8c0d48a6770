"""The layers' visit fields at the edge (docs/benefit-layers.md): dise_codg and matn_type accepted at registration
[2401] and matn_type at discharge [2402], each bad value a 400 naming the field, nothing written; a settlement's
answer [2304] carries the layers' amounts by their national names."""
import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from claims.cases import load_reference_data
from claims.models import Visit
from insurance.models import Institution

from .base import make_institution_user

MATERNITY = Path(__file__).resolve().parents[2] / "policy_rules" / "fixtures" / "cases" / "maternity.json"
LINES = [{"feedetl_sn": "1", "med_list_codg": "XJIA001", "cnt": "1", "pric": "4200.00", "det_item_fee_sumamt": "4200.00"},
         {"feedetl_sn": "2", "med_list_codg": "XBING01", "cnt": "1", "pric": "300.00", "det_item_fee_sumamt": "300.00"}]


@pytest.fixture
def client(db):
    load_reference_data(json.loads(MATERNITY.read_text(encoding="utf-8")))
    _user, token = make_institution_user(Institution.objects.get(), "maternity-api", staff=True)
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return c


def register(client, **fields):
    body = {"psn_no": "W1", "med_type": "52", "begntime": "2026-08-10T08:00:00", **fields}
    return client.post("/api/v1/visits/", body, format="json")


def error_of(response, field: str) -> dict:
    assert response.status_code == 400, response.content.decode()
    errors = [e for e in response.json()["errors"] if e["field"] == field]
    assert errors and all(e["message"] for e in errors), response.json()
    return errors[0]


def test_bad_layer_fields_at_registration_are_400s_naming_the_field(client):
    assert error_of(register(client, matn_type="9"), "matn_type")["code"] == "INVALID_CHOICE"
    assert error_of(register(client, med_type="21", matn_type="1"), "matn_type")["code"] == "NOT_ALLOWED"
    assert error_of(register(client, dise_codg="M03900\x00"), "dise_codg")["code"] == "CONTROL_CHARACTER"
    assert error_of(register(client, dise_codg="M" * 31), "dise_codg")["code"] == "MAX_LENGTH"
    assert not Visit.objects.exists()


def test_a_delivery_gets_its_kind_by_discharge_and_settles_with_the_layers_amounts(client):
    visit = register(client)
    assert visit.status_code == 201, visit.content.decode()
    assert visit.json()["matn_type"] == "" and visit.json()["dise_codg"] == ""
    mdtrt_id = visit.json()["mdtrt_id"]
    assert client.post(f"/api/v1/visits/{mdtrt_id}/fee-lines/", {"lines": LINES}, format="json").status_code == 200
    missing = client.post(f"/api/v1/visits/{mdtrt_id}/discharge/", {"endtime": "2026-08-10T10:00:00"}, format="json")
    assert error_of(missing, "matn_type")["code"] == "REQUIRED"
    assert Visit.objects.get(mdtrt_id=mdtrt_id).endtime is None
    done = client.post(f"/api/v1/visits/{mdtrt_id}/discharge/", {"endtime": "2026-08-10T10:00:00", "matn_type": "1"},
                       format="json")
    assert done.status_code == 200 and done.json()["matn_type"] == "1"
    settled = client.post(f"/api/v1/visits/{mdtrt_id}/settle/", {"setl_time": "2026-08-10T10:00:00"}, format="json")
    assert settled.status_code == 201, settled.content.decode()
    info = settled.json()["setlinfo"]
    assert (info["matn_pay"], info["matn_alwn_amt"], info["fund_pay_sumamt"]) == ("3800.00", "29037.01", "3800.00")
    assert (info["cvlserv_pay"], info["hifdm_pay"], info["oth_pay"]) == ("0.00", "0.00", "0.00")
    stored = client.get(f"/api/v1/settlements/{info['setl_id']}/").json()["setlinfo"]
    assert stored["matn_alwn_amt"] == "29037.01"
    cancelled = client.post(f"/api/v1/settlements/{info['setl_id']}/cancel/", {"reason": "重复结算"}, format="json")
    assert cancelled.status_code in (200, 201), cancelled.content.decode()
    reversal = cancelled.json()["setlinfo"]
    assert reversal["kind"] == "reversal" and (reversal["matn_pay"], reversal["matn_alwn_amt"]) == ("3800.00", "29037.01")
