"""Build the engine's input frames from plain records (dicts with decimal strings, dates, ...).

The bulk path builds the same columns straight from SQL; these builders serve the single-visit API,
the case runner and tests. Values are validated here, with errors naming the record and the field.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

import numpy as np
import pandas as pd

from .columnar import Columns, columns_or_frame, exact_columns, frame_of
from .lookup import SMALL
from .money import FEN, QTY_SCALE, RATIO_SCALE, scaled, to_fen

CATALOG_COLUMNS = [
    "med_list_codg", "chrg_lv", "selfpay_prop_e6", "price_limit_e4", "restrict_gender", "restrict_min_age",
    "restrict_max_age", "restrict_min_level", "restrict_med_types",
]


def diagnosis_code(item) -> str:
    """One diagnosis as a visit stores it (claims.Visit.diagnoses: the national {"diag_code", "diag_name"}
    object, or a bare code) → its code, trimmed and in upper case ("k35.800 " → "K35.800"); '' for none.

    The one reading of a stored diagnosis: the readers of the adjudication and audit frames, the payment
    standards and the grouper all call it, so a code matches the same way everywhere."""
    if isinstance(item, Mapping):
        item = item.get("diag_code")
    return str(item or "").strip().upper()


def diagnosis_codes(diagnoses) -> tuple[str, ...]:
    """A visit's stored diagnoses (a list, or None) → their codes, in order."""
    return tuple(diagnosis_code(d) for d in (diagnoses or ()))


def _none(v) -> bool:
    return v is None or v == "" or (isinstance(v, float) and np.isnan(v))


def _memo(convert):
    """convert(value), each distinct value converted once per frame (quantities, prices and amounts recur).

    Keyed by the value's type and text, so that values equal but written differently (1.5 and 1.50) are
    each converted on their own: the result is exactly convert(value)."""
    done: dict = {}

    def get(value):
        key = (type(value), str(value))
        try:
            return done[key]
        except KeyError:
            result = done[key] = convert(value)
            return result

    return get


# pd.to_datetime's range (datetime64[ns]); a value outside it goes through pandas, which says so
_NS_YEARS = range(1678, 2262)


def _plain(values: list, kind: type) -> bool:
    """Whether every value is None or of exactly this type (dt.datetime: naive) in datetime64[ns]'s years: the
    types and the years looked through by map and comprehensions, not by a generator resumed per value."""
    if not set(map(type, values)) <= {kind, type(None)}:
        return False
    present = [v for v in values if v is not None]
    if kind is dt.datetime and {v.tzinfo for v in present} - {None}:
        return False
    years = {v.year for v in present}
    return not years or (min(years) in _NS_YEARS and max(years) in _NS_YEARS)


def datetime_column(values) -> np.ndarray | pd.Series:
    """pd.to_datetime(values) as a datetime64[ns] column.

    Plain dates, naive datetimes and None (what the database and the records give) are converted by
    numpy: pandas' parser has a fixed cost per call, however few the values, and the small frames of one
    visit have several such columns. Anything else (strings, Timestamps, aware datetimes, NaN...) goes
    through pd.to_datetime, so that the result is always exactly its."""
    if isinstance(values, pd.Series) and values.dtype != object:
        return pd.to_datetime(values)
    values = list(values)
    # all naive datetimes (or all dates), with None: numpy converts the whole list at once
    if values and _plain(values, dt.datetime):
        return np.array(values, dtype="datetime64[us]").astype("datetime64[ns]")
    if values and _plain(values, dt.date):
        return np.array(values, dtype="datetime64[D]").astype("datetime64[ns]")
    out = np.empty(len(values), dtype="datetime64[ns]")
    for i, v in enumerate(values):
        kind = type(v)
        if v is None:
            out[i] = np.datetime64("NaT")
        elif kind is dt.datetime and v.tzinfo is None and v.year in _NS_YEARS:
            out[i] = np.datetime64(v, "us")
        elif kind is dt.date and v.year in _NS_YEARS:
            out[i] = np.datetime64(v, "D")
        else:
            return pd.to_datetime(pd.Series(values, dtype=object))
    return out


