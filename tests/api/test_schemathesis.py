"""Schemathesis over the whole OpenAPI schema (issue 15): every operation, with bodies, queries and path
parameters generated from the schema, answers without a server error and as its schema says, for an
institution's token and for a bureau caseworker's. Bounded (MAX_EXAMPLES per operation) and derandomized, so
that the run is the same every time and takes a few minutes at most."""
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from claims.permissions import CASEWORKER
from claims.roles import ensure_roles
from tests.factories import TokenFactory, UserFactory

from .base import APIHelpers, build_world, token_client

MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, response_schema_conformance]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def world(db):
    """The API's users (institution A's clerk, and a caseworker of the bureau: no institution, 403 everywhere),
    and objects for the path parameters: a settled and reversed visit, a discharged one not settled."""
    w = build_world()
    caseworker = UserFactory(username="jingban")
    caseworker.groups.add(ensure_roles()[CASEWORKER])
    calls = APIHelpers()
    calls.client, calls.staff_client = token_client(w.token_a), token_client(w.staff_token_a)
    setl_id = calls.settled_case01()["setl_id"]
    assert calls.cancel_settlement(setl_id).status_code == 201
    return {"tokens": {"institution": w.token_a.key, "caseworker": TokenFactory(user=caseworker).key},
            "path": {"mdtrt_id": calls.case01_visit(psn_no="P0002"), "setl_id": setl_id, "psn_no": "P0001"}}


@pytest.fixture
def in_test_transaction(world):
    """The WSGI app serves inside the test's transaction: no closing of the connection between requests (what
    Django's test client does too; after `world`, whose test-client calls connect the signals again)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("who", ["institution", "caseworker"])
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request_as_its_schema_says(case, who, world, in_test_transaction):
    # existing objects in the path (a generated one is a 404 and shows nothing of the answers' shapes)
    for name, value in world["path"].items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
    case.call_and_validate(headers={"Authorization": f"Token {world['tokens'][who]}"}, checks=CHECKS)
