"""Smart audit in the claims pipeline: build the audit engine's frames, run the rules, record the hits.

Upload and pre-settlement return the "warn" hits to the institution; settlement records every hit
and opens suspect items (疑点) for the "suspect" ones. The rules run as frame operations in
policy_rules.engine.audit, for one visit and for a batch alike.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from django.db.models import Avg, Count

from claims.models import (
    FeeLine,
    FeeLineStatus,
    InstitutionAuditStats,
    Settlement,
    SettlementKind,
    SettlementStatus,
    Visit,
)
from core.periods import day_start, local_naive
from core.prepared import Bound, Prepared
from insurance.chronic_selectors import any_qualification_read, qualification_frame
from policy_rules.audit_library import digest_read, rules_in_force
from policy_rules.engine.audit import run_audit
from policy_rules.engine.columnar import Columns, column, columns_or_frame, frame_of, rows_of
from policy_rules.engine.facts import holds_qualification
from policy_rules.engine.frames import (
    catalog_frame,
    datetime_column,
    diagnosis_codes,
    full_years,
    inferred_column,
)
from policy_rules.engine.money import QTY_SCALE, fen_to_decimal, scaled
from policy_rules.models import CATALOG_FIELDS, CatalogItem
from review.services import record_hits

HISTORY_DAYS = 90


class LinesInHand(Protocol):
    """Stored active lines a settlement has read already (claims.settlement.stored_lines.ActiveLines)."""

    def of(self, visit_ids) -> LinesInHand:
        """The lines of these visits."""

    def audit_part(self) -> Columns | pd.DataFrame:
        """The audit's lines: mdtrt_id, feedetl_sn, med_list_codg, cnt_e4, pric_e4, amount_fen and fee_ocur_time
        (naive local), in the model's order (visit, feedetl_sn); a few lines as their Columns."""

    def line_ids(self) -> dict[tuple[int, str], int]:
        """{(visit_id, feedetl_sn): fee line pk}."""


VISIT_FIELDS = ("mdtrt_id", "person__psn_no", "institution__fixmedins_code", "med_type", "begntime", "endtime",
                "institution__level", "person__gender", "person__birth_date", "diagnoses")


def _visit_values(visits: list[Visit]) -> list[tuple]:
    """VISIT_FIELDS of visits in hand (with their person and institution)."""
    return [(v.mdtrt_id, v.person.psn_no, v.institution.fixmedins_code, v.med_type, v.begntime, v.endtime,
             v.institution.level, v.person.gender, v.person.birth_date, v.diagnoses) for v in visits]


def _visit_rows(rows: list[tuple], **extra: np.ndarray) -> Columns | pd.DataFrame:
    """The audit's visits of VISIT_FIELDS rows, with these extra columns last (built with the frame: a column set
    afterwards costs pandas several times more); a few visits as their Columns (engine.columnar)."""
    if not rows and not extra:  # no history (most visits at the counter): the columns of no rows, built once
        return Columns(dict(_no_visit_rows().arrays), 0)
    return _visit_frame(rows, **extra)


@functools.cache
def _no_visit_rows() -> Columns:
    return _visit_frame([])


def _visit_frame(rows: list[tuple], **extra: np.ndarray) -> Columns | pd.DataFrame:
    # built column by column: cheaper than a frame from many small dicts with dates parsed afterwards
    m, psn, inst, med_type, begn, end, level, gender, birth, diag = zip(*rows, strict=True) if rows else ((),) * 10
    begntime = [local_naive(t) for t in begn]
    diagnoses = np.empty(len(rows), dtype=object)
    diagnoses[:] = [diagnosis_codes(d) for d in diag]
    return columns_or_frame({
        "mdtrt_id": inferred_column(list(m)),
        "psn_no": inferred_column(list(psn)),
        "fixmedins_code": inferred_column(list(inst)),
        "med_type": inferred_column(list(med_type)),
        "begntime": datetime_column(begntime),
        "endtime": datetime_column([local_naive(t) for t in end]),
        "inst_level": inferred_column(list(level)),
        "gender": inferred_column(list(gender)),
        "age": full_years(begntime, list(birth)) if rows else np.zeros(0, np.int64),
        "diagnoses": diagnoses,
        **extra,
    }, texts=True)  # fresh columns: not copied; the object arrays hold str, None and tuples of str