def _columns(rows: list[tuple], n: int) -> list[list | np.ndarray]:
    """Row tuples → n column lists (empty: object arrays, as a frame of no rows has)."""
    return [list(c) for c in zip(*rows, strict=True)] if rows else [_objects([]) for _ in range(n)]


def inferred_column(values: list) -> list | np.ndarray:
    """A column's values, for pandas to infer its type as from rows; no values: an object column.

    Values all of one plain type come as the array pandas would infer (typed_column): from a list, pandas
    converts and inspects every value before it builds the frame, from a typed array it need not."""
    return typed_column(values) if values else _objects([])


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def typed_column(values: list) -> list | np.ndarray:
    """values as the numpy array pandas infers from the list when every value is a str (an object array;
    unless pandas is set to infer a string dtype), an int within int64, a bool or a float; otherwise the
    list itself, for pandas to infer."""
    if not values:
        return values
    kind = type(values[0])
    if kind not in (str, int, bool, float) or set(map(type, values)) != {kind}:  # (map: no Python call per value)
        return values
    if kind is str:
        return values if pd.get_option("future.infer_string") else _objects(values)
    if kind is int:
        return np.array(values, dtype=np.int64) if _INT64_MIN <= min(values) and max(values) <= _INT64_MAX else values
    return np.array(values, dtype=bool if kind is bool else np.float64)


def lines_frame(records: Iterable[Mapping]) -> pd.DataFrame:
    qty = _memo(lambda v: scaled(v, QTY_SCALE))
    fen = _memo(to_fen)
    rows = [
        (r["mdtrt_id"], str(r["feedetl_sn"]), r["med_list_codg"], qty(r["cnt"]), qty(r["pric"]),
         fen(r["det_item_fee_sumamt"]))
        for r in records
    ]
    # built column by column at once (not from row tuples, then cast): the same frame, several times faster
    m, sn, code, cnt, pric, amount = _columns(rows, 6)
    m, sn, code = (inferred_column(c) if isinstance(c, list) else c for c in (m, sn, code))
    return pd.DataFrame({"mdtrt_id": m, "feedetl_sn": sn, "med_list_codg": code,
                         "cnt_e4": np.array(cnt, dtype=np.int64), "pric_e4": np.array(pric, dtype=np.int64),
                         "amount_fen": np.array(amount, dtype=np.int64)}, copy=False)  # fresh columns: no copies


def catalog_frame(records: Iterable[Mapping], *, names: bool = False) -> pd.DataFrame:
    """Records as in a case file's catalog[] (restrictions nested under `restrict`) or flat columns.

    names: with the items' names last (a column `name`, which the audit reads and the engine does not), so that
    one frame serves both."""
    rows, dates = [], []
    for r in records:
        restrict = r.get("restrict") or {}
        # each restriction read once, nested under `restrict` or else flat (restrict_<name>)
        med_types = restrict.get("med_types", r.get("restrict_med_types"))
        rows.append((
            r.get("med_list_codg", r.get("code")),
            str(r["chrg_lv"]),
            -1 if _none(r.get("selfpay_prop")) else scaled(r["selfpay_prop"], RATIO_SCALE),
            -1 if _none(r.get("price_limit")) else scaled(r["price_limit"], QTY_SCALE),
            "" if _none(v := restrict.get("gender", r.get("restrict_gender"))) else str(v),
            -1 if _none(v := restrict.get("min_age", r.get("restrict_min_age"))) else int(v),
            -1 if _none(v := restrict.get("max_age", r.get("restrict_max_age"))) else int(v),
            -1 if _none(v := restrict.get("min_level", r.get("restrict_min_level"))) else int(v),
            med_types_tuple(med_types),
        ))
        dates.append(r)
    # the effective dates are columns when the first record has them (a record without one: NaT)
    extra = [c for c in ("effective_from", "effective_to") if rows and c in dates[0]]
    data = {c: inferred_column(v) if isinstance(v, list) else v
            for c, v in zip(CATALOG_COLUMNS, _columns(rows, len(CATALOG_COLUMNS)), strict=True)}
    data["restrict_med_types"] = _objects(data["restrict_med_types"])
    for c in extra:
        data[c] = datetime_column([r.get(c) for r in dates])
    if names:
        data["name"] = _objects([r["name"] for r in dates])
    # the dict is in the columns' order: no columns= (pandas would re-align it through a Series first); its
    # columns are fresh, so not copied (copy=False also leaves the blocks unconsolidated: the same values)
    return pd.DataFrame(data, copy=False)


