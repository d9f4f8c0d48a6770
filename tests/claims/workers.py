"""Real Celery workers for fault-injection tests: a worker subprocess on the test database and a Redis broker,
killed with SIGKILL mid-task, and a blocker connection that holds a lock so that a task is caught mid-work.

The worker sees only committed rows: use these with a transactional (live) database test."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psycopg2
import pytest
import redis
from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("TEST_LEASES_BROKER_URL", "redis://127.0.0.1:6379/9")
# Short leases so that a lost worker's job is taken again within seconds (the defaults are minutes).
FAST_LEASES = {"JOB_LEASE_SECONDS": "4", "BROKER_VISIBILITY_TIMEOUT": "2", "JOB_MAX_ATTEMPTS": "5",
               "JOB_RESEND_AFTER_SECONDS": "2"}


def database_url() -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def use_broker() -> Iterable[None]:
    """Send tasks from this process to BROKER (emptied first) instead of running them eagerly."""
    client = redis.Redis.from_url(BROKER, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"Redis is not reachable at {BROKER}: start it (redis-server --daemonize yes) to run this test")
    client.flushdb()  # this test's own database number only
    # the namespaced names: the app reads Django's CELERY_* settings, which win over task_always_eager & co.
    old = app.conf.CELERY_BROKER_URL, app.conf.CELERY_TASK_ALWAYS_EAGER
    app.conf.CELERY_BROKER_URL, app.conf.CELERY_TASK_ALWAYS_EAGER = BROKER, False
    assert app.conf.task_always_eager is False and app.conf.broker_url == BROKER
    forget_connections()
    assert app.connection_for_write().as_uri().startswith("redis://127.0.0.1:6379/")
    try:
        yield
    finally:
        app.conf.CELERY_BROKER_URL, app.conf.CELERY_TASK_ALWAYS_EAGER = old
        forget_connections()
        client.flushdb()


def forget_connections() -> None:
    """Drop the app's cached connection and producer pools (Celery's own after-fork reset), so that the next send
    connects to the broker configured now: a pool made earlier in the session, with no broker set, points at
    Celery's default amqp://localhost and would publish there."""
    app._after_fork()


class Worker:
    """`celery worker --pool solo` in a subprocess (one process: SIGKILL kills the task with it)."""

    def __init__(self, **env: str):
        self.env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": BROKER, "DEBUG": "1",
                    **FAST_LEASES, **env}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--concurrency", "1",
             "--loglevel", "warning", "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""


class Blocker:
    """A connection of its own holding a lock in an open transaction, so that a worker's task waits mid-work."""

    def __init__(self, sql: str, params=()):
        self.conn = psycopg2.connect(database_url())
        self.conn.cursor().execute(sql, params)

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


def wait_for(condition: Callable[[], bool], seconds: float, what: str, worker: Worker | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.proc.poll() is not None:
            raise AssertionError(f"worker exited while waiting for {what}: {worker.stop()}")
        time.sleep(0.2)
    output = f"; worker output: {worker.stop()}" if worker is not None else ""
    raise AssertionError(f"timed out after {seconds}s waiting for {what}{output}")


def digest(rows: Iterable[tuple]) -> str:
    """A hash of the rows, sorted, as text: two runs that stored the same rows to the fen have the same digest."""
    return hashlib.sha256("\n".join(sorted(repr(tuple(map(str, r))) for r in rows)).encode()).hexdigest()
