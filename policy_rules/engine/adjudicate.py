"""The adjudication engine's entry point: frames in, frames out (spec: shared/spec/adjudication.md).

Inputs (money in integer fen, cnt/pric scaled by 10^4, ratios by 10^6; see frames.py for builders):
  lines    mdtrt_id, feedetl_sn, med_list_codg, cnt_e4, pric_e4, amount_fen
  visits   mdtrt_id, psn_no, med_type, begntime, setl_time, inst_level, inst_designated, insutype,
           psn_type, enrolled_from, enrolled_to, paid_through ("YYYY-MM" or None), assistance_category
  persons  psn_no, gender, birth_date, acct_balance_fen
  catalog  med_list_codg, chrg_lv, selfpay_prop_e6, price_limit_e4, restrict_* (frames.catalog_frame)
  state    psn_no, year, kind, key, amount: what each person has accumulated in each year
  policies the policy packs; each visit is settled under the one in force on its setl_time

Outputs (`Result`): lines (the split of every line), settlements (the 14 amounts, balc, reason),
deltas (what each settlement added to each accumulator), state (the new accumulators), accounts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .columnar import Parts, column, columns_or_frame, frame_of, has_column, series
from .frames import OPTIONAL_VISIT_COLUMNS, full_years
from .layers import ALLOWANCE, AMOUNTS, KINDS, LAYER_AMOUNTS, settle_rounds
from .lines import classify_lines, split_columns
from .lookup import filled_text, str_factorize, str_lookup, str_table
from .pack import PolicyPack
from .params import build_params

NOT_DESIGNATED = "NOT_DESIGNATED"
NOT_ENROLLED = "NOT_ENROLLED"
CONTRIBUTION_ARREARS = "CONTRIBUTION_ARREARS"
NO_POLICY = "NO_POLICY"
NO_BENEFIT = "NO_BENEFIT"
LEVEL_NOT_COVERED = "LEVEL_NOT_COVERED"
CHRONIC_NOT_QUALIFIED = "CHRONIC_NOT_QUALIFIED"
CHRONIC_WRONG_INSTITUTION = "CHRONIC_WRONG_INSTITUTION"

LINE_SUMS = ("amount_fen", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")
SETTLEMENT_COLUMNS = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", *AMOUNTS,
)
# The project's layers (docs/benefit-layers.md), in the settlements frame beside SETTLEMENT_COLUMNS.
LAYER_COLUMNS = (*LAYER_AMOUNTS, ALLOWANCE)
STATE_COLUMNS = ["psn_no", "year", "kind", "key", "amount"]



class EngineInputError(ValueError):
    """The frames handed to the engine are inconsistent (a programming or loading error)."""


class Result(Parts, frames=("lines", "settlements", "deltas", "state", "accounts")):
    """The engine's output frames (the module's docstring: lines, settlements, deltas, state, accounts), given as
    keywords. adjudicate hands each over as its columns (Columns: the frame is built on first access); the write
    plan reads the columns (Parts.columns) and builds none."""


def empty_state() -> pd.DataFrame:
    return pd.DataFrame({"psn_no": pd.Series(dtype=object), "year": pd.Series(dtype=np.int64),
                         "kind": pd.Series(dtype=object), "key": pd.Series(dtype=object),
                         "amount": pd.Series(dtype=np.int64)})


def _naive_days(values) -> np.ndarray | None:
    """values as datetime64[D] when they are naive datetime64 without NaT (what the frame builders make),
    for calendar parts by numpy alone (pandas' .dt accessors cost far more on the few rows of one visit);
    None otherwise, and the callers take the pandas path."""
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind != "M" or np.isnat(arr).any():
        return None
    return arr.astype("datetime64[D]")




def _month_index(values) -> np.ndarray:
    days = _naive_days(values)
    if days is None:
        s = pd.to_datetime(pd.Series(values))
        return (s.dt.year * 12 + s.dt.month - 1).to_numpy(np.int64)
    return days.astype("datetime64[M]").astype(np.int64) + 1970 * 12


def _year(values) -> np.ndarray:
    days = _naive_days(values)
    if days is None:
        return pd.to_datetime(pd.Series(values)).dt.year.to_numpy(np.int64)
    return days.astype("datetime64[Y]").astype(np.int64) + 1970


def _paid_through_index(values) -> np.ndarray:
    out = np.full(len(values), 2**40, dtype=np.int64)  # missing: no arrears check
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
            continue
        year, month = str(v)[:7].split("-")
        out[i] = int(year) * 12 + int(month) - 1
    return out


def assign_policies(setl_day: np.ndarray, policies: list[PolicyPack]) -> np.ndarray:
    pol = np.full(len(setl_day), -1, dtype=np.int64)
    for i, p in enumerate(policies):
        m = (pol == -1) & (setl_day >= np.datetime64(p.effective_from))
        if p.effective_to is not None:
            m &= setl_day <= np.datetime64(p.effective_to)
        pol[m] = i
    return pol


def optional_column(vis, name: str) -> np.ndarray:
    """One of OPTIONAL_VISIT_COLUMNS as an array, its default where the frame (or Columns) has no such column."""
    default = OPTIONAL_VISIT_COLUMNS[name]
    if not has_column(vis, name):
        return np.full(len(vis), default, dtype=object if isinstance(default, str) else type(default))
    col = vis[name]
    if isinstance(default, str):
        return _text_column(col, as_str=True)
    kind = np.dtype(type(default))
    if not isinstance(col, pd.Series) and col.dtype == kind:  # an array of the type: nothing to fill
        return col.copy()
    return series(vis, name).fillna(default).to_numpy(dtype=kind)


def _text_column(col, as_str: bool = False) -> np.ndarray:
    """col.fillna("") (.astype(str) with as_str) as an object array, of a Series or an array; by
    lookup.filled_text for a few str values."""
    found = filled_text(np.asarray(col, dtype=object)) if col.dtype == object else None
    if found is not None:
        return found  # all str already: astype(str) keeps every value
    col = (col if isinstance(col, pd.Series) else pd.Series(col)).fillna("")
    return (col.astype(str) if as_str else col).to_numpy(dtype=object)


def eligibility(vis, pol: np.ndarray, has_benefit, level_covered, params=None) -> np.ndarray:
    """Each visit's reason not to be covered (None: eligible); vis: the visits' frame or Columns."""
    adm_day = column(vis, "begntime", "datetime64[D]")
    start = column(vis, "enrolled_from", "datetime64[D]")
    end = column(vis, "enrolled_to", "datetime64[D]")
    not_enrolled = (adm_day < start) | (~np.isnat(end) & (adm_day > end)) | np.isnat(start)
    arrears = _month_index(column(vis, "begntime")) >= _paid_through_index(column(vis, "paid_through", object)) + 2
    designated = column(vis, "inst_designated", bool)
    reason = np.full(len(vis), None, dtype=object)
    no = np.zeros(len(vis), dtype=bool)
    not_qualified = wrong_institution = no
    if params is not None and params.chronic.any():
        qualified = optional_column(vis, "chronic_qualified")
        at_institution = optional_column(vis, "chronic_at_institution")
        not_qualified = params.chronic & ~(params.chronic_known & qualified)
        wrong_institution = params.chronic & params.chronic_inst_required & ~at_institution
    # assigned from the last check to the first, so that the first failing check is the reason
    for mask, code in (
        (~level_covered, LEVEL_NOT_COVERED),
        (~has_benefit, NO_BENEFIT),
        (wrong_institution, CHRONIC_WRONG_INSTITUTION),
        (not_qualified, CHRONIC_NOT_QUALIFIED),
        (pol < 0, NO_POLICY),
        (arrears, CONTRIBUTION_ARREARS),
        (not_enrolled, NOT_ENROLLED),
        (~designated, NOT_DESIGNATED),
    ):
        reason[mask] = code
    return reason


def _prepare(lines, visits, persons, policies):
    # one visit (the API's settlement) needs no sort, nor a new index (vis is read by position only):
    # sorting a frame by three columns has a fixed cost
    # (each input a frame or its Columns: columnar.column reads either)
    vis = (frame_of(visits).sort_values(["psn_no", "setl_time", "mdtrt_id"], kind="stable").reset_index(drop=True)
           if len(visits) > 1 else visits)
    vids, pids = column(vis, "mdtrt_id", object), column(persons, "psn_no", object)
    vtable, ptable = str_table(vids), str_table(pids)  # a few visits and persons: look-ups by dict
    vindex = pindex = None
    if vtable is None:
        vindex = pd.Index(vids)
        if vindex.has_duplicates:
            raise EngineInputError(f"duplicate mdtrt_id in visits: {sorted(set(vindex[vindex.duplicated()]))[:5]}")
    if ptable is None:
        pindex = pd.Index(pids)
        if pindex.has_duplicates:
            raise EngineInputError("duplicate psn_no in persons")
    ppos = _positions(ptable, pindex, pids, column(vis, "psn_no", object))
    if (ppos < 0).any():
        raise EngineInputError(f"visits of unknown persons: {sorted(set(column(vis, 'psn_no')[ppos < 0]))[:5]}")
    lpos = _positions(vtable, vindex, vids, column(lines, "mdtrt_id", object))
    if (lpos < 0).any():
        raise EngineInputError(f"lines of unknown visits: {sorted(set(column(lines, 'mdtrt_id')[lpos < 0]))[:5]}")
    setl_day = column(vis, "setl_time", "datetime64[D]")
    pol = assign_policies(setl_day, policies)
    level = column(vis, "inst_level", np.int64)
    age = full_years(column(vis, "begntime"), column(persons, "birth_date")[ppos])
    default_prop = np.array([p.default_selfpay_prop_e6 for p in policies] + [0], dtype=np.int64)[pol]
    # the line context as arrays (classify_lines reads a frame's columns or a dict's arrays alike)
    ctx = {
        "gender": column(persons, "gender", object)[ppos][lpos],
        "age": age[lpos], "level": level[lpos], "med_type": column(vis, "med_type", object)[lpos],
        "default_prop_e6": default_prop[lpos], "day": setl_day[lpos],
    }
    return vis, lpos, pol, ctx


def _positions(table, index, keys, values) -> np.ndarray:
    """index.get_indexer(values) (index: pd.Index(keys), unique), by `table` where it can."""
    found = str_lookup(table, values)
    if found is not None:
        return found
    return (pd.Index(keys) if index is None else index).get_indexer(values)


def classify(lines: pd.DataFrame, visits: pd.DataFrame, persons: pd.DataFrame, catalog: pd.DataFrame,
             policies: list[PolicyPack]) -> pd.DataFrame:
    """Step 1 alone: the split of every line, as at upload (the 2301 answer), without settling."""
    _, _, _, ctx = _prepare(lines, visits, persons, policies)
    return classify_lines(lines, ctx, catalog)


def adjudicate(lines: pd.DataFrame, visits: pd.DataFrame, persons: pd.DataFrame, catalog: pd.DataFrame,
               policies: list[PolicyPack], state: pd.DataFrame | None = None) -> Result:
    """Settle `visits` in the spec's order, carrying each person's year from `state`."""
    state = empty_state() if state is None else state
    vis, lpos, pol, ctx = _prepare(lines, visits, persons, policies)
    n = len(vis)
    med_type = column(vis, "med_type", object)
    level = column(vis, "inst_level", np.int64)
    insutype = column(vis, "insutype", object)
    category = _text_column(vis["assistance_category"])
    params = build_params(policies, pol, insutype, med_type, level, category,
                          *(optional_column(vis, c) for c in ("parallel", "dise_codg", "matn_type")))
    reason = eligibility(vis, pol, params.has_benefit, params.level_covered, params)
    eligible = pd.isna(reason)

    # 1. lines, judged with the visit's context
    columns = split_columns(lines, ctx, catalog)  # classify_lines' frame's columns, in hand to sum
    sums = {}
    for c in LINE_SUMS:  # per visit (np.add.at: exact in int64, and no frame to group for a few lines)
        sums[c] = np.zeros(n, dtype=np.int64)
        np.add.at(sums[c], lpos, columns[c].astype(np.int64, copy=False))

    # 2-8. benefit layers in rounds of each person's k-th visit
    rank = _cumcount(vis, "psn_no")
    by_rank = np.argsort(rank, kind="stable")
    rounds = np.split(by_rank, np.cumsum(np.bincount(rank))[:-1]) if n else []

    psn_codes, psn_uniques = _factorize_persons((vis, persons, state))
    vpsn = psn_codes[:n]
    year = _year(column(vis, "setl_time"))
    slots, slot_keys, state_values = _build_slots(vpsn, year, params.ded_key, med_type, params.cap_group,
                                                  psn_codes[n + len(persons):], state)
    balances = np.zeros(len(psn_uniques), np.int64)
    balances[psn_codes[n:n + len(persons)]] = column(persons, "acct_balance_fen", np.int64)

    v = {
        "eligible": eligible, "retiree": column(vis, "psn_type", object) == "retiree",
        "medfee": sums["amount_fen"], "inscp": sums["inscp_scp_amt"], "preselfpay": sums["preselfpay_amt"],
        "fulamt": sums["fulamt_ownpay_amt"], "wage": optional_column(vis, "employer_wage_fen").astype(np.int64),
    }
    out = settle_rounds(v, params, rounds, slots, state_values, vpsn, balances)

    # fresh arrays (the input's columns copied): the frames take them without copying (Result)
    settlements = {
        "mdtrt_id": column(vis, "mdtrt_id").copy(), "psn_no": column(vis, "psn_no").copy(), "year": year,
        "policy_code": np.array([p.code for p in policies] + [None], dtype=object)[pol],
        "ineligible_reason": reason,
        "medfee_sumamt": v["medfee"],
        **{c: sums[c] for c in LINE_SUMS[1:]},
        **{c: out[c] for c in AMOUNTS},
        "balc": out["balc"],
        **{c: out[c] for c in LAYER_COLUMNS},
    }
    return Result(
        lines=columns_or_frame(columns, texts=True),
        settlements=columns_or_frame(settlements, texts=True),
        deltas=columns_or_frame(_deltas_frame(vis, year, slots, slot_keys, out["deltas"], psn_uniques), texts=True),
        state=columns_or_frame(_state_frame(slot_keys, state_values, psn_uniques), texts=True),
        accounts=columns_or_frame({"psn_no": column(persons, "psn_no").copy(),
                                   "balance_fen": balances[psn_codes[n:n + len(persons)]]}, texts=True),
    )


def _factorize_persons(parts) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize of the parts' psn_no columns one after the other: codes, and the distinct psn_no."""
    found = str_factorize(np.concatenate([column(p, "psn_no", object) for p in parts]))
    if found is None:
        return pd.factorize(pd.concat([series(p, "psn_no") for p in parts], ignore_index=True))
    return found


def _build_slots(vpsn, year, ded_key, med_type, cap_group, state_psn, state: pd.DataFrame):
    n = len(vpsn)
    band_key = np.where(cap_group != "", cap_group, med_type)
    no_key = np.full(n, "", dtype=object)
    keys_by_kind = {
        "admissions": no_key, "deductible_used": ded_key, "band_position": band_key, "cap_paid": cap_group,
        "large_amount_paid": no_key, "critical_illness_base": no_key, "assistance_base": no_key,
        "civil_servant_paid": no_key, "prenatal_paid": no_key,
    }
    state_year = column(state, "year", np.int64)
    state_kind = column(state, "kind", object)
    state_key = _text_column(state["key"])
    found = None
    if 0 < n * len(KINDS) + len(state) <= SMALL_SLOTS:
        found = _slots_small(vpsn, year, keys_by_kind, state_psn, state_year, state_kind, state_key)
    if found is None:
        parts = [pd.DataFrame({"psn": vpsn, "year": year, "kind": kind, "key": keys_by_kind[kind]}) for kind in KINDS]
        parts.append(pd.DataFrame({"psn": state_psn, "year": state_year, "kind": state_kind, "key": state_key}))
        allkeys = pd.concat(parts, ignore_index=True)
        slot_of = allkeys.groupby(["psn", "year", "kind", "key"], sort=False).ngroup().to_numpy()
        first = pd.Series(np.arange(len(slot_of))).groupby(slot_of).first().to_numpy()
        slot_keys = {c: allkeys[c].to_numpy()[first] for c in ("psn", "year", "kind", "key")}
    else:
        slot_of, slot_keys = found
    slots = slot_of[: n * len(KINDS)].reshape(len(KINDS), n).T.copy()
    cap_col = KINDS.index("cap_paid")
    slots[cap_group == "", cap_col] = -1  # no cap group: nothing to accumulate against a cap
    nslots = int(slot_of.max()) + 1 if len(slot_of) else 0
    values = np.zeros(nslots, np.int64)
    state_slots = slot_of[n * len(KINDS):]
    values[state_slots] = column(state, "amount", np.int64)
    return slots, slot_keys, values


SMALL_SLOTS = 4096  # below this many (person, year, kind, key) rows, slots are numbered in plain Python


def _slots_small(vpsn, year, keys_by_kind, state_psn, state_year, state_kind, state_key):
    """The pandas path's slot numbering (groupby(sort=False).ngroup(): slots in order of first appearance)
    and slot keys, by a dict: a single visit's settlement has a dozen rows, where pandas' fixed costs
    dominate. None when a kind or key is not a string (the pandas path then decides)."""
    ids: dict[tuple, int] = {}
    keys: list[tuple] = []
    slot_of: list[int] = []
    psn, yr = vpsn.tolist(), year.tolist()
    rows = [zip(psn, yr, [kind] * len(psn), np.asarray(keys_by_kind[kind], dtype=object).tolist(), strict=True)
            for kind in KINDS]
    rows.append(zip(state_psn.tolist(), state_year.tolist(), state_kind.tolist(), state_key.tolist(), strict=True))
    for part in rows:
        for row in part:
            slot = ids.get(row)
            if slot is None:
                if not (isinstance(row[2], str) and isinstance(row[3], str)):
                    return None
                slot = ids[row] = len(keys)
                keys.append(row)
            slot_of.append(slot)
    slot_keys = {  # each slot's (psn, year, kind, key), column by column
        "psn": np.array([k[0] for k in keys], dtype=np.int64), "year": np.array([k[1] for k in keys], dtype=np.int64),
        "kind": np.array([k[2] for k in keys], dtype=object), "key": np.array([k[3] for k in keys], dtype=object),
    }
    return np.array(slot_of, dtype=np.int64), slot_keys


def _cumcount(part, name: str) -> np.ndarray:
    """groupby(part[name], sort=False).cumcount(): each row's rank among the earlier rows of its key."""
    values = column(part, name, object)
    found = str_factorize(values)
    codes = pd.factorize(values)[0] if found is None else found[0]
    if (codes < 0).any():  # a missing key: pandas' own rules
        keys = series(part, name)
        return keys.to_frame().groupby(keys.name, sort=False).cumcount().to_numpy()
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    rank = np.empty(len(codes), dtype=np.int64)
    # a row's place in the stable sort, less where its key's rows begin there
    rank[order] = np.arange(len(codes)) - np.searchsorted(ordered, ordered, side="left")
    return rank


# The result frames' columns below are fresh arrays (indexed copies), which the frames take as they are (Result).

def _deltas_frame(vis, year, slots, slot_keys, deltas, psn_uniques) -> dict[str, np.ndarray]:
    rows, kinds = np.nonzero(deltas)
    slot = slots[rows, kinds]
    return {
        "mdtrt_id": column(vis, "mdtrt_id")[rows], "psn_no": column(vis, "psn_no")[rows],
        "year": year[rows], "kind": np.array(KINDS, dtype=object)[kinds],
        "key": np.asarray(slot_keys["key"], dtype=object)[slot], "delta": deltas[rows, kinds],
    }


def _state_frame(slot_keys, values, psn_uniques) -> dict[str, np.ndarray]:
    return {
        "psn_no": np.asarray(psn_uniques, dtype=object)[np.asarray(slot_keys["psn"])],
        "year": np.array(slot_keys["year"], dtype=np.int64), "kind": np.array(slot_keys["kind"], dtype=object),
        "key": np.array(slot_keys["key"], dtype=object), "amount": values.copy(),
    }