def med_types_tuple(value) -> tuple[str, ...]:
    """A catalog item's restriction to med types as the frame holds it: a list (or "21|14", "21,14") → a tuple of
    str; none: ()."""
    if isinstance(value, str):
        value = [m for m in value.replace("|", ",").split(",") if m]
    return tuple(str(m) for m in value or ())


# the columns of scaled_catalog_frame's rows: the catalog frame's, its effective dates and the names
SCALED_CATALOG_ROW = (*CATALOG_COLUMNS, "effective_from", "effective_to", "name")


def scaled_catalog_frame(rows: list[tuple]) -> pd.DataFrame:
    """catalog_frame(records, names=True) of rows already as the frame keeps them (SCALED_CATALOG_ROW: the ratio
    × 10^6 and the price limit × 10^4 as integers, -1 and '' where none, as a database computes them for the
    night's reader too; restrict_med_types as stored), with their effective dates: the same frame, column by
    column, without a conversion per value."""
    return frame_of(scaled_catalog_columns(rows))


def scaled_catalog_columns(rows: list[tuple]) -> Columns | pd.DataFrame:
    """scaled_catalog_frame as Columns where its columns are what the frame holds (columnar)."""
    if not rows:
        return catalog_frame([], names=True)
    columns = [list(c) for c in zip(*rows, strict=True)]
    data = {}
    texts = False
    for c, values in zip(SCALED_CATALOG_ROW, columns, strict=True):
        if c in ("chrg_lv", "restrict_gender"):
            data[c] = inferred_column([str(v) for v in values])
        elif c == "restrict_med_types":
            data[c] = _objects([med_types_tuple(v) if v else () for v in values])  # none: () without the call
        elif c in ("effective_from", "effective_to"):
            data[c] = datetime_column(values)
        elif c == "name":
            data[c] = _objects(values)
            texts = set(map(type, values)) <= {str}
        elif c == "med_list_codg":
            data[c] = inferred_column(values)
        else:
            data[c] = np.array(values, dtype=np.int64)
    # fresh columns, in the frame's order; the object arrays are of str (the codes, levels and genders as
    # inferred_column keeps them, the names when texts) and of tuples: no date or time to look for value by value
    return columns_or_frame(data, texts=texts)


