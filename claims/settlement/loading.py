"""The request path's reader: model rows → the engine's frames and the keys of their rows (plan.Inputs).

The engine (policy_rules.engine) knows nothing of Django. The night reads the same Inputs with COPY
(claims.batch.reader); what is written back is the write plan's (claims.settlement.plan), by a writer.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db.models import IntegerField, TextField, Value
from django.db.models.functions import SHA256, Cast, Coalesce
from django.utils import timezone

from claims.models import Accumulator, Visit
from claims.settlement.layer_facts import read_layer_columns, uses_layers
from claims.settlement.plan import Inputs
from claims.settlement.stored_lines import ActiveLines, DriverInt, active_lines, scaled_bigint
from claims.settlement.writers import ratio_to_decimal
from core.periods import local_naive
from core.prepared import Bound, Prepared, fold
from insurance.chronic_selectors import qualification_frame
from insurance.models import Enrollment, Person, PersonalAccount
from policy_rules.engine import PolicyPack, parse_pack
from policy_rules.engine.columnar import columns_or_frame
from policy_rules.engine.facts import chronic_flags
from policy_rules.engine.frames import (
    BASIC_INSUTYPES,
    ENROLLMENT_COLUMNS,
    ENROLLMENT_FIELDS,
    SCALED_CATALOG_ROW,
    chosen_enrollments,
    datetime_column,
    enrollments_in_force,
    inferred_column,
    lines_frame,
    persons_columns,
    scaled_catalog_columns,
    state_columns,
    visits_columns,
)
from policy_rules.engine.money import fen_to_decimal
from policy_rules.models import CatalogItem, PolicyVersion

_PACKS: dict[str, PolicyPack] = {}  # parsed packs by the digest of their document


def pack_digest(document) -> str:
    """The SHA-256 of a policy pack's document in canonical JSON: equal documents, equal digests."""
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode("utf-8")).hexdigest()


# parsed packs by the SHA-256 of their document as the database prints it (its text; on PostgreSQL jsonb's,
# which is canonical): the database digests the stored document, which then need not be sent, decoded or
# digested again in Python while a pack of that digest is kept
_PACKS_BY_STORED: dict[str, PolicyPack] = {}


class _SHA256(SHA256):
    """Django's SHA256, on PostgreSQL by its built-in sha256() (Django's calls pgcrypto's digest())."""

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="ENCODE(SHA256(CONVERT_TO(%(expressions)s, 'UTF8')), 'hex')",
                              **extra_context)


_STORED_DIGEST = _SHA256(Cast("document", TextField()))


_ACTIVE_VERSIONS = Prepared(PolicyVersion, lambda regions: PolicyVersion.objects.active().filter(
    region__in=regions).order_by("effective_from").defer("document").annotate(stored_digest=_STORED_DIGEST))


def active_policies(regions, versions: list[PolicyVersion] | None = None
                    ) -> tuple[list[PolicyVersion], list[PolicyPack]]:
    """The active policy versions of the given regions, each parsed once per distinct document (a cache keyed by
    row id would hand one database's pack to another whose rows reuse the ids, as run_cases does).

    The versions are read with the digest of their stored document instead of the document (deferred); only
    the documents of digests not seen before are read, with their digest in the same statement, so that a pack
    is kept under the digest of the very document it was parsed from. versions: those already read
    (active_versions_read's result)."""
    if versions is None:
        versions = _ACTIVE_VERSIONS(set(regions))
    missing = {v.pk for v in versions if v.stored_digest not in _PACKS_BY_STORED}
    fetched = {}
    if missing:
        for pk, digest, document in PolicyVersion.objects.filter(pk__in=missing).annotate(
                stored_digest=_STORED_DIGEST).values_list("pk", "stored_digest", "document"):
            fetched[pk] = _PACKS_BY_STORED[digest] = parsed_pack(PolicyVersion(pk=pk, document=document))
    return versions, [fetched.get(v.pk) or _PACKS_BY_STORED.get(v.stored_digest) or parsed_pack(v) for v in versions]


def active_versions_read(regions) -> Bound:
    """active_policies' read of the versions, bound (core.prepared.fold)."""
    return _ACTIVE_VERSIONS.bind(set(regions))


