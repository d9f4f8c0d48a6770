"""Declarative access tests for the provider API (in the manner of NetBox's APIViewTestCases).

A test module declares one class per route, mixing one of the two classes below into APITestBase:

    class VisitDischarge(InstitutionScopedEndpointTests, APITestBase):
        url_name = "visit-discharge"
        methods = ("post",)
        body = {"endtime": CASE01_ENDTIME}

        def make_object(self, institution):
            return {"mdtrt_id": registered_visit(self, institution)}

InstitutionEndpointTests (every route of the API) gives each declared route, for each of its methods:
  - 401 NOT_AUTHENTICATED without a token and 401 AUTHENTICATION_FAILED with a bad one,
  - 403 PERMISSION_DENIED for a logged-in user linked to no institution,
  - and nothing changed in the database by any of these (a snapshot of the money tables, before and after);
  - the owner (institution A's clerk) reaching it: a 2xx answer.
InstitutionScopedEndpointTests (routes to one institution's object) adds:
  - 404 NOT_FOUND — not 403, not 200 — when institution B's clerk or B's staff user asks for A's object,
    again with nothing changed.

Declarations live in tests/**/test_isolation_*.py; tests/api/test_api_routes_covered.py fails when a route of
the API has no declaration (or a declaration names a route that does not exist).
"""
from __future__ import annotations

import shutil
import tempfile

from django.apps import apps
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from tests.factories import institution_user

from .base import CASE01_LINES, CASE01_SETL_TIME, token_client

API_NAMESPACE = "claims-api"
BAD_TOKEN = "Token 0000000000000000000000000000000000000000"

# The tables a request of the wrong user must never change: money (settlements, accounts, accumulators,
# deductions) and what it is computed from (visits, fee lines, uploads), and the review's records. By model
# name, in whatever app the model lives (the claims app is being split into packages and a review app).
MONEY_MODELS = (
    "Visit", "FeeLine", "Upload", "UploadJob", "Settlement", "SettlementLine", "Accumulator",
    "SettlementAccumulation", "PersonalAccount", "AccountMovement", "AuditHit", "SuspectItem", "Appeal",
    "ReviewEvent", "AuditDeduction",
)


def money_models() -> dict:
    found = {}
    for model in apps.get_models():
        name = model._meta.object_name
        if name in MONEY_MODELS:
            assert name not in found, f"two models named {name}: {found[name]} and {model}"
            found[name] = model
    missing = set(MONEY_MODELS) - set(found)
    assert not missing, f"money models not found (renamed?): {sorted(missing)}"
    return found


def money_snapshot() -> dict[str, list[dict]]:
    """Every row of the money tables, as values, in primary-key order."""
    return {name: list(model.objects.order_by("pk").values()) for name, model in sorted(money_models().items())}


class InstitutionEndpointTests:
    """Access tests for one route of the provider API; mix into APITestBase (see the module's docstring).

    url_name: the route's name in `namespace`; methods: the HTTP methods it serves (lower case);
    body: the data sent with every method but GET (query parameters with GET when `query` is set);
    format: how the body is encoded ("json" or "multipart")."""

    namespace: str = API_NAMESPACE
    url_name: str = ""
    methods: tuple[str, ...] = ("get",)
    body: dict | None = None
    query: dict | None = None
    format: str = "json"

    def setUp(self):
        super().setUp()
        self.loner_client = token_client(self.w.loner_token)
        self.anonymous_client = APIClient()
        self.bad_token_client = APIClient()
        self.bad_token_client.credentials(HTTP_AUTHORIZATION=BAD_TOKEN)

    # --- what a declaration may override -------------------------------------------------------------

    def url_kwargs(self) -> dict:
        return {}

    def request_data(self, method: str):
        """The data sent with `method`; override for data that cannot be sent twice (an uploaded file)."""
        return self.query if method == "get" else self.body

    # --- helpers ---------------------------------------------------------------------------------------

    @classmethod
    def route(cls) -> str:
        return f"{cls.namespace}:{cls.url_name}"

    def url(self) -> str:
        return reverse(self.route(), kwargs=self.url_kwargs())

    def call(self, client: APIClient, method: str):
        options = {} if method == "get" else {"format": self.format}
        return getattr(client, method)(self.url(), self.request_data(method), **options)

    def assert_denied_everywhere(self, client: APIClient, status: int, code: str) -> None:
        before = money_snapshot()
        for method in self.methods:
            with self.subTest(method=method):
                self.assert_error(self.call(client, method), status, code)
        assert money_snapshot() == before, "a refused request changed the database"

    # --- the tests every declaration gets ----------------------------------------------------------------

    def test_no_token_gets_401(self):
        self.assert_denied_everywhere(self.anonymous_client, 401, "NOT_AUTHENTICATED")

    def test_a_bad_token_gets_401(self):
        self.assert_denied_everywhere(self.bad_token_client, 401, "AUTHENTICATION_FAILED")

    def test_a_user_without_an_institution_gets_403(self):
        self.assert_denied_everywhere(self.loner_client, 403, "PERMISSION_DENIED")

    def test_the_owner_reaches_it(self):
        for method in self.methods:
            with self.subTest(method=method):
                response = self.call(self.client, method)
                assert 200 <= response.status_code < 300, (method, response.status_code, response.content[:500])