def _objects(values: list) -> np.ndarray:
    """A list as a 1-d object array (even of tuples)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def persons_frame(records: Iterable[Mapping]) -> pd.DataFrame:
    return frame_of(persons_columns(records))


def persons_columns(records: Iterable[Mapping]) -> Columns | pd.DataFrame:
    """persons_frame as Columns where its columns are what the frame holds (columnar)."""
    rows = [(r["psn_no"], str(r["gender"]), r["birth_date"], to_fen(r.get("acct_balance") or 0)) for r in records]
    psn_no, gender, birth, balance = _columns(rows, 4)
    psn_no, gender = (inferred_column(c) if isinstance(c, list) else c for c in (psn_no, gender))
    if rows and all(type(v) is dt.date and v.year in _NS_YEARS for v in birth):
        birth = np.array(birth, dtype="datetime64[D]").astype("datetime64[ns]")  # pd.Timestamp's, by numpy
    elif rows:
        birth = [pd.Timestamp(v) for v in birth]
    return columns_or_frame({"psn_no": psn_no, "gender": gender, "birth_date": birth,
                             "acct_balance_fen": np.array(balance, dtype=np.int64)})


VISIT_COLUMNS = [
    "mdtrt_id", "psn_no", "med_type", "begntime", "setl_time", "inst_level", "inst_designated", "insutype",
    "psn_type", "enrolled_from", "enrolled_to", "paid_through", "assistance_category",
]
# Visit columns of the project's layers (docs/benefit-layers.md), and their value where a frame has none:
# the parallel insutypes in force (facts.parallel_in_force), a 门慢特 visit's disease and its qualification
# (facts.chronic_flags), a delivery's kind, the employer's average monthly wage in fen (-1: unknown).
OPTIONAL_VISIT_COLUMNS = {"parallel": "", "dise_codg": "", "matn_type": "", "chronic_qualified": False,
                          "chronic_at_institution": False, "employer_wage_fen": -1}


def visits_frame(records: Iterable[Mapping]) -> pd.DataFrame:
    return frame_of(visits_columns(records))


def visits_columns(records: Iterable[Mapping]) -> Columns | pd.DataFrame:
    """visits_frame as Columns where its columns are what the frame holds already (columnar: nothing to cast
    or fill below)."""
    records = list(records)
    times = ("begntime", "setl_time", "enrolled_from", "enrolled_to")
    data = {c: datetime_column([r.get(c) for r in records]) if c in times
            else inferred_column([r.get(c) for r in records]) for c in VISIT_COLUMNS}
    category = [r.get("assistance_category") for r in records]
    if category and all(v is None or type(v) is str for v in category):  # fillna("") before, not after
        data["assistance_category"] = _objects(["" if v is None else v for v in category])
    # the three casts below, where the column is not of its type already
    casts = [(c, t) for c, t in (("inst_level", np.int64), ("inst_designated", np.bool_))
             if getattr(data[c], "dtype", None) != t]
    for c, default in OPTIONAL_VISIT_COLUMNS.items():
        if any(c in r for r in records):
            data[c] = np.array([default if r.get(c) is None else r[c] for r in records],
                               dtype=object if isinstance(default, str) else type(default))
    found = None if casts else exact_columns(data)
    if found is not None and not pd.isna(found["assistance_category"]).any():
        return found
    df = pd.DataFrame(data, copy=False)  # fresh columns
    for c, t in casts:
        df[c] = df[c].astype(t)
    if df["assistance_category"].dtype != object or df["assistance_category"].isna().any():
        df["assistance_category"] = df["assistance_category"].fillna("")
    return df


YTD_MONEY_BY_GROUP = {"cap_paid": "cap_paid", "deductible_used": "deductible_used", "band_position": "band_position"}
YTD_MONEY = ("large_amount_paid", "critical_illness_base", "assistance_base", "civil_servant_paid", "prenatal_paid")


def state_from_ytd(psn_no: str, year: int, ytd: Mapping) -> list[dict]:
    """A case file's `ytd` object → accumulator rows (money in fen, admissions as a count)."""
    rows = []
    for kind in YTD_MONEY_BY_GROUP:
        for key, amount in (ytd.get(kind) or {}).items():
            rows.append({"psn_no": psn_no, "year": year, "kind": kind, "key": str(key), "amount": to_fen(amount)})
    for kind in YTD_MONEY:
        if ytd.get(kind) not in (None, ""):
            rows.append({"psn_no": psn_no, "year": year, "kind": kind, "key": "", "amount": to_fen(ytd[kind])})
    if ytd.get("admissions"):
        rows.append({"psn_no": psn_no, "year": year, "kind": "admissions", "key": "", "amount": int(ytd["admissions"])})
    return rows


def state_frame(rows: Iterable[Mapping]) -> pd.DataFrame:
    return frame_of(state_columns(rows))