# the history's columns: those the cross-visit rules read of it (policy_rules.engine.audit.runner), VISIT_FIELDS' first
HISTORY_FIELDS = VISIT_FIELDS[:6]
# the other visits of these persons overlapping [begin, end): history for the cross-visit rules
_HISTORY = Prepared(Visit, lambda persons, end, begin, ours: (
    Visit.objects.filter(person__in=persons, begntime__lt=end).exclude(endtime__lt=begin).exclude(pk__in=ours)
    .values_list(*HISTORY_FIELDS)))


def _history_rows(rows: list[tuple]) -> Columns | pd.DataFrame:
    """The audit's history of HISTORY_FIELDS rows (no person's age, gender or diagnoses: no rule reads them of the
    history, and the frame costs pandas by the column); a few visits as their Columns."""
    if not rows:
        return Columns(dict(_no_visit_rows().arrays), 0)
    m, psn, inst, med_type, begn, end = zip(*rows, strict=True)
    return columns_or_frame({
        "mdtrt_id": inferred_column(list(m)), "psn_no": inferred_column(list(psn)),
        "fixmedins_code": inferred_column(list(inst)), "med_type": inferred_column(list(med_type)),
        "begntime": datetime_column([local_naive(t) for t in begn]),
        "endtime": datetime_column([local_naive(t) for t in end]),
    }, texts=True)  # fresh columns: not copied

_KEPT_STATS = Prepared(InstitutionAuditStats, lambda day, institutions: InstitutionAuditStats.objects.filter(
    day=day, institution_id__in=institutions).values_list("institution_id", "by_med_type"))


def chronic_holders(person_ids, begin_dates, held: list | None = None) -> np.ndarray:
    """Whether each (person pk, day of admission) held an approved 门慢特 qualification of any disease that day
    (facts.holds_qualification over insurance.chronic_selectors.qualification_frame): the audit visits' column
    chronic_holder, which the long-prescription rule reads instead of the med type. One query (none when held,
    qualification_frame's look-up, was read already and found none)."""
    person_ids = np.asarray(person_ids, dtype=np.int64)
    if not len(person_ids):
        return np.zeros(0, dtype=bool)
    qualifications = qualification_frame(person_ids.tolist(), held=held)
    if qualifications.empty:  # holds_qualification's answer then, without the visits' frame (most persons hold none)
        return np.zeros(len(person_ids), dtype=bool)
    return holds_qualification(pd.DataFrame({"person": person_ids, "begin_date": list(begin_dates)}), qualifications)


STATS_COLUMNS = ["fixmedins_code", "med_type", "avg_amount_fen", "visits"]


def institution_stats(since: dt.datetime, until: dt.datetime | None = None, institutions=None) -> pd.DataFrame:
    """The institutions' statistics the outlier rules compare a visit with: per institution and medical type, the
    number of settled settlements with setl_time in [since, until) (until None: no upper bound) and their
    average medical fee total in fen (Django's Avg, a Decimal, rounded half even). institutions: only these
    (ids); None: every institution."""
    stats = Settlement.objects.filter(kind=SettlementKind.SETTLEMENT, status=SettlementStatus.SETTLED,
                                      setl_time__gte=since)
    if until is not None:
        stats = stats.filter(setl_time__lt=until)
    if institutions is not None:
        stats = stats.filter(institution__in=institutions)
    stats = (stats.values("institution__fixmedins_code", "med_type")
             .annotate(avg=Avg("medfee_sumamt"), n=Count("pk")).order_by())
    return pd.DataFrame([
        {"fixmedins_code": s["institution__fixmedins_code"], "med_type": s["med_type"],
         "avg_amount_fen": int(round(s["avg"] * 100)), "visits": s["n"]} for s in stats
    ], columns=STATS_COLUMNS)



