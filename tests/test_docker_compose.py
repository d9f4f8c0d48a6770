"""docker-compose.yml read as Compose reads it: no Docker engine runs here or on CI, so these checks are what
keeps the file honest (services and dependencies exist, interpolations have defaults, PostgreSQL settings exist)."""
import re
from pathlib import Path

import pytest
import yaml
from django.db import connection

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, and $$ for a literal $."""
    def one(m):
        name, op, arg = m["name"], m["op"], m["arg"]
        if env.get(name):
            return env[name]
        if op == ":-":
            return arg
        raise KeyError(f"{name} is required: {arg}" if op == ":?" else f"{name} has no default")
    return VARIABLE.sub(one, value).replace("$$", "$")


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def postgres_settings(env: dict[str, str] | None = None) -> dict[str, str]:
    command = [interpolate(part, env or {}) for part in compose()["services"]["postgres"]["command"]]
    assert command[0] == "postgres"
    flags, values = command[1::2], command[2::2]
    assert set(flags) == {"-c"} and len(flags) == len(values)
    return dict(v.split("=", 1) for v in values)


def test_dependencies_are_services():
    services = compose()["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown service {dependency}"


def test_only_the_secret_key_must_be_given():
    text = COMPOSE.read_text()
    required = {m["name"] for m in VARIABLE.finditer(text) if m["op"] == ":?"}
    bare = {m["name"] for m in VARIABLE.finditer(text) if m["op"] is None}
    assert required == {"SECRET_KEY"}
    assert bare == set()


def test_postgres_settings_take_their_defaults_and_overrides():
    defaults = postgres_settings()
    assert defaults["shared_buffers"] == "1GB"
    assert defaults["max_wal_size"] == "8GB"
    assert postgres_settings({"POSTGRES_SHARED_BUFFERS": "6GB"})["shared_buffers"] == "6GB"
    assert interpolate(compose()["services"]["postgres"]["shm_size"], {}) == "1g"


@pytest.mark.django_db
def test_postgres_settings_exist_with_valid_values():
    if connection.vendor != "postgresql":
        pytest.skip("the settings are checked against a PostgreSQL server (make test runs one)")
    with connection.cursor() as cursor:
        for name, value in postgres_settings().items():
            cursor.execute("SELECT context, unit FROM pg_settings WHERE name = %s", [name])
            row = cursor.fetchone()
            assert row is not None, f"PostgreSQL has no setting {name}"
            if row[0] in ("user", "superuser"):
                # settable in a session: the server parses the value as it would at start
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
            else:
                assert re.fullmatch(r"\d+(kB|MB|GB|TB|min|s|ms)?|\d+\.\d+", value), f"{name}={value}"


def test_the_app_serves_plain_http_by_default_and_keeps_its_cache_off_the_broker():
    """The stack publishes plain HTTP, so its HTTPS switches default off and can be turned on behind a TLS
    proxy (tests/test_deploy_settings.py: then check --deploy is clean); the cache is not the broker's
    Redis database (clearing it would empty Celery's queue)."""
    env = compose()["x-app"]["environment"]
    switches = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER")
    assert {name: interpolate(env[name], {}) for name in switches} == dict.fromkeys(switches, "0")
    assert {name: interpolate(env[name], {name: "1"}) for name in switches} == dict.fromkeys(switches, "1")
    assert env["DEBUG"] == "0"
    broker, cache = env["CELERY_BROKER_URL"], env["CACHE_URL"]
    assert broker.rsplit("/", 1)[0] == cache.rsplit("/", 1)[0] and broker.rsplit("/", 1)[1] != cache.rsplit("/", 1)[1]
