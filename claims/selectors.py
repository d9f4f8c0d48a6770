"""Queries behind the workspace's figures on visits and settlements: a day at the bureau, an institution's year.

Each figure is named for what it counts. A figure that mirrors an audit rule (readmissions) reads the
rule's own window and medical types from the rule library, so that the page and the audit agree.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import ExtractMonth, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy

from claims.models import Accumulator, FeeLine, Settlement, SettlementKind, SettlementStatus, Upload, Visit
from core.periods import year_bounds
from insurance.models import Enrollment, Institution, Person
from policy_rules.engine.lines import CLASS_C, NOT_IN_CATALOG, RESTRICTED
from policy_rules.models import AuditRuleDefinition, CatalogItem, ChrgLv

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


def latest_business_day() -> dt.date | None:
    """The latest local day with uploads or settlements (the dashboard opens on it, not on an empty today);
    None when there are none. Both maxima read an index (claims_upload_created_idx, claims_settlement_time_idx)."""
    last = [m for m in (Settlement.objects.aggregate(m=Max("setl_time"))["m"],
                        Upload.objects.aggregate(m=Max("created_at"))["m"]) if m is not None]
    return timezone.localdate(max(last)) if last else None


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


def institution_months(institution: Institution, year: int) -> list[dict]:
    """An institution's year month by month (the institution page's chart): settlements in force and their
    medical fees and fund payments, by the local month of their settlement time; twelve rows, empty months 0."""
    start, end = year_bounds(year)
    rows = (Settlement.objects.filter(institution=institution, kind=SettlementKind.SETTLEMENT,
                                      status=SettlementStatus.SETTLED, setl_time__gte=start, setl_time__lt=end)
            .annotate(month=ExtractMonth("setl_time")).values("month")
            .annotate(n=Count("pk"), medfee=Sum("medfee_sumamt"), fund=Sum("fund_pay_sumamt")).order_by())
    by_month = {r["month"]: r for r in rows}
    return [{"month": m, "settlements": by_month.get(m, {}).get("n", 0),
             "medfee": by_month.get(m, {}).get("medfee") or ZERO, "fund": by_month.get(m, {}).get("fund") or ZERO}
            for m in range(1, 13)]


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


# --- a visit explained: its settlement breakdown and its lines --------------------------------------------

LINE_REASONS = {  # the reason codes the engine writes on a fee line (policy_rules.engine.lines), in words
    NOT_IN_CATALOG: gettext_lazy("Not in the catalog: fully self-paid"),
    CLASS_C: gettext_lazy("Class C item: fully self-paid"),
    RESTRICTED: gettext_lazy("Payment restriction not met: fully self-paid"),
}


def line_reason_label(code: str) -> str:
    """A line's reason code in words ("" for none; an unknown code as itself)."""
    return str(LINE_REASONS.get(code, code)) if code else ""


def inscp_copay(s) -> Decimal:
    """统筹内自付: the in-scope amount the person pays above the deductible, what the basic pool and the
    large-amount layer leave of it (adjudication spec §4–5): inscp − act_pay_dedc − hifp − hifob."""
    return s.inscp_scp_amt - s.act_pay_dedc - s.hifp_pay - s.hifob_pay


def settlement_breakdown(s) -> list[dict]:
    """Where every yuan of a settlement went: groups whose children add up to the group's amount to the fen
    (the item page, the visit page; the API's settle answer carries the co-payment). The critical illness
    insurance and medical assistance pay part of what the basic pool and the large-amount layer leave to the
    person (self-paid parts, the deductible, the co-payment), which is why they are the children of that
    remainder and not of the in-scope amount."""
    def node(label, amount, children=()):
        return {"label": label, "amount": amount, "children": list(children)}

    copay = inscp_copay(s)
    left = s.medfee_sumamt - s.hifp_pay - s.hifob_pay
    # the project's layers (docs/benefit-layers.md) where they paid: a settlement without them reads as before
    layers = [node(label, amount) for label, amount in (
        (gettext_lazy("Civil-servant medical subsidy"), s.cvlserv_pay),
        (gettext_lazy("Disabled veterans' medical fund"), s.hifdm_pay),
        (gettext_lazy("Retired veterans' medical fund"), s.oth_pay),
        (gettext_lazy("Maternity fund"), s.matn_pay),
    ) if amount]
    # paid to the person through the employer: beside the settlement, not part of its fund payments
    allowance = ([node(gettext_lazy("Maternity allowance (paid to the person)"), s.matn_alwn_amt)]
                 if s.matn_alwn_amt else [])
    return [
        node(gettext_lazy("Total medical fees"), s.medfee_sumamt, [
            node(gettext_lazy("Fully self-paid"), s.fulamt_ownpay_amt),
            node(gettext_lazy("Above price limit"), s.overlmt_selfpay),
            node(gettext_lazy("Paid first by the patient"), s.preselfpay_amt),
            node(gettext_lazy("Within policy scope"), s.inscp_scp_amt),
        ]),
        node(gettext_lazy("Within policy scope"), s.inscp_scp_amt, [
            node(gettext_lazy("Deductible"), s.act_pay_dedc),
            node(gettext_lazy("Basic pooled fund"), s.hifp_pay),
            node(gettext_lazy("Large-amount fund"), s.hifob_pay),
            node(gettext_lazy("Co-payment within policy scope"), copay),
        ]),
        node(gettext_lazy("Left after the basic pool and the large-amount fund"), left, [
            node(gettext_lazy("Fully self-paid"), s.fulamt_ownpay_amt),
            node(gettext_lazy("Above price limit"), s.overlmt_selfpay),
            node(gettext_lazy("Paid first by the patient"), s.preselfpay_amt),
            node(gettext_lazy("Deductible"), s.act_pay_dedc),
            node(gettext_lazy("Co-payment within policy scope"), copay),
        ]),
        node(gettext_lazy("Of which paid by"), left, [
            node(gettext_lazy("Critical illness insurance"), s.hifmi_pay),
            *layers,
            node(gettext_lazy("Medical assistance"), s.maf_pay),
            node(gettext_lazy("Borne by the person"), s.psn_part_amt),
        ]),
        node(gettext_lazy("Fund payments"), s.fund_pay_sumamt, [
            node(gettext_lazy("Basic pooled fund"), s.hifp_pay),
            node(gettext_lazy("Large-amount fund"), s.hifob_pay),
            node(gettext_lazy("Critical illness insurance"), s.hifmi_pay),
            *layers,
            node(gettext_lazy("Medical assistance"), s.maf_pay),
        ]),
        node(gettext_lazy("Borne by the person"), s.psn_part_amt, [
            node(gettext_lazy("Personal account"), s.acct_pay),
            node(gettext_lazy("Cash"), s.psn_cash_pay),
        ]),
        *allowance,
    ]