def state_columns(rows: Iterable[Mapping]) -> Columns | pd.DataFrame:
    """state_frame as Columns where its columns are what the frame holds (columnar)."""
    rows = list(rows)
    return columns_or_frame({
        "psn_no": inferred_column([r["psn_no"] for r in rows]),
        "year": np.array([r["year"] for r in rows], dtype=np.int64),
        "kind": inferred_column([r["kind"] for r in rows]), "key": inferred_column([r["key"] for r in rows]),
        "amount": np.array([r["amount"] for r in rows], dtype=np.int64),
    })


def money_columns_to_decimal(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Fen columns → Decimal yuan (for output to people and the database)."""
    out = df.copy()
    for c in columns:
        out[c] = [Decimal(int(v)).scaleb(-2) for v in out[c].to_numpy()]
    return out


__all__ = [
    "FEN", "catalog_frame", "datetime_column", "inferred_column", "lines_frame", "money_columns_to_decimal",
    "persons_frame", "state_frame",
    "state_from_ytd", "visits_frame",
]


ENROLLMENT_COLUMNS = ["enrollment_id", "person_id", "insutype", "psn_type", "enrolled_from", "enrolled_to",
                      "paid_through", "assistance_category"]
ENROLLMENT_FIELDS = ENROLLMENT_COLUMNS[2:]
# the basic enrollments (docs/benefit-layers.md): a visit is settled under one of these when one is in force
BASIC_INSUTYPES = ("310", "390")


def enrollments_in_force(visits: pd.DataFrame, enrollments: pd.DataFrame) -> pd.DataFrame:
    """For each visit (columns person_id, begin_date, enrollment_id: the one it registered under, or missing), the
    enrollment it is settled under: the registered one; otherwise the person's enrollment covering the day of
    admission (enrolled_from ≤ day ≤ enrolled_to, open-ended when enrolled_to is missing), the latest start
    first and then the latest id, a basic one (BASIC_INSUTYPES) before any parallel one (docs/benefit-layers.md:
    a 320 or 510 enrollment beside a basic one is read by facts.parallel_in_force, not settled under). Returns
    ENROLLMENT_FIELDS aligned with `visits`, empty ('' or missing) where none applies: the engine then finds the
    visit NOT_ENROLLED.

    The one statement of this rule: both readers (the ORM one for a request, the COPY one for the night) read
    the persons' enrollments and call it. numpy only (no merge): one visit costs microseconds."""
    n = len(visits)
    v_registered = visits["enrollment_id"]
    v_registered = (v_registered.to_numpy() if v_registered.dtype == np.int64
                    else pd.to_numeric(v_registered).fillna(-1).to_numpy(np.int64))
    chosen = chosen_enrollments(
        visits["person_id"].to_numpy(np.int64), _days(visits["begin_date"]), v_registered,
        enrollments["enrollment_id"].to_numpy(np.int64), enrollments["person_id"].to_numpy(np.int64),
        _days(enrollments["enrolled_from"]), _days(enrollments["enrolled_to"]),
        e_basic=np.isin(enrollments["insutype"].to_numpy(dtype=object), BASIC_INSUTYPES))
    found = chosen >= 0
    out = {}
    for c in ENROLLMENT_FIELDS:
        values = enrollments[c].to_numpy()
        if c in ("enrolled_from", "enrolled_to"):
            col = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
            picked = values[chosen[found]]
            if picked.dtype == object and all(type(v) is dt.date or v is None for v in picked.tolist()):
                col[found] = np.array(picked.tolist(), dtype="datetime64[D]")  # plain dates, by numpy alone
            else:
                col[found] = pd.to_datetime(pd.Series(picked)).to_numpy("datetime64[ns]")
        else:
            col = np.full(n, "" if c != "paid_through" else None, dtype=object)
            col[found] = values[chosen[found]]
            if c != "paid_through":
                col[pd.isna(col)] = ""  # the frame's fillna(""), on the array
        out[c] = col
    return pd.DataFrame(out)


def chosen_enrollments(v_person: np.ndarray, v_day: np.ndarray, v_registered: np.ndarray, e_id: np.ndarray,
                       e_person: np.ndarray, e_from: np.ndarray, e_to: np.ndarray,
                       e_basic: np.ndarray | None = None) -> np.ndarray:
    """enrollments_in_force's choice on arrays: for each visit (its person id, day of admission as
    datetime64[D], registered enrollment id or -1) the position of its enrollment among the enrollments (id,
    person id, enrolled_from and enrolled_to as datetime64[D], NaT: open-ended), -1 where none applies. The
    reader of one visit calls it without frames around it. e_basic: whether each enrollment is a basic one
    (preferred; None: all are)."""
    n = len(v_person)
    # candidates by person, and within a person the preferred first (basic, then latest start, then latest id)
    not_basic = np.zeros(len(e_id), np.int64) if e_basic is None else (~np.asarray(e_basic, bool)).astype(np.int64)
    order = np.lexsort((-e_id, -e_from.astype(np.int64), not_basic, e_person))
    person_sorted = e_person[order]
    lo = np.searchsorted(person_sorted, v_person, side="left")
    hi = np.searchsorted(person_sorted, v_person, side="right")
    counts = hi - lo
    visit_of = np.repeat(np.arange(n), counts)
    cand = order[np.repeat(lo, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))]
    day = v_day[visit_of]
    covers = (e_from[cand] <= day) & (np.isnat(e_to[cand]) | (e_to[cand] >= day))
    registered = v_registered[visit_of]
    ok = np.where(registered >= 0, e_id[cand] == registered, covers)
    chosen = np.full(n, -1, dtype=np.int64)
    first = np.unique(visit_of[ok], return_index=True)  # candidates are in preference order per visit
    chosen[first[0]] = cand[ok][first[1]]
    return chosen


