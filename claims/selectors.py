"""Queries behind the workspace's figures on visits and settlements: a day at the bureau, an institution's year.

Each figure is named for what it counts. A figure that mirrors an audit rule (readmissions) reads the
rule's own window and medical types from the rule library, so that the page and the audit agree.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy

from claims.models import Accumulator, FeeLine, Settlement, SettlementKind, SettlementStatus, Upload, Visit
from core.periods import year_bounds
from insurance.models import Enrollment, Institution, Person
from policy_rules.models import AuditRuleDefinition

READMISSION_RULE_TYPE = "readmission"
INPATIENT_PREFIX = "2"  # national med_type codes 2x are inpatient stays (21 普通住院, 22 外伤住院 …)
ZERO = Decimal("0.00")


FUNDS = [("hifp_pay", gettext_lazy("Basic pooled fund")), ("hifob_pay", gettext_lazy("Large-amount fund")),
         ("hifmi_pay", gettext_lazy("Critical illness insurance")), ("maf_pay", gettext_lazy("Medical assistance"))]


def day_figures(start: dt.datetime, end: dt.datetime) -> dict:
    """Uploads and settlements in [start, end): uploads and their lines, visits settled, reversals, medical fees
    and fund payments net of reversals, and each fund's net payment as (label, amount)."""
    uploads = Upload.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        n=Count("pk"), lines=Sum("line_count"))
    settled, reversed_ = Q(kind=SettlementKind.SETTLEMENT), Q(kind=SettlementKind.REVERSAL)
    amounts = ["medfee_sumamt", "fund_pay_sumamt", *(f for f, _label in FUNDS)]
    agg = Settlement.objects.filter(setl_time__gte=start, setl_time__lt=end).aggregate(
        visits=Count("visit", distinct=True, filter=settled), reversals=Count("pk", filter=reversed_),
        **{f"{f}_set": Sum(f, filter=settled) for f in amounts}, **{f"{f}_rev": Sum(f, filter=reversed_) for f in amounts})

    def net(field: str) -> Decimal:
        return (agg[f"{field}_set"] or ZERO) - (agg[f"{field}_rev"] or ZERO)

    return {
        "uploads": uploads["n"], "upload_lines": uploads["lines"] or 0,
        "settled_visits": agg["visits"], "reversals": agg["reversals"],
        "medfee": net("medfee_sumamt"), "fund_total": net("fund_pay_sumamt"),
        "funds": [(label, net(f)) for f, label in FUNDS],
    }


def _inpatient(prefix: str = "") -> Q:
    return Q(**{f"{prefix}med_type__startswith": INPATIENT_PREFIX})


def readmission_window(on: dt.date) -> tuple[int, list[str]] | None:
    """(days, med_types) of the readmission rule in force on a day: the enabled readmission rule with the widest
    window (the one that opens suspect items, READM-001 in the default library). None when there is none."""
    rules = [r.to_engine() for r in AuditRuleDefinition.objects.in_force(on).filter(
        rule_type=READMISSION_RULE_TYPE)]
    if not rules:
        return None
    widest = max(rules, key=lambda r: (int(r.params["days"]), r.code))
    return int(widest.params["days"]), list(widest.params.get("med_types") or [])


def readmissions(institution: Institution, start: dt.datetime, end: dt.datetime, days: int,
                 med_types: list[str]) -> tuple[int, int]:
    """(stays discharged in [start, end), of those followed by another stay of the same person at the same
    institution admitted 0..days local days after the discharge day): the readmission rule's pairs, as rates."""
    tz = timezone.get_current_timezone()
    stays = Visit.objects.filter(institution=institution, endtime__gte=start, endtime__lt=end)
    if med_types:
        stays = stays.filter(med_type__in=med_types)
    later = Visit.objects.filter(person=OuterRef("person"), institution=OuterRef("institution"),
                                 begntime__gte=OuterRef("begntime")).exclude(pk=OuterRef("pk"))
    if med_types:
        later = later.filter(med_type__in=med_types)
    later = later.annotate(admitted=TruncDate("begntime", tzinfo=tz)).filter(
        admitted__gte=OuterRef("discharged"),
        admitted__lte=ExpressionWrapper(OuterRef("discharged") + dt.timedelta(days=days), output_field=DateField()))
    stays = stays.annotate(discharged=TruncDate("endtime", tzinfo=tz))
    return stays.count(), stays.filter(Exists(later)).count()


def institution_figures(institution: Institution, year: int) -> dict:
    """An institution's year on its page: visits, settlements, inpatient cost and stay, readmissions, self-pay."""
    start, end = year_bounds(year)
    visits = Visit.objects.filter(institution=institution, begntime__gte=start, begntime__lt=end)
    setl = Settlement.objects.filter(institution=institution, kind=SettlementKind.SETTLEMENT,
                                     status=SettlementStatus.SETTLED, setl_time__gte=start, setl_time__lt=end)
    s = setl.aggregate(n=Count("pk"), medfee=Sum("medfee_sumamt"), fund=Sum("fund_pay_sumamt"),
                       own=Sum("fulamt_ownpay_amt"), over=Sum("overlmt_selfpay"))
    ip = setl.filter(_inpatient("visit__")).aggregate(
        n=Count("pk"), avg_cost=Avg("medfee_sumamt"),
        avg_stay=Avg(ExpressionWrapper(F("visit__endtime") - F("visit__begntime"), output_field=DurationField())))
    window = readmission_window(min(timezone.localdate(), dt.date(year, 12, 31)))
    discharged, readmitted = readmissions(institution, start, end, *window) if window else (0, 0)
    medfee = s["medfee"] or ZERO
    self_pay = (s["own"] or ZERO) + (s["over"] or ZERO)
    avg_stay = ip["avg_stay"]
    return {
        "visits": visits.count(), "inpatient_visits": visits.filter(_inpatient()).count(),
        "lines": FeeLine.objects.filter(visit__in=visits).count(),
        "settlements": s["n"], "medfee": medfee, "fund": s["fund"] or ZERO,
        "admissions": ip["n"], "avg_cost": (ip["avg_cost"] or ZERO).quantize(Decimal("0.01")),
        "avg_stay": round(avg_stay.total_seconds() / 86400, 1) if avg_stay is not None else None,
        "readmission_days": window[0] if window else None,
        "discharged": discharged, "readmitted": readmitted,
        "readmission_rate": (Decimal(readmitted * 100) / discharged).quantize(Decimal("0.1")) if discharged else None,
        "self_pay": self_pay,
        "self_pay_share": (self_pay * 100 / medfee).quantize(Decimal("0.1")) if medfee else None,
    }


def person_year(person: Person, year: int) -> dict:
    """What the person page shows: the enrollments (latest first) and the one in force today, the personal
    account, the year's accumulators, and every visit (latest first)."""
    return {
        "enrollments": Enrollment.objects.filter(person=person).order_by("-enrolled_from"),
        "in_force": Enrollment.objects.in_force(person, timezone.localdate()).first(),
        "account": getattr(person, "account", None),
        "accumulators": Accumulator.objects.filter(person=person, year=year).order_by("kind", "key"),
        "visits": (Visit.objects.filter(person=person).select_related("person", "institution")
                   .prefetch_related("suspect_items").order_by("-begntime")),
    }
