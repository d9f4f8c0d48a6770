"""claims.checks: a setting that cannot mean what it says on this database is refused, not ignored."""
from django.db import connection

from claims.checks import daily_job_writer


def test_copy_writer_refused_off_postgresql(settings, monkeypatch):
    settings.DAILY_JOB_BULK = True
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert [e.id for e in daily_job_writer(None)] == ["claims.E001"]
    settings.DAILY_JOB_BULK = False
    assert daily_job_writer(None) == []


def test_copy_writer_accepted_on_postgresql(settings):
    settings.DAILY_JOB_BULK = True
    assert connection.vendor == "postgresql"
    assert daily_job_writer(None) == []