def parsed_pack(version: PolicyVersion) -> PolicyPack:
    """A version's pack, parsed once per distinct document."""
    key = pack_digest(version.document)
    if key not in _PACKS:
        _PACKS[key] = parse_pack(version.document)
    return _PACKS[key]


_ENROLLMENT = Visit._meta.get_field("enrollment")


def _enrollment_rows(visits: list[Visit]) -> list[tuple]:
    """(pk, person_id, *ENROLLMENT_FIELDS) of the enrollments the rule chooses among for these visits."""
    if visits and all(v.enrollment_id is not None and _ENROLLMENT.is_cached(v) for v in visits):
        # every visit was registered under an enrollment and read with it (select_related): the rule takes
        # that one and no other, so the persons' other enrollments need not be read
        return list({v.enrollment_id: (v.enrollment.pk, v.enrollment.person_id,
                                       *(getattr(v.enrollment, f) for f in ENROLLMENT_FIELDS)) for v in visits}.values())
    return list(Enrollment.objects.filter(person_id__in={v.person_id for v in visits})
                .values_list("pk", "person_id", *ENROLLMENT_FIELDS))


def enrollments_of(visits: list[Visit], rows: list[tuple] | None = None) -> pd.DataFrame:
    """The enrollment each visit is settled under (policy_rules.engine.frames.enrollments_in_force), from the
    enrollments of their persons read in one query (rows: those already read, _enrollment_rows)."""
    if rows is None:
        rows = _enrollment_rows(visits)
    # column by column (pandas infers each as from the rows): cheaper than a frame from a list of tuples
    enrollments = pd.DataFrame({c: inferred_column([r[i] for r in rows]) for i, c in enumerate(ENROLLMENT_COLUMNS)},
                               columns=ENROLLMENT_COLUMNS) if rows else pd.DataFrame(rows, columns=ENROLLMENT_COLUMNS)
    return enrollments_in_force(pd.DataFrame({
        "person_id": np.array([v.person_id for v in visits], dtype=np.int64),
        "begin_date": [timezone.localtime(v.begntime).date() for v in visits],
        "enrollment_id": np.array([v.enrollment_id or -1 for v in visits], dtype=np.int64),
    }), enrollments)


_FROM, _TO, _INSUTYPE = (ENROLLMENT_COLUMNS.index(c) for c in ("enrolled_from", "enrolled_to", "insutype"))
_NS_YEARS = range(1678, 2262)  # datetime64[ns]'s years, within which the frame path's dates are exact


def _plain_dates(values) -> bool:
    return all(v is None or (type(v) is dt.date and v.year in _NS_YEARS) for v in values)


def _chosen_records(visits: list[Visit], rows: list[tuple]) -> list[dict] | None:
    """ENROLLMENT_FIELDS of the enrollment each visit is settled under, as visit_records hands them on, chosen by
    the engine's rule on arrays (frames.chosen_enrollments) without the frames around it; None when a date is
    not a plain date within datetime64[ns]'s range (visit_records then takes the frames' path).

    The values are those of the frames' path: a text field '' where missing (fillna("")), paid_through None,
    the dates as midnight datetimes (datetime64 → datetime) or None; no enrollment: '' and None."""
    days = [timezone.localtime(v.begntime).date() for v in visits]
    if not (_plain_dates(r[_FROM] for r in rows) and _plain_dates(r[_TO] for r in rows) and _plain_dates(days)):
        return None
    chosen = chosen_enrollments(
        np.array([v.person_id for v in visits], dtype=np.int64), np.array(days, dtype="datetime64[D]"),
        np.array([v.enrollment_id or -1 for v in visits], dtype=np.int64),
        np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.int64),
        np.array([r[_FROM] for r in rows], dtype="datetime64[D]"),
        np.array([r[_TO] for r in rows], dtype="datetime64[D]"),
        e_basic=np.array([r[_INSUTYPE] in BASIC_INSUTYPES for r in rows], dtype=bool))
    out = []
    for pos in chosen.tolist():
        row = rows[pos] if pos >= 0 else (None,) * len(ENROLLMENT_COLUMNS)
        record = {}
        for i, c in enumerate(ENROLLMENT_COLUMNS[2:], start=2):
            value = row[i]
            if c in ("enrolled_from", "enrolled_to"):
                record[c] = None if value is None else dt.datetime(value.year, value.month, value.day)
            elif c == "paid_through":
                record[c] = None if pd.isna(value) else value
            else:
                record[c] = "" if pd.isna(value) else value
        out.append(record)
    return out


