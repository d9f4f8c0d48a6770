"""Queries of the special-case review (特病单议, docs/dip.md): a request's state read from its steps, the open
queue, an institution's requests, the cases it may ask for, and the approved cases a run reads."""
from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from .models import CaseKind, DipCaseResult, DipRun
from .selectors import latest_run
from .special_models import SpecialCaseAction, SpecialCaseRequest, SpecialCaseState, SpecialCaseStep

CLOSING = (SpecialCaseAction.DECIDED, SpecialCaseAction.WITHDRAWN)


def year_is_final(region: str, year: int) -> bool:
    """A final run of the year exists: special cases of the year are fixed."""
    return DipRun.objects.filter(region=region, year=year, final=True).exists()


def _step(request: SpecialCaseRequest, action: str) -> SpecialCaseStep | None:
    return next((s for s in request.steps.all() if s.action == action), None)


def proposal(request: SpecialCaseRequest) -> SpecialCaseStep | None:
    return _step(request, SpecialCaseAction.PROPOSED)


def decision(request: SpecialCaseRequest) -> SpecialCaseStep | None:
    return _step(request, SpecialCaseAction.DECIDED)


def state_of(request: SpecialCaseRequest, *, final: bool | None = None) -> SpecialCaseState:
    """The request's state from its steps; an undecided request of a year with a final run has lapsed."""
    decided = decision(request)
    if decided is not None:
        return SpecialCaseState.APPROVED if decided.approve else SpecialCaseState.REJECTED
    if _step(request, SpecialCaseAction.WITHDRAWN) is not None:
        return SpecialCaseState.WITHDRAWN
    if final is None:
        final = year_is_final(request.region, request.year)
    if final:
        return SpecialCaseState.LAPSED
    return SpecialCaseState.PROPOSED if proposal(request) is not None else SpecialCaseState.OPEN


def requests():
    """Every request with what its pages and answers show (steps in order, the case and its run)."""
    return (SpecialCaseRequest.objects
            .select_related("settlement__visit", "settlement__person", "institution", "run", "created_by")
            .prefetch_related(Prefetch("steps", queryset=SpecialCaseStep.objects.select_related("actor")
                                       .order_by("at", "pk"))))


def _closed():
    return Exists(SpecialCaseStep.objects.filter(request=OuterRef("pk"), action__in=CLOSING))


def open_requests():
    """Requests neither decided nor withdrawn (a lapsed one included: the caller filters by the final runs)."""
    return requests().filter(~_closed())


def queue():
    """The caseworkers' queue: open requests of years without a final run, oldest first."""
    finals = DipRun.objects.filter(region=OuterRef("region"), year=OuterRef("year"), final=True)
    return open_requests().filter(~Exists(finals)).order_by("created_at", "pk")


def institution_requests(institution_id: int):
    return requests().filter(institution_id=institution_id).order_by("-created_at", "-pk")


def open_request_of(settlement_id: int) -> SpecialCaseRequest | None:
    return open_requests().filter(settlement_id=settlement_id).first()


def approved(settlement_id: int) -> bool:
    return SpecialCaseStep.objects.filter(request__settlement_id=settlement_id, action=SpecialCaseAction.DECIDED,
                                          approve=True).exists()


def approved_settlements(region: str, year: int) -> set[int]:
    """The settlements of the region's year with an approved request: the special cases a run reads."""
    return set(SpecialCaseStep.objects.filter(request__region=region, request__year=year, approve=True,
                                              action=SpecialCaseAction.DECIDED)
               .values_list("request__settlement_id", flat=True))


def with_special(cases, region: str, year: int):
    """The year's cases (selectors.year_cases) with their `special` column: approved special cases are paid by
    items, their fund payment out of the budget first (docs/dip.md, "Special-case review")."""
    cases["special"] = cases["settlement_id"].isin(list(approved_settlements(region, year)))
    return cases


def case_in_latest_run(settlement) -> DipCaseResult | None:
    """The settlement's result in the latest run of its region's year (None without a run or not in it)."""
    run = latest_run(settlement.institution.region, settlement_year(settlement))
    if run is None:
        return None
    return DipCaseResult.objects.filter(run=run, settlement=settlement).select_related("run").first()


def settlement_year(settlement) -> int:
    """The DIP year of a settlement: the local year of its settlement time (as selectors.year_settlements)."""
    when = settlement.setl_time
    return (timezone.localtime(when) if timezone.is_aware(when) else when).year


def askable_cases(institution) -> list[DipCaseResult]:
    """The institution's high cases in the latest run of each year of its region without a final run, without an
    open or approved request: what its page offers to ask for."""
    years = (DipRun.objects.filter(region=institution.region).exclude(
        year__in=DipRun.objects.filter(region=institution.region, final=True).values("year"))
        .values_list("year", flat=True).distinct())
    blocked = Exists(SpecialCaseRequest.objects.filter(settlement=OuterRef("settlement")).filter(
        ~Exists(SpecialCaseStep.objects.filter(request=OuterRef("pk"), action__in=CLOSING))
        | Q(steps__action=SpecialCaseAction.DECIDED, steps__approve=True)))
    out = []
    for year in sorted(set(years)):
        run = latest_run(institution.region, year)
        out.extend(DipCaseResult.objects.filter(run=run, institution=institution, kind=CaseKind.HIGH)
                   .filter(~blocked).select_related("settlement", "run")
                   .order_by("settlement__setl_time", "settlement__setl_id"))
    return out
