"""Settlement verbs: pre-settle (2303/2206), settle (2304/2207), cancel (2305/2208), settle many.

All of them call the one engine through the reader (loading), the write plan (plan) and the writer (writers). A person's row is locked while their year is read
and written, so that concurrent settlements of one person leave the accumulators exact.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.audit.pipeline import AuditReads, audit_reads, audit_visits, stats_frame, warnings_of
from claims.errors import ServiceError
from claims.models import (
    SETTLEMENT_AMOUNT_FIELDS,
    Accumulator,
    FeeLineStatus,
    Settlement,
    SettlementKind,
    SettlementStatus,
    Visit,
    VisitStatus,
)
from claims.settlement.loading import active_lines, line_split_records, load_inputs
from claims.settlement.plan import new_setl_ids, plan_settlements
from claims.settlement.writers import write_plan
from core.ledger import money_writes
from core.periods import local_naive
from core.prepared import Prepared
from insurance.models import AccountMovement, MovementKind, Person, PersonalAccount
from policy_rules.engine import adjudicate
from policy_rules.engine.money import fen_to_decimal
from review.services import close_items_of_cancelled


def new_setl_id(when: dt.datetime) -> str:
    """A settlement id for a settlement at `when` (the plan's format, claims.settlement.plan.new_setl_ids)."""
    return str(new_setl_ids([local_naive(when)])[0])


def _check_settleable(visit: Visit, has_lines: bool | None = None) -> None:
    """has_lines: whether the visit has active lines, when already known."""
    if visit.status == VisitStatus.SETTLED:
        raise ServiceError.one("mdtrt_id", "ALREADY_SETTLED", _("就诊 %(id)s 已结算。") % {"id": visit.mdtrt_id})
    if has_lines is None:
        has_lines = visit.lines.filter(status=FeeLineStatus.ACTIVE).exists()
    if not has_lines:
        raise ServiceError.one("mdtrt_id", "NO_LINES", _("就诊没有有效的费用明细。"))


def _check_setl_time(visit: Visit, setl_time: dt.datetime) -> None:
    if setl_time < visit.begntime:
        raise ServiceError.one("setl_time", "SETL_TIME_BEFORE_BEGNTIME", _("结算时间不能早于就诊开始时间。"))


def _run(visits: list[Visit], setl_times: dict[int, dt.datetime], line_rows=None, ahead: AuditReads | None = None):
    """ahead: the audit's reads, read with the engine's inputs (one statement)."""
    inputs, catalog_items = load_inputs(visits, setl_times, line_rows=line_rows,
                                        also=ahead.bounds() if ahead is not None else ())
    result = adjudicate(**inputs.engine())
    s = result.columns("settlements")  # the arrays, without building the frame
    missing = s["mdtrt_id"][pd.isna(s["policy_code"])]
    return inputs, catalog_items, result, set(missing.tolist())


def _amounts(row) -> dict:
    return {c: fen_to_decimal(getattr(row, c)) for c in SETTLEMENT_AMOUNT_FIELDS}


def presettle_visit(visit: Visit, *, setl_time: dt.datetime | None = None) -> dict:
    """What settling now would give, without writing anything."""
    setl_time = setl_time or timezone.now()
    _check_settleable(visit)
    _check_setl_time(visit, setl_time)
    lines = active_lines([visit])
    ahead = audit_reads([visit], on=setl_time)
    inputs, _catalog_rows, result, no_policy = _run([visit], {visit.pk: setl_time}, lines, ahead)
    if no_policy:
        raise ServiceError.one("setl_time", "NO_POLICY", _("结算时间没有生效的政策包。"))
    row = next(result.settlements.itertuples(index=False))
    line_amounts = {sn: fen_to_decimal(fen) for sn, fen in zip(result.lines["feedetl_sn"], result.lines["amount_fen"],
                                                                 strict=True)}
    return {
        "mdtrt_id": visit.mdtrt_id, "psn_no": visit.person.psn_no, "setl_time": setl_time, **_amounts(row),
        "balc": fen_to_decimal(row.balc), "ineligible_reason": row.ineligible_reason or "",
        "policy_code": row.policy_code,
        "warnings": warnings_of(audit_visits([visit], stage="presettle", on=setl_time, line_rows=lines,
                                             catalog=inputs.part("catalog"), ahead=ahead)),
        "lines": [{"feedetl_sn": sn, "det_item_fee_sumamt": line_amounts[sn], **rec}
                  for (_m, sn), rec in line_split_records(result.lines).items()],
    }


# the persons of these visits locked, in one statement (the sub-select locks no visit)
_LOCK_PERSONS = Prepared(Person, lambda visit_ids: Person.objects.select_for_update().filter(
    pk__in=Visit.objects.filter(pk__in=visit_ids).values("person_id")).order_by("pk").values_list("pk"))


def _visits_locked(visit_ids: list[int]):
    """then the visits, with what the engine's reader would read again: the registered enrollment, the account"""
    return Visit.objects.select_for_update(of=("self",)).select_related(
        "person", "person__account", "institution", "enrollment").filter(pk__in=visit_ids).order_by("pk")


_LOCK_VISITS = Prepared(Visit, _visits_locked)


def settle_visit(visit: Visit, *, setl_time: dt.datetime | None = None, user=None, reason: str = "",
                 audit: bool = True) -> Settlement:
    """Settle one visit and commit it."""
    setl_time = setl_time or timezone.now()
    _check_setl_time(visit, setl_time)
    settled = settle_visits([visit.pk], setl_times={visit.pk: setl_time}, user=user,
                            reason=reason, strict=True, audit=audit)
    return settled[visit.pk]


def settle_visits(visit_ids: list[int], *, setl_times: dict[int, dt.datetime] | None = None, user=None,
                  reason: str = "", strict: bool = False, daily_job=None, audit: bool = True) -> dict[int, Settlement]:
    """Settle many visits in one engine call (identical to one at a time): read (load_inputs), adjudicate,
    plan (plan_settlements) and write (write_plan), then audit what was settled.

    The persons concerned are locked in a stable order. Visits already settled or without lines are
    skipped (strict=False) or refused (strict=True). Returns {visit_id: Settlement}.
    """
    now = timezone.now()
    with transaction.atomic():
        # Two statements, not one: under READ COMMITTED a statement reads the rows it does not lock as of its
        # start, so a read that waited for the persons' lock would see the account's balance from before the
        # other settlement's COMMIT (tests/api/test_concurrency.py). The second statement starts after the wait.
        _LOCK_PERSONS(list(visit_ids))
        visits = _LOCK_VISITS(list(visit_ids))
        if strict and len(visits) != len(set(visit_ids)):
            raise ServiceError.one("mdtrt_id", "UNKNOWN_VISIT", _("就诊不存在。"))
        lines = active_lines(visits)  # read once: for the checks, the engine, the settlement lines and the audit
        with_lines = lines.visit_ids()
        ready = []
        for v in visits:
            try:
                _check_settleable(v, has_lines=v.pk in with_lines)
                ready.append(v)
            except ServiceError:
                if strict:
                    raise
        if not ready:
            return {}
        times = {v.pk: (setl_times or {}).get(v.pk) or now for v in ready}
        # the audit's reads with the engine's (one statement); the daily job audits with its own statistics
        ahead = audit_reads(ready, with_stats=daily_job is None) if audit else None
        inputs, _catalog_rows, result, no_policy = _run(ready, times, lines, ahead)
        if no_policy and strict:
            raise ServiceError.one("setl_time", "NO_POLICY", _("结算时间没有生效的政策包。"))
        plan = plan_settlements(result, inputs.part("visit_keys"), inputs.part("line_keys"), inputs.version_ids)
        # no savepoint of its own: any error of the writer ends this transaction, settling nothing
        with money_writes(user=user, reason=reason, daily_job=getattr(daily_job, "pk", None), savepoint=False):
            written = write_plan(plan, user=user, reason=reason, daily_job=daily_job)
        by_mdtrt = {v.mdtrt_id: v for v in ready}
        settled = {}
        for mdtrt_id, s in written.items():
            v = by_mdtrt[mdtrt_id]
            s.visit, s.person, s.institution = v, v.person, v.institution
            settled[v.pk] = s
        if settled and audit:
            # the daily job audits against the institutions' statistics of its plan (those before its day)
            audit_visits([by_mdtrt[m] for m in written], stage="settlement", settlements=written,
                         new_settlements=True,
                         inst_stats=stats_frame(daily_job.audit_stats) if daily_job is not None else None,
                         line_rows=lines, catalog=inputs.part("catalog"), ahead=ahead)
        return settled


def cancel_settlement(settlement: Settlement, *, user=None, reason: str) -> Settlement:
    """Reverse a settlement (冲销): a reversal row, every accumulator and the account given back."""
    if not (reason or "").strip():
        raise ServiceError.one("reason", "REQUIRED", _("撤销结算必须说明原因。"))
    now = timezone.now()
    user = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic(), money_writes(user=user, reason=reason):
        Person.objects.select_for_update().filter(pk=settlement.person_id).values_list("pk").first()
        s = Settlement.objects.select_for_update(of=("self",)).select_related("visit").get(pk=settlement.pk)
        if s.kind != SettlementKind.SETTLEMENT or s.status != SettlementStatus.SETTLED:
            raise ServiceError.one("setl_id", "NOT_CANCELLABLE", _("该结算已撤销或不是结算记录。"))
        amounts = {c: getattr(s, c) for c in SETTLEMENT_AMOUNT_FIELDS}  # the layers' and the allowance too
        reversal = Settlement.objects.create(
            setl_id=new_setl_id(now), kind=SettlementKind.REVERSAL, reverses=s, visit=s.visit, person_id=s.person_id,
            institution_id=s.institution_id, policy_version_id=s.policy_version_id, setl_time=now, med_type=s.med_type,
            ineligible_reason=s.ineligible_reason, created_by=user, reason=reason, **amounts,
        )
        s.status = SettlementStatus.CANCELLED
        s.save(update_fields=["status"])
        for acc in s.accumulations.all():
            Accumulator.objects.filter(person_id=s.person_id, year=acc.year, kind=acc.kind, key=acc.key).update(
                amount=F("amount") - acc.delta)
        if s.acct_pay > 0:
            account = PersonalAccount.objects.select_for_update().get(person_id=s.person_id)
            account.balance += s.acct_pay
            account.save(update_fields=["balance", "updated_at"])
            reversal.balc = account.balance
            reversal.save(update_fields=["balc"])
            AccountMovement.objects.create(account=account, amount=s.acct_pay, balance_after=account.balance,
                                           kind=MovementKind.REVERSAL, settlement=reversal, created_by=user,
                                           reason=reason)
        visit = s.visit
        visit.status = VisitStatus.DISCHARGED if visit.endtime else VisitStatus.REGISTERED
        visit.save(update_fields=["status"])
        close_items_of_cancelled(s, user=user, reason=reason)
    return reversal