class InstitutionScopedEndpointTests(InstitutionEndpointTests):
    """Access tests for a route to one institution's object: make_object(institution) makes it (for A, the
    owner) and returns the route's URL kwargs. Another institution's users get 404 and change nothing."""

    def make_object(self, institution) -> dict:
        raise NotImplementedError(f"{type(self).__name__} declares no make_object(institution)")

    def setUp(self):
        super().setUp()
        _, staff_token_b = institution_user(self.w.inst_b, "h2_staff", staff=True)
        self.other_staff_client = token_client(staff_token_b)  # even B's staff cannot reach A's data
        self.object_kwargs = self.make_object(self.w.inst_a)

    def url_kwargs(self) -> dict:
        return self.object_kwargs

    def clients_of(self, institution) -> tuple[APIClient, APIClient]:
        """(clerk, staff user) API clients of institution A or B, for make_object."""
        if institution == self.w.inst_a:
            return self.client, self.staff_client
        assert institution == self.w.inst_b, institution
        return self.other_client, self.other_staff_client

    def test_another_institution_gets_404_and_changes_nothing(self):
        for name, client in (("clerk", self.other_client), ("staff", self.other_staff_client)):
            with self.subTest(user=f"institution B's {name}"):
                self.assert_denied_everywhere(client, 404, "NOT_FOUND")


class TemporaryMediaRoot:
    """MEDIA_ROOT in a temporary directory for the test class (upload jobs store their files)."""

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


# --- the routes of the URL conf --------------------------------------------------------------------------

def _walk(patterns, prefix: str = "", namespaces: tuple[str, ...] = ()):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), ":".join((*namespaces, pattern.name or "?")), pattern.callback


def view_methods(callback) -> set[str]:
    """The HTTP methods a route's view answers, but OPTIONS (the metadata every DRF view has) and HEAD (GET
    without the body, wherever there is a GET)."""
    actions = getattr(callback, "actions", None)  # a viewset's as_view({"get": "list", ...})
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if actions:
        methods = set(actions)
    elif view_class is not None:
        methods = {m for m in view_class.http_method_names if hasattr(view_class, m)}
    else:  # a plain function view: assume it answers what a form or a client would send
        methods = {"get", "post"}
    return methods - {"options", "head"}


def api_routes(prefix: str = "api/") -> dict[tuple[str, str], str]:
    """{(route name, method): route} for every route under `prefix` in the project's URL conf."""
    found = {}
    for route, name, callback in _walk(get_resolver().url_patterns):
        if route.startswith(prefix):
            for method in view_methods(callback):
                found[(name, method)] = route
    return found


def declarations(base: type = InstitutionEndpointTests) -> list[type]:
    """Every concrete declaration (a subclass with a url_name) imported so far."""
    found, todo = [], list(base.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.url_name:
            found.append(cls)
    return found


# --- objects of an institution, made through the API as its own users -----------------------------------

def registered_visit(test: InstitutionScopedEndpointTests, institution, *, psn_no: str = "P0001", lines=None,
                     discharge: bool = False) -> str:
    """Case 01's admission of psn_no at `institution`, its fee lines uploaded (unless lines=[]) and, if asked,
    discharged; returns the mdtrt_id."""
    clerk, _ = test.clients_of(institution)
    mdtrt_id = test.registered(psn_no=psn_no, client=clerk)
    lines = CASE01_LINES if lines is None else lines
    if lines:
        response = test.upload(mdtrt_id, lines, client=clerk)
        assert response.status_code == 200, response.content
    if discharge:
        response = test.discharge(mdtrt_id, client=clerk)
        assert response.status_code == 200, response.content
    return mdtrt_id


def settled_visit(test: InstitutionScopedEndpointTests, institution, *, psn_no: str = "P0001") -> dict:
    """Case 01 settled at `institution` by its staff user on 2026-03-10; returns the setlinfo."""
    mdtrt_id = registered_visit(test, institution, psn_no=psn_no, discharge=True)
    _, staff = test.clients_of(institution)
    response = test.settle(mdtrt_id, client=staff, setl_time=CASE01_SETL_TIME)
    assert response.status_code == 201, response.content
    return response.data["setlinfo"]
