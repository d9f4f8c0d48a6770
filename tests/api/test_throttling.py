"""Rate limits of the provider API (docs/security.md): per token, per address before sign-in, and a stricter
one for person look-ups, each answered 429 in the API's error shape with Retry-After; person look-ups logged,
identity numbers masked; no identity number in any URL the schema documents.

The rates are lowered for each test (the settings' rates are read at each request, claims/api/throttles.py);
the counts start empty for every test (tests/conftest.py clears the cache)."""
from __future__ import annotations

import copy

from django.conf import settings
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from .base import APITestBase


def rates(**lowered):
    """REST_FRAMEWORK with some throttle rates replaced."""
    config = copy.deepcopy(settings.REST_FRAMEWORK)
    config["DEFAULT_THROTTLE_RATES"].update(lowered)
    return override_settings(REST_FRAMEWORK=config)


class ThrottleTests(APITestBase):
    def assert_throttled(self, response):
        error = self.assert_error(response, 429, "THROTTLED", field="")
        assert int(response["Retry-After"]) > 0
        return error

    def test_a_token_over_its_rate_gets_429_with_retry_after_and_other_tokens_go_on(self):
        with rates(user="3/min"):
            assert [self.client.get("/api/v1/visits/").status_code for _ in range(3)] == [200, 200, 200]
            error = self.assert_throttled(self.client.get("/api/v1/visits/"))
            assert 0 < int(self.client.get("/api/v1/visits/")["Retry-After"]) <= 60
            assert self.other_client.get("/api/v1/visits/").status_code == 200
        assert error["message"]  # DRF's words, in the request's language

    def test_the_429_speaks_the_requests_language(self):
        with rates(user="1/min"):
            self.client.get("/api/v1/visits/")
            zh = self.client.get("/api/v1/visits/", HTTP_ACCEPT_LANGUAGE="zh-hans")
            en = self.client.get("/api/v1/visits/", HTTP_ACCEPT_LANGUAGE="en")
        assert "限流" in self.assert_throttled(zh)["message"]
        assert "throttled" in self.assert_throttled(en)["message"]

    def test_requests_without_credentials_are_limited_per_address(self):
        # The API's routes answer 401 before any count (DRF checks permissions first; a token has 160 random
        # bits); the public schema, which is costly to build, is counted per address.
        anonymous = APIClient()
        assert anonymous.get("/api/v1/visits/").status_code == 401
        with rates(anon="1/min"):
            assert anonymous.get("/api/schema/").status_code == 200
            # a forged X-Forwarded-For does not make a new address (API_NUM_PROXIES is 0)
            for response in (anonymous.get("/api/schema/"),
                             anonymous.get("/api/schema/", HTTP_X_FORWARDED_FOR="10.9.8.7")):
                assert response.status_code == 429 and int(response["Retry-After"]) > 0
                assert [e["code"] for e in response.data["errors"]] == ["THROTTLED"]  # the API's one shape
            assert self.client.get("/api/v1/visits/").status_code == 200  # a valid token is counted per user

    def test_person_lookups_have_their_own_stricter_rate(self):
        certno = self.w.employee.certno
        with rates(person_lookup="3/min"):
            assert self.client.get("/api/v1/persons/P0001/").status_code == 200
            assert self.client.get("/api/v1/persons/P9999/").status_code == 404  # a miss counts too
            assert self.client.post("/api/v1/persons/search/", {"certno": certno}, format="json").status_code == 200
            self.assert_throttled(self.client.get("/api/v1/persons/P0002/"))
            self.assert_throttled(self.client.post("/api/v1/persons/search/", {"certno": certno}, format="json"))
            # the rest of the API is not held up, and another institution's token has its own count
            assert self.client.get("/api/v1/visits/").status_code == 200
            assert self.other_client.get("/api/v1/persons/P0002/").status_code == 200

    def test_walking_the_register_is_stopped_at_the_daily_rate(self):
        with rates(person_lookup="100/min", person_lookup_day="5/day"):
            answers = [self.client.get(f"/api/v1/persons/P{n:04d}/").status_code for n in range(1, 9)]
        assert answers[:5] != [429] * 5 and answers[5:] == [429, 429, 429]

    def test_every_person_lookup_is_logged_with_who_and_the_id_number_masked(self):
        certno = self.w.resident.certno
        with self.assertLogs("yibao.lookups", "INFO") as logs:
            self.client.get("/api/v1/persons/P0001/")
            self.client.get("/api/v1/persons/P9999/")
            self.client.post("/api/v1/persons/search/", {"certno": certno}, format="json")
        text = "\n".join(logs.output)
        user, code = self.w.user_a.username, self.w.inst_a.fixmedins_code
        assert len(logs.records) == 3
        assert f"by psn_no='P0001' user={user} institution={code} found=P0001" in logs.output[0]
        assert "psn_no='P9999'" in logs.output[1] and logs.output[1].endswith("found=-")
        assert f"certno='{certno[:6]}********{certno[-4:]}'" in logs.output[2] and "found=P0002" in logs.output[2]
        assert certno not in text


def test_no_documented_url_carries_an_identity_number():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    in_urls = [(path, method, p["name"]) for path, ops in schema["paths"].items() for method, op in ops.items()
               for p in op.get("parameters", []) if p["in"] in ("query", "path") and "cert" in p["name"].lower()]
    assert in_urls == []
    search = schema["paths"]["/api/v1/persons/search/"]["post"]
    assert search["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/PersonSearch")
    assert "certno" in schema["components"]["schemas"]["PersonSearch"]["properties"]
    assert "429" in search["responses"]