def _frame_records(visits: list[Visit], rows: list[tuple]) -> list[dict]:
    """_chosen_records through the frames (enrollments_of): any values."""
    frame = enrollments_of(visits, rows)
    # the values to_dict("records") gives, but the dates as plain datetimes (not Timestamps): the same values,
    # which visits_frame converts by numpy instead of pd.to_datetime
    columns = {c: (frame[c].to_numpy().astype("datetime64[us]").tolist() if frame[c].dtype == "datetime64[ns]"
                   else frame[c].tolist()) for c in ENROLLMENT_FIELDS}
    return [{c: columns[c][i] for c in ENROLLMENT_FIELDS} for i in range(len(frame))]


def visit_records(visits: list[Visit], setl_times: dict[int, dt.datetime]) -> list[dict]:
    """The engine's visit records (frames.VISIT_COLUMNS) of these visits settled at these times."""
    rows = _enrollment_rows(visits)
    chosen = _chosen_records(visits, rows)
    if chosen is None:
        chosen = _frame_records(visits, rows)
    return [{
        "mdtrt_id": v.mdtrt_id, "psn_no": v.person.psn_no, "med_type": v.med_type,
        "begntime": local_naive(v.begntime), "setl_time": local_naive(setl_times[v.pk]),
        "inst_level": v.institution.level, "inst_designated": v.institution.designated,
        # without an enrollment in force the engine finds the visit NOT_ENROLLED
        **{c: (None if pd.isna(e[c]) else e[c]) for c in ENROLLMENT_FIELDS},
    } for v, e in zip(visits, chosen, strict=True)]


def chronic_columns(visits: pd.DataFrame) -> dict[str, np.ndarray]:
    """The 门慢特 visit columns (frames.OPTIONAL_VISIT_COLUMNS dise_codg, chronic_qualified,
    chronic_at_institution) of visits given as person (Person pk), begin_date (day of admission), dise_codg and
    institution (Institution pk): facts.chronic_flags over the persons' approved qualifications
    (insurance.chronic_selectors.qualification_frame). Both readers call it. {} when no visit names a disease:
    then the qualifications are not read and the engine's defaults (not qualified) stand."""
    disease = visits["dise_codg"].fillna("").astype(str)
    named = (disease != "").to_numpy()
    if not named.any():
        return {}
    qualifications = qualification_frame(visits["person"].to_numpy()[named].tolist())
    qualified, at_institution = chronic_flags(pd.DataFrame({
        "person": visits["person"].to_numpy(np.int64), "begin_date": visits["begin_date"].to_numpy(),
        "dise_codg": disease.to_numpy(dtype=object), "institution": visits["institution"].astype(str).to_numpy(object),
    }), qualifications)
    return {"dise_codg": disease.to_numpy(dtype=object), "chronic_qualified": qualified,
            "chronic_at_institution": at_institution}


def _with_chronic(visits: list[Visit], records: list[dict]) -> list[dict]:
    """The visit records with their 门慢特 columns (chronic_columns), where a visit names a disease."""
    if all(v.dise_codg in (None, "") for v in visits):  # chronic_columns' {} without its frame (most visits)
        return records
    columns = chronic_columns(pd.DataFrame({
        "person": [v.person_id for v in visits], "begin_date": [timezone.localtime(v.begntime).date() for v in visits],
        "dise_codg": [v.dise_codg for v in visits], "institution": [v.institution_id for v in visits]}))
    for c, values in columns.items():
        for record, value in zip(records, values.tolist(), strict=True):
            record[c] = value
    return records


