"""Production settings (docs/security.md): `manage.py check --deploy` prints no warning with DEBUG off and only
the variables an operator must give; SECRET_KEY is required; the cache never shares the broker's Redis
database; HTTPS redirects spare the health check; and a proxy's X-Forwarded-Proto counts only when asked."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
# The environment of a production process: nothing of the developer's (DEBUG, the security switches) leaks in,
# nor the test session's own (the browser tests allow Django's ORM inside Playwright's event loop).
CLEARED = ("DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
           "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
           "CACHE_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")


def production_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="yibao.example.gov.cn")
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_debug_off():
    done = run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], production_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout, done.stdout + done.stderr
    assert "WARNING" not in done.stdout + done.stderr


def test_check_deploy_is_clean_behind_a_tls_proxy_with_a_shared_cache():
    env = production_env(SECURE_PROXY_SSL_HEADER="1", CACHE_URL="redis://127.0.0.1:6379/1",
                         CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    done = run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], env)
    assert done.returncode == 0 and "no issues (0 silenced)" in done.stdout, done.stdout + done.stderr


def test_compose_plain_http_switches_are_the_only_warnings():
    """docker-compose.yml serves plain HTTP on its port by default: exactly the switches it turns off warn."""
    env = production_env(SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0")
    done = run(["manage.py", "check", "--deploy"], env)
    warned = {w for w in ("W004", "W008", "W012", "W016") if f"security.{w}" in done.stdout + done.stderr}
    assert warned == {"W008", "W012", "W016"}, done.stdout + done.stderr


@pytest.mark.parametrize("extra, message", [
    ({"SECRET_KEY": ""}, "SECRET_KEY must be set when DEBUG is off"),
    ({"CACHE_URL": "redis://redis:6379/0", "CELERY_BROKER_URL": "redis://redis:6379"},
     "CACHE_URL must name another Redis database than CELERY_BROKER_URL"),
    ({"API_THROTTLE_PERSON_LOOKUP_RATE": "sixty a minute"}, "person_lookup throttle rate must read like"),
    ({"AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT must be between 1"),
])
def test_settings_refuse_an_unsafe_or_wrong_value(extra, message):
    done = run(["-c", "import config.settings"], production_env(**extra))
    assert done.returncode != 0 and message in done.stderr, done.stderr


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_except_the_health_check(client, db):
    assert client.get("/healthz").status_code == 200
    response = client.get("/accounts/login/")
    assert response.status_code == 301 and response["Location"].startswith("https://")


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_behind_a_proxy_its_https_header_counts(client, db):
    assert client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="http").status_code == 301
