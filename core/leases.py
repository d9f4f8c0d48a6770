"""Leases on job rows: whoever holds a row's unexpired lease does its work; a lapsed lease is taken again.

A model leased here has `status` (pending, running, done, failed), `lease_owner` (the holder's token),
`lease_expires_at`, `attempts` and `error`. Times are the database's clock (`now()`), never a worker's, so
that workers whose clocks differ agree on when a lease has lapsed.

- claim: one conditional UPDATE ... WHERE (status = 'pending' OR (status = 'running' AND the lease lapsed))
  ... RETURNING, so two workers can never both take a row; each claim counts an attempt and gets a new token.
  A row whose lapsed lease has used up its attempts is marked failed instead, with the reason.
- heartbeat: while the work runs, a thread with its own database connection (autocommit) moves the expiry
  forward every quarter lease. The work itself may run in one long transaction (a daily chunk does), whose
  writes nobody sees before it commits; the heartbeat's separate connection is what makes the lease visible.
- fencing: the holder finishes with an UPDATE ... WHERE lease_owner = its token, in the same transaction as
  its work; a holder that lost its lease (it stalled past the expiry and another took over) updates nothing
  and rolls its work back, so at most one attempt ever commits.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from dataclasses import dataclass

from django.db import DatabaseError, connections, models
from django.db.models import ExpressionWrapper, F, Q
from django.db.models.functions import Now

log = logging.getLogger(__name__)

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


class LeaseLost(Exception):
    """The holder's lease was taken by another worker (it stalled past the expiry): its work must not commit."""


def new_token() -> str:
    """An owner token: unique per claim, so a stale holder's writes can be told apart from its successor's."""
    return uuid.uuid4().hex


def expires_in(seconds: int) -> ExpressionWrapper:
    """The database's now() plus seconds."""
    return ExpressionWrapper(Now() + dt.timedelta(seconds=seconds), output_field=models.DateTimeField())


def lapsed() -> Q:
    """A running row whose lease has expired (by the database's clock)."""
    return Q(status=RUNNING, lease_expires_at__lt=Now())


@dataclass(frozen=True)
class Claim:
    token: str
    attempts: int


def claim(model, pk: int, *, lease_seconds: int) -> Claim | None:
    """Take the row if it is pending or its lease lapsed, counting an attempt; None when it is done, failed or
    held by a live lease."""
    token = new_token()
    taken = model.objects.filter(Q(pk=pk) & (Q(status=PENDING) | lapsed())).update(
        status=RUNNING, lease_owner=token, lease_expires_at=expires_in(lease_seconds),
        attempts=F("attempts") + 1, started_at=Now())
    if not taken:
        return None
    return Claim(token, model.objects.filter(pk=pk).values_list("attempts", flat=True).get())


def fail_exhausted(model, max_attempts: int, failure: dict, **filters) -> list[int]:
    """Mark failed, with failure's values (the reason), the rows whose lease lapsed after max_attempts claims:
    their task loses its worker every time (killed, out of memory), so another attempt would too. Their ids."""
    failed = list(model.objects.filter(lapsed(), attempts__gte=max_attempts, **filters).values_list("pk", flat=True))
    if failed:
        model.objects.filter(lapsed(), pk__in=failed).update(
            status=FAILED, lease_owner="", lease_expires_at=None, finished_at=Now(), **failure)
    return failed


def take(model, pk: int, *, lease_seconds: int, max_attempts: int, failure: dict, wait: bool = True) -> Claim | None:
    """What a task does first: fail the row if it is out of attempts, else claim it; when another worker holds it
    and wait is on, wait for that lease to lapse (its worker died: the row is taken over) or be renewed (alive:
    None). None: nothing for this task to do."""
    if fail_exhausted(model, max_attempts, failure, pk=pk):
        return None
    taken = claim(model, pk, lease_seconds=lease_seconds)
    if taken is None and wait and wait_for_lapse(model, pk, lease_seconds=lease_seconds):
        if fail_exhausted(model, max_attempts, failure, pk=pk):
            return None
        taken = claim(model, pk, lease_seconds=lease_seconds)
    return taken