def day_stats(day: dt.date, institutions: dict[int, str], kept: list | None = None, *, as_columns: bool = False
              ) -> pd.DataFrame | Columns:
    """institution_stats of the HISTORY_DAYS before `day` for these institutions ({id: fixmedins_code}), the window
    of a daily job's plan: each institution's are read once a day and kept (InstitutionAuditStats), so that a
    settlement at a large hospital does not average its 90 days of settlements again for every request.
    kept: the kept rows already read (stats_read's result). as_columns: a few rows as their Columns (the audit's
    input at the counter, engine.columnar)."""
    kept = dict(_KEPT_STATS(day, list(institutions)) if kept is None else kept)
    missing = sorted(set(institutions) - set(kept))
    if missing:
        start = day_start(day)
        fresh = institution_stats(start - dt.timedelta(days=HISTORY_DAYS), start, institutions=missing)
        code_to_id = {institutions[i]: i for i in missing}
        computed = {i: {} for i in missing}
        for row in fresh.itertuples(index=False):
            computed[code_to_id[row.fixmedins_code]][row.med_type] = [int(row.avg_amount_fen), int(row.visits)]
        # in institution order, so that two settlements computing the same day's rows never wait on each other
        # crosswise; a row another transaction wrote meanwhile holds the same figures and is kept
        InstitutionAuditStats.objects.bulk_create(
            [InstitutionAuditStats(day=day, institution_id=i, by_med_type=computed[i]) for i in missing],
            ignore_conflicts=True)
        kept.update(computed)
    rows = [(institutions[i], med_type, avg, n) for i in sorted(kept) for med_type, (avg, n) in sorted(kept[i].items())]
    # built column by column with the final types (a frame of dicts cast afterwards costs several times more)
    data = {
        "fixmedins_code": _objects([r[0] for r in rows]), "med_type": _objects([r[1] for r in rows]),
        "avg_amount_fen": np.array([r[2] for r in rows], dtype=np.int64),
        "visits": np.array([r[3] for r in rows], dtype=np.int64),
    }  # in STATS_COLUMNS' order (columns= would cost pandas several times the frame)
    return columns_or_frame(data, texts=True) if as_columns else pd.DataFrame(data, copy=False)


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def stats_columns(stats: pd.DataFrame) -> dict[str, list]:
    """institution_stats' frame as JSON (the daily job keeps its own: DailyJob.audit_stats), column by column."""
    return {c: stats[c].tolist() for c in STATS_COLUMNS}


def stats_frame(columns: dict[str, list]) -> pd.DataFrame:
    """stats_columns back into institution_stats' frame."""
    return pd.DataFrame({c: columns.get(c, []) for c in STATS_COLUMNS}).astype(
        {"fixmedins_code": object, "med_type": object, "avg_amount_fen": np.int64, "visits": np.int64})


def _lines_part(visits: list[Visit]) -> Columns | pd.DataFrame:
    """The audit's lines of these visits' active lines, read with the ORM (in the model's order); a few lines as
    their Columns."""
    line_rows = list(FeeLine.objects.filter(visit__in=visits, status=FeeLineStatus.ACTIVE).values(
        "visit__mdtrt_id", "feedetl_sn", "med_list_codg", "cnt", "pric", "det_item_fee_sumamt", "fee_ocur_time"))
    qty = {}  # the same quantities and prices recur: each scaled once

    def q(value):
        key = (type(value), str(value))
        if key not in qty:
            qty[key] = scaled(value, QTY_SCALE)
        return qty[key]

    fen = {}  # and the same amounts: each converted once (numerically equal amounts give the same fen)

    def f(value):
        try:
            return fen[value]
        except KeyError:
            result = fen[value] = int(value * 100)
            return result

    naive = {}  # the lines of a visit share a few fee times: each converted to local time once

    def local(value):
        try:
            return naive[value]
        except KeyError:
            result = naive[value] = local_naive(value)
            return result

    return columns_or_frame({
        "mdtrt_id": inferred_column([r["visit__mdtrt_id"] for r in line_rows]),
        "feedetl_sn": inferred_column([r["feedetl_sn"] for r in line_rows]),
        "med_list_codg": inferred_column([r["med_list_codg"] for r in line_rows]),
        "cnt_e4": inferred_column([q(r["cnt"]) for r in line_rows]),
        "pric_e4": inferred_column([q(r["pric"]) for r in line_rows]),
        "amount_fen": inferred_column([f(r["det_item_fee_sumamt"]) for r in line_rows]),
        "fee_ocur_time": datetime_column([local(r["fee_ocur_time"]) for r in line_rows]),
    }, texts=True)  # inferred_column's object arrays hold str only


