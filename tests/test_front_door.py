"""The front door: home page in both languages, health check, demo login, PostgreSQL pre-check."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command

from config import stats
from insurance.models import Institution, InstitutionUser

ROOT = Path(__file__).resolve().parent.parent
NAME_ZH = "医保结算审核平台"
NAME_EN = "Medical Insurance Settlement and Audit Platform"


@pytest.mark.django_db
def test_home_is_chinese_by_default(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    html = response.content.decode()
    assert NAME_ZH in html
    assert "首页" in html and "管理后台" in html and "API 文档" in html
    assert '<html lang="zh-hans">' in html


@pytest.mark.django_db
def test_home_in_english_by_accept_language(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert NAME_EN in html
    assert NAME_ZH not in html
    assert '<html lang="en">' in html


@pytest.mark.django_db
def test_language_switcher_sets_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert NAME_EN in client.get("/").content.decode()


def test_htmx_is_served_from_static_not_a_cdn():
    assert finders.find("vendor/htmx/htmx.min.js")
    assert (ROOT / "static/vendor/htmx/LICENSE").is_file()
    base = (ROOT / "templates/base.html").read_text(encoding="utf-8")
    assert "{% static 'vendor/htmx/htmx.min.js' %}" in base
    assert "://" not in base, "base.html must not load anything from another site"


@pytest.mark.django_db
def test_home_shows_counts_only_when_logged_in(client):
    anonymous = client.get("/")
    assert anonymous.context["counts"] == []

    user = get_user_model().objects.create_user("reviewer", password="x-unused-1")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    counts = response.context["counts"]
    assert counts == stats.platform_counts()
    html = response.content.decode()
    for label, value in counts:
        assert str(label) in html
        assert value == 0


@pytest.mark.django_db
def test_counts_leave_out_missing_models(monkeypatch):
    monkeypatch.setattr(
        stats,
        "COUNTED_MODELS",
        [("auth", "User", "users"), ("insurance", "NoSuchModel", "missing"), ("nope", "Nope", "gone")],
    )
    get_user_model().objects.create_user("someone")
    assert stats.platform_counts() == [("users", 1)]


@pytest.mark.django_db
def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_ensure_demo_user_is_idempotent(monkeypatch, capsys, settings):
    settings.DEBUG = True  # development only (pytest-django runs with DEBUG off): refused otherwise, below
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("ensure_demo_user")
    user = get_user_model().objects.get(username="demo")
    user.set_password("changed-by-someone")
    user.is_active = False
    user.save()

    call_command("ensure_demo_user", "--base-url", "http://127.0.0.1:8000/")
    out = capsys.readouterr().out
    users = get_user_model().objects.filter(username="demo")
    assert users.count() == 1
    user = users.get()
    assert user.is_active and user.is_staff and user.is_superuser
    assert user.check_password("demo12345")
    assert "http://127.0.0.1:8000/admin/" in out
    assert "demo12345" in out


@pytest.mark.django_db
def test_ensure_demo_user_password_from_environment(monkeypatch, capsys, settings):
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", "another-Secret-42")
    call_command("ensure_demo_user")
    assert get_user_model().objects.get(username="demo").check_password("another-Secret-42")
    assert "another-Secret-42" in capsys.readouterr().out


@pytest.mark.django_db
def test_ensure_demo_user_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("ensure_demo_user")
    assert not get_user_model().objects.filter(username="demo").exists()


def run_check_postgres(database_url):
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts/check_postgres.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_postgres_explains_how_to_start_it():
    result = run_check_postgres("postgres://postgres:secret@127.0.0.1:1/x")
    assert result.returncode == 1
    assert "无法连接 PostgreSQL" in result.stderr
    assert "Cannot connect to PostgreSQL" in result.stderr
    assert "pg_ctlcluster" in result.stderr
    assert "docker compose up -d postgres" in result.stderr
    assert "secret" not in result.stderr


def test_check_postgres_rejects_a_non_postgres_url():
    result = run_check_postgres("sqlite:///tmp/x.sqlite3")
    assert result.returncode == 1
    assert "not a PostgreSQL URL" in result.stderr


@pytest.mark.skipif(os.environ.get("REQUIRE_POSTGRES") != "1", reason="only under make test")
def test_check_postgres_accepts_the_test_server():
    result = run_check_postgres(os.environ["DATABASE_URL"])
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_a_login_lands_in_the_workspace_or_for_an_institution_in_the_portal(client):
    staff = get_user_model().objects.create_user("staff-start", password="x-unused-1")
    client.force_login(staff)
    assert client.get("/start/")["Location"] == "/ws/"
    inst = Institution.objects.create(fixmedins_code="H99990000001", name="起始医院", level=2, region="410800")
    hosp = get_user_model().objects.create_user("hosp-start", password="x-unused-1")
    InstitutionUser.objects.create(user=hosp, institution=inst)
    client.force_login(hosp)
    assert client.get("/start/")["Location"] == "/portal/"
    client.logout()
    assert client.get("/start/")["Location"].startswith("/accounts/login/")
