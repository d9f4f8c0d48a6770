"""Settlement verbs: pre-settle (2303/2206), settle (2304/2207), cancel (2305/2208), settle many.

All of them call the one engine through engine_io. A person's row is locked while their year is read
and written, so that concurrent settlements of one person leave the accumulators exact.
"""
from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.audit.pipeline import audit_visits, stats_frame, warnings_of
from claims.errors import ServiceError
from claims.models import (
    Accumulator,
    FeeLineStatus,
    Settlement,
    SettlementAccumulation,
    SettlementKind,
    SettlementLine,
    SettlementStatus,
    Visit,
    VisitStatus,
)
from claims.settlement.loading import (
    accumulator_value,
    active_lines,
    engine_kwargs,
    engine_line_rows,
    fen_to_decimal,
    group_deltas,
    line_split_records,
    load_frames,
)
from core.pgcopy import insert_rows
from insurance.models import AccountMovement, MovementKind, Person, PersonalAccount
from policy_rules.engine import adjudicate
from policy_rules.engine.adjudicate import SETTLEMENT_COLUMNS


def new_setl_id(when: dt.datetime) -> str:
    return f"S{timezone.localtime(when).strftime('%Y%m%d')}{uuid.uuid4().hex[:16].upper()}"


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


def _run(visits: list[Visit], setl_times: dict[int, dt.datetime], line_rows: list[dict] | None = None):
    frames = load_frames(visits, setl_times, line_rows=line_rows)
    result = adjudicate(**engine_kwargs(frames))
    missing = result.settlements[result.settlements["policy_code"].isna()]
    return frames, result, set(missing["mdtrt_id"])


def _amounts(row) -> dict:
    return {c: fen_to_decimal(getattr(row, c)) for c in SETTLEMENT_COLUMNS}


def presettle_visit(visit: Visit, *, setl_time: dt.datetime | None = None) -> dict:
    """What settling now would give, without writing anything."""
    setl_time = setl_time or timezone.now()
    _check_settleable(visit)
    _check_setl_time(visit, setl_time)
    lines = active_lines([visit])
    frames, result, no_policy = _run([visit], {visit.pk: setl_time}, engine_line_rows(lines))
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
                                             catalog_items=frames["_catalog_items"], catalog=frames["catalog"])),
        "lines": [{"feedetl_sn": sn, "det_item_fee_sumamt": line_amounts[sn], **rec}
                  for (_m, sn), rec in line_split_records(result.lines).items()],
    }


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
    """Settle many visits in one engine call (the daily batch path; identical to one at a time).

    The persons concerned are locked in a stable order. Visits already settled or without lines are
    skipped (strict=False) or refused (strict=True). Returns {visit_id: Settlement}.
    """
    now = timezone.now()
    with transaction.atomic():
        # the persons of these visits, in one statement (the sub-select locks no visit)
        list(Person.objects.select_for_update().filter(pk__in=Visit.objects.filter(pk__in=visit_ids).values(
            "person_id")).order_by("pk").values_list("pk"))
        visits = list(Visit.objects.select_for_update(of=("self",)).select_related("person", "institution", "enrollment")
                      .filter(pk__in=visit_ids).order_by("pk"))
        if strict and len(visits) != len(set(visit_ids)):
            raise ServiceError.one("mdtrt_id", "UNKNOWN_VISIT", _("就诊不存在。"))
        lines = active_lines(visits)  # read once: for the checks, the engine, the settlement lines and the audit
        with_lines = {r["visit_id"] for r in lines}
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
        if len(ready) < len(visits):
            ready_ids = {v.pk for v in ready}
            lines = [r for r in lines if r["visit_id"] in ready_ids]
        times = {v.pk: (setl_times or {}).get(v.pk) or now for v in ready}
        frames, result, no_policy = _run(ready, times, engine_line_rows(lines))
        if no_policy and strict:
            raise ServiceError.one("setl_time", "NO_POLICY", _("结算时间没有生效的政策包。"))
        settled = _store(ready, times, frames, result, no_policy, user, reason, daily_job, lines)
        if settled and audit:
            by_pk = {v.pk: v for v in ready}
            # the daily job audits against the institutions' statistics of its plan (those before its day)
            audit_visits([by_pk[pk] for pk in settled], stage="settlement",
                         settlements={s.visit.mdtrt_id: s for s in settled.values()},
                         inst_stats=stats_frame(daily_job.audit_stats) if daily_job is not None else None,
                         line_rows=lines, catalog_items=frames["_catalog_items"], catalog=frames["catalog"])
        return settled