def _audit_day(visits: list[Visit], on: dt.datetime | None = None) -> dt.date:
    """The day whose rules and statistics apply: that of `on`, or of the visits' last discharge (or admission)."""
    return local_naive(on or max((v.endtime or v.begntime) for v in visits)).date()


def _history_read(visits: list[Visit]) -> Bound:
    """The other visits of these visits' persons within HISTORY_DAYS of them, bound."""
    begin = min(v.begntime for v in visits) - dt.timedelta(days=HISTORY_DAYS)
    end = max((v.endtime or v.begntime) for v in visits) + dt.timedelta(days=HISTORY_DAYS)
    return _HISTORY.bind(list(dict.fromkeys(v.person_id for v in visits)), end, begin, [v.pk for v in visits])


@dataclass
class AuditReads:
    """What the audit of these visits reads of the database, bound (core.prepared) so that a settlement reads it
    with its own reads in one statement (claims.settlement.loading.load_inputs' `also`): the rule table's digest
    (rules_in_force), whether the persons hold any qualification (chronic_holders), the history and the day's
    kept statistics (day_stats; None when the caller gives its own). audit_visits(ahead=…) then reads none of it
    again; a read not run yet runs when it is needed, alone."""
    visit_ids: frozenset
    day: dt.date
    digest: Bound | None
    held: Bound
    history: Bound
    stats: Bound | None

    def bounds(self) -> tuple[Bound, ...]:
        return tuple(b for b in (self.digest, self.held, self.history, self.stats) if b is not None)


def audit_reads(visits: list[Visit], *, on: dt.datetime | None = None, with_stats: bool = True) -> AuditReads:
    """audit_visits' reads of these visits (as audit_visits(visits, on=on) reads them), bound to be run later."""
    day = _audit_day(visits, on)
    return AuditReads(
        visit_ids=frozenset(v.pk for v in visits), day=day, digest=digest_read(),
        held=any_qualification_read(v.person_id for v in visits), history=_history_read(visits),
        stats=_KEPT_STATS.bind(day, list(_institutions(visits))) if with_stats else None)


def _institutions(visits: list[Visit]) -> dict[int, str]:
    return {v.institution_id: v.institution.fixmedins_code for v in visits}


def audit_frames(visits: list[Visit], inst_stats: pd.DataFrame | None = None, *, day: dt.date | None = None,
                 line_rows: LinesInHand | None = None, catalog_items: list[dict] | None = None,
                 catalog: pd.DataFrame | None = None, ahead: AuditReads | None = None) -> dict:
    """The audit engine's inputs for these visits: lines, visits, catalog (with names), history, stats.

    The institutions' statistics are those of the HISTORY_DAYS before `day` (default: the local day of the
    visits' last discharge), kept once a day per institution (day_stats). The daily job passes its own,
    inst_stats, fixed when it was planned (those of the HISTORY_DAYS before its day: claims.batch.jobs.plan_job),
    the same for every chunk whichever worker settles first: the same window.

    Already in hand (the settlement has just read them in the same transaction), they are not read again:
    line_rows, the active lines of these visits or more (claims.settlement.stored_lines.active_lines), and
    catalog_items, the catalog rows (CATALOG_FIELDS) of their codes or more, or catalog, the engine's catalog
    frame of their codes or more with the names (catalog_frame(…, names=True)), used as it is when it holds
    no other items. ahead: these visits' reads bound beforehand (audit_reads), run or not."""
    if ahead is not None and ahead.visit_ids != frozenset(v.pk for v in visits):
        ahead = None  # bound for other visits
    if line_rows is not None:  # the stored lines in hand: their arrays, already scaled
        lines = line_rows.of(v.pk for v in visits).audit_part()
    else:
        lines = _lines_part(visits)
    codes = set(column(lines, "med_list_codg").tolist())
    if catalog is not None and "name" in catalog.columns:
        cat_codes = column(catalog, "med_list_codg", object)
        if not set(cat_codes.tolist()) <= codes:  # items of other visits' lines: only these visits' items
            catalog = rows_of(catalog, pd.Series(cat_codes).isin(codes).to_numpy())
    else:
        if catalog_items is None:
            items = list(CatalogItem.objects.filter(med_list_codg__in=codes).values(*CATALOG_FIELDS))
        else:
            items = [i for i in catalog_items if i["med_list_codg"] in codes]
        catalog = catalog_frame(items, names=True)
    frame = _visit_rows(_visit_values(visits), chronic_holder=chronic_holders(
        [v.person_id for v in visits], [local_naive(v.begntime).date() for v in visits],
        held=ahead.held.run() if ahead is not None else None))
    others = (ahead.history if ahead is not None else _history_read(visits)).run()
    if inst_stats is None:
        day = day or _audit_day(visits)
        stats = ahead.stats if ahead is not None and ahead.day == day else None
        inst_stats = day_stats(day, _institutions(visits), kept=stats.run() if stats is not None else None,
                               as_columns=True)
    else:
        ours = {v.institution.fixmedins_code for v in visits}
        inst_stats = inst_stats[inst_stats["fixmedins_code"].isin(ours)].reset_index(drop=True)
    return {"lines": lines, "visits": frame, "catalog": catalog, "history": _history_rows(others),
            "inst_stats": inst_stats}