# the counter's reads, compiled once per shape (core.prepared)
# the catalog rows as the engine's frame holds them (frames.SCALED_CATALOG_ROW), scaled by the database as the
# night's reader reads them (claims.batch.reader CATALOG_SQL), with the names the audit reads
_CATALOG_SCALED = {
    "selfpay_prop_e6": scaled_bigint("selfpay_prop", 1_000_000, missing=-1),
    "price_limit_e4": scaled_bigint("price_limit", 10_000, missing=-1),
    "gender_or_none": Coalesce("restrict_gender", Value("")),
    **{f"{c}_or_none": DriverInt(Coalesce(c, Value(-1), output_field=IntegerField()))
       for c in ("restrict_min_age", "restrict_max_age", "restrict_min_level")},
    # the restriction's JSON text, parsed in Python once per distinct text (_med_types) and not by the JSON field's
    # converter once per row: most items share a few restrictions (none, mostly)
    "med_types_json": Cast("restrict_med_types", TextField()),
}
_CATALOG = Prepared(CatalogItem, lambda codes: CatalogItem.objects.filter(med_list_codg__in=codes).annotate(
    **_CATALOG_SCALED).values_list(
    "med_list_codg", "chrg_lv", "selfpay_prop_e6", "price_limit_e4", "gender_or_none", "restrict_min_age_or_none",
    "restrict_max_age_or_none", "restrict_min_level_or_none", "med_types_json", "effective_from",
    "effective_to", "name"))
_MED_TYPES = SCALED_CATALOG_ROW.index("restrict_med_types")


def _med_types(rows: list[tuple]) -> list[tuple]:
    """The catalog read's rows with their restriction as the JSON field gives it (json.loads of the stored text:
    the same value), each distinct text parsed once: the rows of one text share its value (read, never changed)."""
    parsed: dict[str | None, object] = {}
    out = []
    for row in rows:
        text = row[_MED_TYPES]
        if text not in parsed:
            parsed[text] = None if text is None else json.loads(text)
        out.append((*row[:_MED_TYPES], parsed[text], *row[_MED_TYPES + 1:]))
    return out


_ACCUMULATORS = Prepared(Accumulator, lambda persons, years: Accumulator.objects.filter(
    person__in=persons, year__in=years).values_list("person__psn_no", "year", "kind", "key", "amount"))


def _balances_in_hand(persons: dict) -> dict | None:
    """{person_id: balance} of these persons when their accounts were read with them (select_related
    "person__account" after the persons were locked, as settle_visits does); None otherwise."""
    account = Person.account  # the reverse one-to-one's descriptor
    if not persons or not all(account.is_cached(p) for p in persons.values()):
        return None
    accounts = {pid: account.related.get_cached_value(p) for pid, p in persons.items()}
    return {pid: a.balance for pid, a in accounts.items() if a is not None}


