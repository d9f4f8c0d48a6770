"""The list deadline's date arithmetic on SQLite, the database `make demo` runs on: PostgreSQL adds days to a
date and subtracts dates; SQLite needs date() and julianday() (casemix.deadlines). The expressions are compiled
for and run on an in-memory SQLite connection, so the suite's PostgreSQL run checks the demo's database too."""
import datetime as dt

import pytest
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.db.models import DateField, IntegerField, Value
from django.db.models.sql import Query

from casemix.deadlines import _DaysBetween, _Plus


@pytest.fixture
def sqlite(django_db_blocker):
    # a connection of its own, not the test database's: pytest-django blocks every connection until unblocked
    django_db_blocker.unblock()
    connection = DatabaseWrapper({"NAME": ":memory:", "ENGINE": "django.db.backends.sqlite3", "OPTIONS": {},
                                  "TIME_ZONE": None, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False,
                                  "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False, "USER": "", "PASSWORD": "",
                                  "HOST": "", "PORT": ""})
    yield connection
    connection.close()
    django_db_blocker.restore()


def run(connection, expression):
    compiler = connection.ops.compiler("SQLCompiler")(Query(None), connection, None)
    sql, params = compiler.compile(expression)  # as_sqlite where the expression has one, as Django does
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return cursor.fetchone()[0]


@pytest.mark.parametrize(("day", "days", "due"), [
    (dt.date(2025, 1, 16), 7, "2025-01-23"), (dt.date(2024, 2, 25), 7, "2024-03-03"),
    (dt.date(2025, 12, 30), 3, "2026-01-02"), (dt.date(2026, 5, 1), 0, "2026-05-01")])
def test_the_due_date_is_the_day_plus_the_days(sqlite, day, days, due):
    assert run(sqlite, _Plus(Value(day, output_field=DateField()), Value(days, output_field=IntegerField()))) == due


@pytest.mark.parametrize(("today", "due", "overdue"), [
    (dt.date(2026, 12, 6), dt.date(2025, 1, 23), 682), (dt.date(2026, 3, 1), dt.date(2026, 3, 4), -3),
    (dt.date(2026, 3, 4), dt.date(2026, 3, 4), 0)])
def test_days_overdue_is_today_minus_the_due_date(sqlite, today, due, overdue):
    assert run(sqlite, _DaysBetween(Value(today, output_field=DateField()),
                                    Value(due, output_field=DateField()))) == overdue