def audit_visits(visits: list[Visit], *, stage: str, settlements: dict[str, Settlement] | None = None,
                 on: dt.datetime | None = None, inst_stats: pd.DataFrame | None = None, new_settlements: bool = False,
                 **given) -> pd.DataFrame | Columns:
    """Run the rules in force on these visits and record the hits; returns the hits (run_audit's: a frame, or its
    Columns for a visit's few hits; warnings_of reads either).

    inst_stats: the institutions' statistics to compare with (the daily job's); None: read them.
    new_settlements: `settlements` were created in the caller's open transaction (review.services.record_hits).
    given: what audit_frames need not read again (line_rows, catalog_items, catalog) and its reads bound
    beforehand, run or not (ahead: audit_reads)."""
    visits = list(visits)
    if not visits:
        return pd.DataFrame()
    day = _audit_day(visits, on)
    ahead = given.get("ahead")
    if ahead is not None and ahead.visit_ids != frozenset(v.pk for v in visits):
        ahead = given["ahead"] = None  # bound for other visits
    digest = ahead.digest if ahead is not None else None
    rules = rules_in_force(day, digest=digest.run() if digest is not None else None)
    if not rules:
        return pd.DataFrame()
    hits = run_audit(rules=rules, **audit_frames(visits, inst_stats, day=day, **given))
    if stage == "settlement" and not set(hits["mdtrt_id"].tolist()) <= (settlements or {}).keys():
        hits = frame_of(hits)  # (all of them at the counter: no copy)
        hits = hits[hits["mdtrt_id"].isin(list(settlements or {}))]
    line_rows = given.get("line_rows")
    line_ids = None
    if line_rows is not None:
        # the stored lines in hand: every line a hit names is one of them (the audit's lines are these)
        line_ids = line_rows.of(v.pk for v in visits).line_ids()
    record_hits(hits, stage=stage, visits_by_mdtrt={v.mdtrt_id: v for v in visits},
                settlements_by_mdtrt=settlements, new_settlements=new_settlements, line_ids=line_ids, rules=rules)
    return hits


def warnings_of(hits: pd.DataFrame | Columns) -> list[dict]:
    """The hits an institution is told about at upload and pre-settlement (audit_visits' hits, a frame or its
    Columns), read column by column."""
    if hits is None or len(hits) == 0:
        return []
    names = ("rule_code", "rule_type", "severity", "feedetl_sns", "amount_fen", "evidence")
    return [{"rule_code": code, "rule_type": kind, "severity": severity, "feedetl_sns": list(sns),
             "amount": fen_to_decimal(fen), "evidence": evidence}
            for code, kind, severity, sns, fen, evidence in zip(*(column(hits, c).tolist() for c in names),
                                                                strict=True)]