def load_inputs(visits: list[Visit], setl_times: dict[int, dt.datetime], *, with_state: bool = True,
                line_rows: ActiveLines | list[dict] | None = None, also: tuple[Bound, ...] = ()
                ) -> tuple[Inputs, list[tuple]]:
    """The engine's inputs for these visits (their active lines, persons, catalog, policies, state) and the keys
    to write its result back, read with the ORM; with the catalog rows read (frames.SCALED_CATALOG_ROW). The
    catalog frame holds the items' names: it is the audit's catalog too. Each part is handed over as its
    Columns where it can be (policy_rules.engine.columnar): the engine and the plan read the arrays, and a
    frame is built only for whoever asks for one (Inputs' attributes).

    line_rows: the visits' active lines already in hand (active_lines), so that they are not read again; or lines
    not stored yet (dicts of mdtrt_id, feedetl_sn, med_list_codg, cnt, pric, det_item_fee_sumamt) to classify,
    which then have no keys. The stored lines' one frame is both the engine's lines and the plan's line keys.

    The catalog, the active versions and the accumulators are read in one statement (core.prepared.fold), with
    `also`: other reads of the same request bound beforehand (the audit's: claims.audit.pipeline.audit_reads)."""
    visits = list(visits)
    if line_rows is None:
        line_rows = active_lines(visits)
    if isinstance(line_rows, ActiveLines):
        stored = line_rows.of(v.pk for v in visits)
        lines = line_keys = stored.columns_part
        codes = set(stored.columns["med_list_codg"])
    else:  # lines not stored yet (an upload's): no keys
        ours = {v.mdtrt_id for v in visits}
        line_rows = [r for r in line_rows if r["mdtrt_id"] in ours]
        lines = lines_frame([{"mdtrt_id": r["mdtrt_id"], "feedetl_sn": r["feedetl_sn"],
                              "med_list_codg": r["med_list_codg"], "cnt": r["cnt"], "pric": r["pric"],
                              "det_item_fee_sumamt": r["det_item_fee_sumamt"]} for r in line_rows])
        line_keys = ActiveLines.from_rows([]).columns_part  # LINE_KEYS of no lines
        codes = {r["med_list_codg"] for r in line_rows}
    persons = {v.person_id: v.person for v in visits}
    balances = _balances_in_hand(persons)
    if balances is None:
        balances = dict(PersonalAccount.objects.filter(person__in=persons).values_list("person_id", "balance"))
    person_rows = [
        {"psn_no": p.psn_no, "gender": p.gender, "birth_date": p.birth_date, "acct_balance": balances.get(pid, 0)}
        for pid, p in persons.items()
    ]
    catalog_read, versions_read = _CATALOG.bind(codes), active_versions_read({v.institution.region for v in visits})
    state_read = _ACCUMULATORS.bind(list(persons), {local_naive(t).year for t in setl_times.values()}) \
        if with_state else None
    fold(catalog_read, versions_read, *((state_read,) if with_state else ()), *also)
    catalog_items = _med_types(catalog_read.result)
    versions, packs = active_policies(None, versions_read.result)
    state_rows = []
    if with_state:
        state_rows = [
            {"psn_no": psn_no, "year": year, "kind": kind, "key": key,
             "amount": int(amount) if kind == "admissions" else int(amount * 100)}
            for psn_no, year, kind, key, amount in state_read.result
        ]
    records = _with_chronic(visits, visit_records(visits, setl_times))
    if uses_layers(packs):  # the project's layers' facts (claims.settlement.layer_facts), as the night reads them
        for c, values in read_layer_columns(visits, [r["insutype"] for r in records]).items():
            for r, value in zip(records, values.tolist(), strict=True):
                r[c] = value
    visit_keys = columns_or_frame({
        "mdtrt_id": inferred_column([v.mdtrt_id for v in visits]),
        "visit_id": np.array([v.pk for v in visits], dtype=np.int64),
        "person_id": np.array([v.person_id for v in visits], dtype=np.int64),
        "institution_id": np.array([v.institution_id for v in visits], dtype=np.int64),
        "med_type": inferred_column([v.med_type for v in visits]),
        "setl_time": datetime_column([r["setl_time"] for r in records]),
    })  # in VISIT_KEYS' order (columns= would cost pandas several times the frame)
    inputs = Inputs(
        lines=lines,
        visits=visits_columns(records),
        persons=persons_columns(person_rows),
        catalog=scaled_catalog_columns(catalog_items),  # with the names: the audit's catalog too
        policies=packs,
        state=state_columns(state_rows),
        visit_keys=visit_keys,
        line_keys=line_keys,
        version_ids={p.code: v.pk for p, v in zip(packs, versions, strict=True)},
    )
    return inputs, catalog_items


def line_split_records(split: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """Engine line split (fen) → {(mdtrt_id, feedetl_sn): Decimal fields as stored and answered}."""
    columns = [split[c].tolist() for c in ("mdtrt_id", "feedetl_sn", "fulamt_ownpay_amt", "overlmt_selfpay",
                                           "preselfpay_amt", "inscp_scp_amt", "chrgitm_lv", "selfpay_prop_e6",
                                           "reason")]
    yuan: dict[int, Decimal] = {}  # the same few amounts recur on many lines: each converted once

    def money(fen: int) -> Decimal:
        try:
            return yuan[fen]
        except KeyError:
            value = yuan[fen] = fen_to_decimal(fen)
            return value

    out = {}
    for mdtrt_id, sn, fulamt, overlmt, preself, inscp, chrg, prop_e6, reason in zip(*columns, strict=True):
        out[(mdtrt_id, sn)] = {
            "fulamt_ownpay_amt": money(fulamt),
            "overlmt_selfpay": money(overlmt),
            "preselfpay_amt": money(preself),
            "inscp_scp_amt": money(inscp),
            "chrgitm_lv": chrg or "",
            "selfpay_prop": ratio_to_decimal(prop_e6),
            "reason": reason or "",
        }
    return out