def due_for_resend(queryset, *, created_field: str, resend_after_seconds: int):
    """The rows whose task should be sent (again): pending ones never sent, or sent long ago, once they are
    resend_after_seconds old (the send failed, or the broker lost the message), and those whose lease lapsed
    (their worker died) and that were not sent since."""
    cutoff = ExpressionWrapper(Now() - dt.timedelta(seconds=resend_after_seconds), output_field=models.DateTimeField())
    never_sent = Q(enqueued_at__isnull=True, **{f"{created_field}__lt": cutoff})
    pending = Q(status=PENDING) & (Q(enqueued_at__lt=cutoff) | never_sent)
    lapsed_unsent = lapsed() & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=F("lease_expires_at"))
                                | Q(enqueued_at__lt=cutoff))
    return queryset.filter(pending | lapsed_unsent)


def mark_sent(model, pks) -> None:
    """Note that the rows' task was handed to the broker now."""
    model.objects.filter(pk__in=list(pks)).update(enqueued_at=Now())


def release(model, pk: int, token: str, **values) -> None:
    """Finish the holder's row (status and results in values); raises LeaseLost if the row is no longer its own.

    Call it inside the work's transaction, so that the work and its finish commit together or not at all."""
    done = model.objects.filter(pk=pk, status=RUNNING, lease_owner=token).update(
        lease_owner="", lease_expires_at=None, **values)
    if not done:
        raise LeaseLost(f"{model.__name__} {pk}: lease lost to another worker")


def wait_for_lapse(model, pk: int, *, lease_seconds: int, poll: float = 1.0) -> bool:
    """For a delivered task that finds the row held by another worker: wait until that lease lapses (True: the
    caller may claim it now) or is renewed by its holder's heartbeat, or the row finishes (False: nothing to do).

    A live holder renews within a quarter lease, so a duplicate delivery waits at most that long; a dead
    holder's lease lapses within one lease, and the waiting task takes the row over."""
    row = model.objects.filter(pk=pk).values("status", "lease_expires_at").first()
    if row is None or row["status"] != RUNNING or row["lease_expires_at"] is None:
        return row is not None and row["status"] == PENDING
    seen = row["lease_expires_at"]
    deadline = time.monotonic() + lease_seconds + poll
    while time.monotonic() < deadline:
        if model.objects.filter(pk=pk).filter(lapsed(), lease_expires_at=seen).exists():
            return True
        row = model.objects.filter(pk=pk).values("status", "lease_expires_at").first()
        if row is None or row["status"] != RUNNING or row["lease_expires_at"] != seen:
            return row is not None and row["status"] == PENDING  # finished, or renewed: its holder is alive
        time.sleep(poll)
    return False


class Heartbeat:
    """A context manager that moves the row's lease forward every quarter lease while the block runs.

    The thread has its own database connection (Django's connections are per thread) in autocommit, so each
    renewal is visible at once even while the block's own transaction is open. `lost` is set when a renewal
    finds the row no longer ours; the block's fenced finish (release) then refuses to commit. Enter it outside
    the work's transaction: the finish locks the row until that transaction ends, and a renewal waits for it."""

    def __init__(self, model, pk: int, token: str, lease_seconds: int):
        self.model, self.pk, self.token, self.lease_seconds = model, pk, token, lease_seconds
        self.interval = max(lease_seconds / 4, 0.5)
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{model.__name__}-{pk}", daemon=True)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    renewed = self.model.objects.filter(pk=self.pk, status=RUNNING, lease_owner=self.token).update(
                        lease_expires_at=expires_in(self.lease_seconds))
                except DatabaseError:  # the database away for a moment: try again at the next beat
                    log.warning("lease heartbeat of %s %s failed", self.model.__name__, self.pk, exc_info=True)
                    connections.close_all()
                    continue
                if not renewed:
                    self.lost.set()
                    return
        finally:
            connections.close_all()  # this thread's connections only

    def __enter__(self) -> Heartbeat:
        # SQLite (the demo) has one writer at a time: a renewal would wait for the work's own transaction. There the
        # work runs in one process, eagerly, and the lease is simply long enough (JOB_LEASE_SECONDS).
        if connections[self.model.objects.db].vendor != "sqlite":
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