def _store(visits, times, frames, result, skip: set, user, reason, daily_job,
           lines: list[dict]) -> dict[int, Settlement]:
    by_mdtrt = {v.mdtrt_id: v for v in visits}
    user = user if getattr(user, "is_authenticated", False) else None
    settlements: dict[int, Settlement] = {}
    rows = [r for r in result.settlements.itertuples(index=False) if r.mdtrt_id not in skip]
    for row in rows:
        v = by_mdtrt[row.mdtrt_id]
        settlements[v.pk] = Settlement(
            setl_id=new_setl_id(times[v.pk]), kind=SettlementKind.SETTLEMENT, visit=v, person=v.person,
            institution=v.institution, policy_version=frames["_versions"][row.policy_code], setl_time=times[v.pk],
            med_type=v.med_type,
            balc=fen_to_decimal(row.balc), ineligible_reason=row.ineligible_reason or "", created_by=user,
            reason=reason, daily_job=daily_job, **_amounts(row),
        )
    Settlement.objects.bulk_create(settlements.values())
    by_id = {s.visit.mdtrt_id: s for s in settlements.values()}

    fee_lines = {(r["mdtrt_id"], r["feedetl_sn"]): (r["pk"], r["det_item_fee_sumamt"]) for r in lines
                 if r["mdtrt_id"] in by_id}
    insert_rows(SettlementLine, [
        {"settlement_id": by_id[m].pk, "fee_line_id": fee_lines[(m, sn)][0], "feedetl_sn": sn,
         "det_item_fee_sumamt": fee_lines[(m, sn)][1], **rec}
        for (m, sn), rec in line_split_records(result.lines).items() if m in by_id
    ])
    _store_accumulators(result, by_id)
    _store_accounts(result, by_id, user)
    Visit.objects.filter(pk__in=[s.visit_id for s in settlements.values()]).update(status=VisitStatus.SETTLED)
    return settlements


def _store_accumulators(result, by_id: dict[str, Settlement]) -> None:
    deltas = group_deltas(result.deltas[result.deltas["mdtrt_id"].isin(list(by_id))])
    SettlementAccumulation.objects.bulk_create([
        SettlementAccumulation(settlement=by_id[m], kind=d["kind"], key=d["key"], year=d["year"],
                               delta=accumulator_value(d["kind"], d["delta"]))
        for m, items in deltas.items() for d in items
    ])
    touched = {(s.person_id, d["year"], d["kind"], d["key"]) for m, items in deltas.items()
               for d in items for s in [by_id[m]]}
    if not touched:
        return
    person_of = {s.person.psn_no: s.person_id for s in by_id.values()}
    state = result.state
    new_values = {}
    for row in state[state["psn_no"].isin(list(person_of))].itertuples(index=False):
        k = (person_of[row.psn_no], int(row.year), row.kind, row.key)
        if k in touched:
            new_values[k] = accumulator_value(row.kind, row.amount)
    existing = {
        (a.person_id, a.year, a.kind, a.key): a
        for a in Accumulator.objects.filter(person_id__in={k[0] for k in touched}, year__in={k[1] for k in touched})
    }
    update, create = [], []
    for k, value in new_values.items():
        if k in existing:
            existing[k].amount = value
            update.append(existing[k])
        else:
            create.append(Accumulator(person_id=k[0], year=k[1], kind=k[2], key=k[3], amount=value))
    Accumulator.objects.bulk_update(update, ["amount"])
    Accumulator.objects.bulk_create(create)


def _store_accounts(result, by_id: dict[str, Settlement], user) -> None:
    paying = [s for s in by_id.values() if s.acct_pay > 0]
    if not paying:
        return
    accounts = {a.person_id: a for a in PersonalAccount.objects.filter(person_id__in={s.person_id for s in paying})}
    final = dict(zip(result.accounts["psn_no"], result.accounts["balance_fen"], strict=True))
    movements = []
    for s in sorted(paying, key=lambda s: (s.setl_time, s.visit.mdtrt_id)):
        movements.append(AccountMovement(account=accounts[s.person_id], amount=-s.acct_pay, balance_after=s.balc,
                                         kind=MovementKind.SETTLEMENT, settlement=s, created_by=user,
                                         reason=_("结算 %(id)s 个人账户支付") % {"id": s.visit.mdtrt_id}))
    AccountMovement.objects.bulk_create(movements)
    for s in paying:
        accounts[s.person_id].balance = fen_to_decimal(final[s.person.psn_no])
    PersonalAccount.objects.bulk_update(accounts.values(), ["balance"])


def cancel_settlement(settlement: Settlement, *, user=None, reason: str) -> Settlement:
    """Reverse a settlement (冲销): a reversal row, every accumulator and the account given back."""
    if not (reason or "").strip():
        raise ServiceError.one("reason", "REQUIRED", _("撤销结算必须说明原因。"))
    now = timezone.now()
    user = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=settlement.person_id).values_list("pk").first()
        s = Settlement.objects.select_for_update(of=("self",)).select_related("visit").get(pk=settlement.pk)
        if s.kind != SettlementKind.SETTLEMENT or s.status != SettlementStatus.SETTLED:
            raise ServiceError.one("setl_id", "NOT_CANCELLABLE", _("该结算已撤销或不是结算记录。"))
        amounts = {c: getattr(s, c) for c in SETTLEMENT_COLUMNS}
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
        from review.services import close_items_of_cancelled

        close_items_of_cancelled(s, user=user, reason=reason)
    return reversal
