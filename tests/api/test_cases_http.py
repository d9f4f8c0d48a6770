"""Every shared case file (../shared/cases/*.json), and the project's with a stored layer (docs/benefit-layers.md),
replayed end to end through the HTTP API.

Reference data (policy, catalog, institutions, persons and their year so far) is loaded with the
case runner; then each visit is registered, uploaded and discharged over HTTP by a token of its own
institution, and settled over HTTP at the case's setl_time (a staff token: setl_time is a staff-only
field) in the spec's order (setl_time, mdtrt_id). Every expected amount and line split must match
the answer to the fen, and the stored settlement must answer the same.
"""
import json

import pytest
from rest_framework.test import APIClient

from claims.cases import load_qualifications, load_reference_data, local
from insurance.models import Institution
from policy_rules.engine.adjudicate import LAYER_COLUMNS
from policy_rules.engine.cases import SETL_FIELDS, validate_case

from .base import CASES_DIR, ROOT, make_institution_user

# the project's case files (docs/benefit-layers.md), 门慢特's with its qualifications imported as the runner does
PROJECT_CASE_FILES = [ROOT / "policy_rules" / "fixtures" / "cases" / f"{n}.json"
                      for n in ("civil-servant", "veterans", "maternity", "chronic-diseases")]
CASE_FILES = sorted(CASES_DIR.glob("*.json")) + PROJECT_CASE_FILES
LINE_FIELDS = {"fulamt_ownpay_amt": "fulamt_ownpay_amt", "overlmt_selfpay": "overlmt_amt",
               "preselfpay_amt": "preselfpay_amt", "inscp_scp_amt": "inscp_scp_amt", "reason": "reason"}


def test_the_shared_case_files_are_there():
    assert len(CASE_FILES) >= 11 + len(PROJECT_CASE_FILES), f"expected the shared case files in {CASES_DIR}"


def clients_of_institutions() -> dict[str, APIClient]:
    clients = {}
    for inst in Institution.objects.all():
        _user, token = make_institution_user(inst, f"replay-{inst.fixmedins_code}", staff=True)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        clients[inst.fixmedins_code] = client
    return clients


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_file_over_http_matches_to_the_fen(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    validate_case(doc)
    load_reference_data(doc)
    load_qualifications(doc)
    clients = clients_of_institutions()

    platform_id = {}  # the case's mdtrt_id → the one the platform assigned
    for v in doc["visits"]:
        client = clients[v["fixmedins_code"]]
        visit = ok(client.post("/api/v1/visits/", {"psn_no": v["psn_no"], "med_type": v["med_type"],
                                                   "begntime": v["begntime"],
                                                   **{f: v[f] for f in ("dise_codg", "matn_type") if f in v}},
                               format="json"), 201)
        mdtrt_id = platform_id[v["mdtrt_id"]] = visit["mdtrt_id"]
        uploaded = ok(client.post(f"/api/v1/visits/{mdtrt_id}/fee-lines/", {"lines": v["lines"]}, format="json"))
        assert uploaded["created"] == len(v["lines"])
        if v.get("endtime"):
            ok(client.post(f"/api/v1/visits/{mdtrt_id}/discharge/", {"endtime": v["endtime"]}, format="json"))

    answers = {}
    for v in sorted(doc["visits"], key=lambda v: (local(v["setl_time"]), v["mdtrt_id"])):
        client = clients[v["fixmedins_code"]]
        mdtrt_id = platform_id[v["mdtrt_id"]]
        answers[v["mdtrt_id"]] = ok(client.post(f"/api/v1/visits/{mdtrt_id}/settle/",
                                                {"setl_time": v["setl_time"]}, format="json"), 201)
        stored = ok(client.get(f"/api/v1/settlements/{answers[v['mdtrt_id']]['setlinfo']['setl_id']}/"))
        assert stored == answers[v["mdtrt_id"]]

    assert set(answers) == set(doc["expected"])
    differences = []
    for case_id, expected in doc["expected"].items():
        info, detail = answers[case_id]["setlinfo"], answers[case_id]["setldetail"]
        for field in (*SETL_FIELDS, *(f for f in LAYER_COLUMNS if f in expected["setl"])):
            if info[field] != expected["setl"][field]:
                differences.append(f"{case_id} {field}: expected {expected['setl'][field]}, got {info[field]}")
        if info["ineligible_reason"] != (expected.get("ineligible_reason") or ""):
            differences.append(f"{case_id} ineligible_reason: expected {expected.get('ineligible_reason')}, "
                               f"got {info['ineligible_reason']}")
        by_sn = {line["feedetl_sn"]: line for line in detail}
        # the project's files name only the lines and fields their worked example computes
        partial = path in PROJECT_CASE_FILES
        expected_lines = expected.get("lines") or []
        expected_sns = {line["feedetl_sn"] for line in expected_lines}
        assert expected_sns <= set(by_sn) if partial else expected_sns == set(by_sn)
        for line in expected_lines:
            for field, answered in LINE_FIELDS.items():
                if partial and field not in line:
                    continue
                want = line.get(field) or "" if field == "reason" else line[field]
                if by_sn[line["feedetl_sn"]][answered] != want:
                    differences.append(f"{case_id}#{line['feedetl_sn']} {field}: expected {want}, "
                                       f"got {by_sn[line['feedetl_sn']][answered]}")
    assert differences == [], "\n".join(differences)