def _sn_key(sn: str) -> tuple:
    """Line numbers in numeric order (1, 2, …, 10); a number that is not all digits after them, as text."""
    return (0, int(sn), sn) if sn.isdigit() else (1, 0, sn)


def visit_lines(visit: Visit, settlement: Settlement | None) -> list[FeeLine]:
    """The visit's fee lines in numeric line order, each with its catalog item in force on the settlement day
    (else the admission day) as .item (None when the code is not in the catalog), its split as .split (the
    settlement's line when the visit is settled, else the line's own classification) and .reason_label."""
    lines = sorted(FeeLine.objects.filter(visit=visit), key=lambda ln: _sn_key(ln.feedetl_sn))
    on = timezone.localdate(settlement.setl_time if settlement else visit.begntime)
    items: dict[str, CatalogItem] = {}
    for item in (CatalogItem.objects.effective_on(on).filter(med_list_codg__in={ln.med_list_codg for ln in lines})
                 .order_by("med_list_codg", "effective_from")):
        items[item.med_list_codg] = item  # the latest in force wins
    splits = {sl.fee_line_id: sl for sl in settlement.lines.all()} if settlement else {}
    for ln in lines:
        ln.item = items.get(ln.med_list_codg)
        ln.split = splits.get(ln.pk, ln)
        ln.class_label = ChrgLv(ln.split.chrgitm_lv).label if ln.split.chrgitm_lv in ChrgLv.values else (
            ln.split.chrgitm_lv or "")
        ln.reason_label = line_reason_label(ln.split.reason)
    return lines


def visit_settlements(visit: Visit) -> list[Settlement]:
    """The visit's settlement history in the order it was recorded: settlements, their reversals,
    re-settlements (a reversal's setl_time is when it was made, a settlement's may be given)."""
    return list(Settlement.objects.filter(visit=visit).select_related("reverses", "policy_version", "created_by")
                .order_by("created_at", "pk"))


def current_settlement(history: list[Settlement]) -> Settlement | None:
    """The settlement in force (kind settlement, status settled), else the latest settlement, else None."""
    settled = [s for s in history if s.kind == SettlementKind.SETTLEMENT and s.status == SettlementStatus.SETTLED]
    if settled:
        return settled[-1]
    settlements = [s for s in history if s.kind == SettlementKind.SETTLEMENT]
    return settlements[-1] if settlements else None


# --- search hints ----------------------------------------------------------------------------------------

NAME_SUBSTRING_MIN = 3  # pg_trgm needs three characters of the query to narrow a substring search down
# Digits (an ID number may end in X) too short or too long to be a whole ID number: a partial one.
_PARTIAL_ID = re.compile(r"^\d{4,}[\dX]?$")


def search_hint(q: str, persons_found: int) -> str | None:
    """Why a workspace search may have found nobody, when the query explains it: ID numbers are matched only
    in full (never in part: a part of an ID number is not a search key), and a name of one or two characters
    matches only the beginning of names (claims.workspace.views._person_match)."""
    code = q.strip().upper()
    if persons_found:
        return None
    if _PARTIAL_ID.match(code) and len(code) not in (15, 18):
        return str(gettext_lazy("ID numbers must be entered in full (18 characters). A name can be searched in "
                                "part; person numbers, visit IDs and institution codes must be entered in full."))
    if not any(ch.isdigit() for ch in code) and len(code) < NAME_SUBSTRING_MIN:
        return str(gettext_lazy("A name of one or two characters matches only the beginning of names; enter "
                                "three or more characters to search anywhere in a name."))
    return None