def _days(values: pd.Series) -> np.ndarray:
    """A column of dates (datetime.date or missing values, or datetime64) as datetime64[D]:
    pd.to_datetime(values).to_numpy("datetime64[D]"), converted by numpy alone when the values are
    datetime64 or plain dates (a date list costs numpy microseconds; pd.to_datetime parses it)."""
    arr = values.to_numpy()
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[D]")
    if arr.dtype == object and all(type(v) is dt.date or v is None for v in arr.tolist()):
        return np.array(arr.tolist(), dtype="datetime64[D]")
    return pd.to_datetime(values).to_numpy("datetime64[D]")


def _plain_day(value) -> bool:
    """A date, or a naive datetime, within datetime64[ns]'s years (where pd.to_datetime gives the same parts)."""
    kind = type(value)
    return (kind is dt.date or (kind is dt.datetime and value.tzinfo is None)) and 1678 <= value.year <= 2261


def full_years(begin, birth) -> np.ndarray:
    """A person's age in full years on each day of `begin` (dates or datetimes), born on `birth`: the age every
    rule reads (catalog restrictions in the engine, the audit's age rules), computed the one way."""
    def ymd(values) -> np.ndarray:
        if isinstance(values, list | tuple) and len(values) <= SMALL and all(_plain_day(v) for v in values):
            # a few plain dates or naive datetimes (a visit at the counter): their parts as Python gives them,
            # the values the numpy path below gives without pd.to_datetime's fixed cost per call
            return np.array([v.year * 10000 + v.month * 100 + v.day for v in values], dtype=np.int64)
        arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
        if arr.dtype.kind != "M":
            arr = pd.to_datetime(pd.Series(arr)).to_numpy()
        days = arr.astype("datetime64[D]")
        months = days.astype("datetime64[M]")
        year = days.astype("datetime64[Y]").astype(np.int64) + 1970
        month = months.astype(np.int64) % 12 + 1
        day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
        return year * 10000 + month * 100 + day
    return (ymd(begin) - ymd(birth)) // 10000
