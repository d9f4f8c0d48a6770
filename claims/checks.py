"""System checks of the claims app's settings."""
from django.conf import settings
from django.core import checks
from django.db import connection


@checks.register(checks.Tags.database)
def daily_job_writer(app_configs, **kwargs):
    """DAILY_JOB_BULK asks for PostgreSQL's COPY: refuse it on another database rather than ignore it."""
    if settings.DAILY_JOB_BULK and connection.vendor != "postgresql":
        return [checks.Error(
            f"DAILY_JOB_BULK is on but the database is {connection.vendor}: the COPY writer needs PostgreSQL.",
            hint="Unset DAILY_JOB_BULK (it defaults to off on SQLite) or use PostgreSQL.", id="claims.E001")]
    return []
