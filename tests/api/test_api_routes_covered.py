"""Every route of the API is declared for the access tests of tests/api/isolation.py: a new route (or a new
method on a route) without a declaration fails here, and so does a declaration of a route that is gone."""
import importlib
from decimal import Decimal
from pathlib import Path

from core.ledger import money_writes
from insurance.models import PersonalAccount
from tests.factories import PersonalAccountFactory

from .isolation import api_routes, declarations, money_snapshot

TESTS = Path(__file__).resolve().parents[1]

# Routes under /api/ that are not the provider API, with why they need no access tests.
NOT_INSTITUTION_SCOPED = {
    # the OpenAPI document and its browsable page are public: they describe the API, they hold no data
    ("schema", "get"),
    ("schema-ui", "get"),
}


def declared() -> dict[tuple[str, str], str]:
    """{(route name, method): declaring class} from every tests/**/test_isolation_*.py."""
    for path in sorted(TESTS.rglob("test_isolation_*.py")):
        importlib.import_module(".".join(path.relative_to(TESTS.parent).with_suffix("").parts))
    found = {}
    for cls in declarations():
        for method in cls.methods:
            key = (cls.route(), method)
            assert key not in found, f"{key} declared twice: {found[key]} and {cls.__module__}.{cls.__qualname__}"
            found[key] = f"{cls.__module__}.{cls.__qualname__}"
    return found


def test_every_api_route_is_declared():
    routes = api_routes()
    missing = sorted(set(routes) - set(declared()) - NOT_INSTITUTION_SCOPED)
    assert not missing, "API routes without access tests; declare them in a tests/**/test_isolation_*.py " \
                        f"module (tests/api/isolation.py): {[(name, method, routes[name, method]) for name, method in missing]}"


def test_every_declaration_names_an_api_route():
    routes = api_routes()
    stale = sorted((key, cls) for key, cls in declared().items() if key not in routes)
    assert not stale, f"declarations of routes or methods the URL conf does not have: {stale}"
    assert NOT_INSTITUTION_SCOPED <= set(routes), sorted(NOT_INSTITUTION_SCOPED - set(routes))


def test_the_walk_sees_the_routes():
    # the guard is only as good as the walk of the URL conf: it must find known routes and their methods
    routes = api_routes()
    assert ("claims-api:visit-list", "post") in routes and ("claims-api:visit-fee-lines", "get") in routes
    assert ("claims-api:reconciliation", "post") in routes and ("claims-api:reconciliation", "get") not in routes
    assert not any(name.startswith("admin:") for name, _ in routes)


def test_the_money_snapshot_sees_a_new_row_and_a_changed_one(db):
    # "nothing changed" in the access tests is only as good as the snapshot
    before = money_snapshot()
    account = PersonalAccountFactory(balance=Decimal("10.00"))
    after_insert = money_snapshot()
    assert after_insert != before
    with money_writes():  # a changed balance, as a settlement would make it
        PersonalAccount.objects.filter(pk=account.pk).update(balance=Decimal("10.01"))
    assert money_snapshot() != after_insert
