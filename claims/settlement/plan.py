"""The write plan: everything a settlement writes, computed once from the engine's result, without Django.

`plan_settlements` turns the engine's `Result` (policy_rules.engine.adjudicate) and the keys the reader
found (which database row each visit, person and fee line is) into frames of rows: the settlements, their
lines, the fee lines whose stored split changes, the accumulator changes, the personal-account movements
and the visits now settled. Two writers persist a plan and nothing else: `claims.settlement.writers`
with the ORM for a request, `claims.batch.writer` with COPY for the night. Each rule of storing a
settlement (which visits are held, the settlement id's format, which lines are rewritten, how an
accumulator moves, in which order an account is paid from) is therefore written here, once.

Money stays integer fen in every frame (ratios ×10^6); writers turn it into decimals at the last step.
Settlements are referred to by `ref`, their position in `settlements`, until a writer has their ids.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd

from policy_rules.engine.adjudicate import LAYER_COLUMNS, LINE_SUMS, SETTLEMENT_COLUMNS
from policy_rules.engine.columnar import Columns, Parts, column, columns_or_frame, frame_of
from policy_rules.engine.lookup import SMALL, all_str, filled_text, str_lookup, str_table

# what a settlement row holds in fen: the 14 amounts of the national interface, the project's layers
# (docs/benefit-layers.md: cvlserv_pay, hifdm_pay, oth_pay, matn_pay, matn_alwn_amt) and the account balance after
SETTLEMENT_FEN = (*SETTLEMENT_COLUMNS, *LAYER_COLUMNS, "balc")
# a line's split in fen, as classified (stored on the fee line and on the settlement line)
SPLIT_FEN = LINE_SUMS[1:]
SPLIT_TEXT = ("chrgitm_lv", "reason")
# the stored split of a fee line as the readers give it (absent: -1 for amounts and ratios, '' for text)
STORED = tuple(f"stored_{c}" for c in (*SPLIT_FEN, "selfpay_prop_e6", *SPLIT_TEXT))

VISIT_KEYS = ("mdtrt_id", "visit_id", "person_id", "institution_id", "med_type", "setl_time")
LINE_KEYS = ("mdtrt_id", "feedetl_sn", "fee_line_id", *STORED)
SETTLEMENT_ROW = ("ref", "setl_id", "visit_id", "person_id", "institution_id", "policy_version_id", "setl_time",
                  "med_type", *SETTLEMENT_FEN, "ineligible_reason", "mdtrt_id")
LINE_ROW = ("settlement_ref", "fee_line_id", "feedetl_sn", "det_item_fee_sumamt", *SPLIT_FEN, "chrgitm_lv",
            "selfpay_prop_e6", "reason")
FEE_LINE_ROW = ("fee_line_id", *SPLIT_FEN, "chrgitm_lv", "selfpay_prop_e6", "reason")
ACCUMULATION_ROW = ("settlement_ref", "person_id", "year", "kind", "key", "delta")
MOVEMENT_ROW = ("settlement_ref", "person_id", "amount_fen", "balance_after_fen")


class Inputs(Parts, frames=("lines", "visits", "persons", "catalog", "state", "visit_keys", "line_keys")):
    """What either reader hands on (the ORM one for a request, the COPY one for the night): the engine's frames
    (policy_rules.engine.frames describes their columns, types and scales) and the keys of the rows they
    came from, which the planner needs to write the result back.

    visit_keys    VISIT_KEYS per visit          line_keys     LINE_KEYS per active line
    version_ids   policy pack code → PolicyVersion id

    Each frame is given as a DataFrame or as its Columns (policy_rules.engine.columnar: the request's reader
    gives a visit's few rows so); the attributes are the DataFrames, built on first access. The engine and the
    planner take the parts as given (engine(), part()): what only they read is never built as a frame.
    """

    def __init__(self, *, policies: list, version_ids: dict[str, int], **frames):
        super().__init__(**frames)
        self.policies = policies
        self.version_ids = version_ids

    def engine(self, *, with_state: bool = True) -> dict:
        """The keyword arguments of adjudicate (with_state) or classify (without), each frame as given."""
        frames = {name: self.part(name) for name in ("lines", "visits", "persons", "catalog")}
        frames["policies"] = self.policies
        return {**frames, "state": self.part("state")} if with_state else frames


class PlanInputError(ValueError):
    """The keys handed to the planner do not cover the engine's result (a reader's bug)."""


class Plan(Parts, frames=("settlements", "lines", "fee_lines", "accumulations", "movements")):
    """Rows to write, each frame in the order it is written.

    settlements    SETTLEMENT_ROW: one per visit settled; `ref` numbers them 0..n-1
    lines          LINE_ROW: one settlement line per active fee line of a settled visit
    fee_lines      FEE_LINE_ROW: fee lines of the settled visits whose stored split differs from the one just
                   computed (a held visit's lines are the caller's to classify: plan_fee_lines)
    accumulations  ACCUMULATION_ROW: what each settlement added to each accumulator (admissions as a count)
    movements      MOVEMENT_ROW: personal-account payments, per person in settlement order
    visit_ids      the visits now settled

    A request's few rows are held as their Columns (policy_rules.engine.columnar): a writer that reads the
    columns (Parts.columns, part) builds no frame; the attributes are the DataFrames, built on first access.
    """

    def __init__(self, *, visit_ids: np.ndarray, **frames):
        super().__init__(**frames)
        self.visit_ids = visit_ids

    @property
    def balances(self) -> pd.DataFrame:
        """person_id, balance_fen: each paying person's account balance after their last payment."""
        last = self.movements.drop_duplicates("person_id", keep="last")
        return pd.DataFrame({"person_id": last["person_id"].to_numpy(np.int64),
                             "balance_fen": last["balance_after_fen"].to_numpy(np.int64)})

    def accumulator_totals(self) -> pd.DataFrame:
        """person_id, year, kind, key, delta: the accumulations summed per accumulator (the upsert)."""
        acc = self.accumulations
        if acc.empty:
            return pd.DataFrame(columns=["person_id", "year", "kind", "key", "delta"])
        return acc.groupby(["person_id", "year", "kind", "key"], sort=True, as_index=False)["delta"].sum()

    def settlement_refs(self) -> dict[str, int]:
        """mdtrt_id → ref of the visits settled."""
        return dict(zip(self.settlements["mdtrt_id"].tolist(), self.settlements["ref"].tolist(), strict=True))


def new_setl_ids(setl_times) -> np.ndarray:
    """Settlement ids (setl_id) for settlements at these naive local times: 'S', the local date as YYYYMMDD, and
    16 random upper-case hexadecimal digits (64 random bits: no two settlements of a city ever meet)."""
    arr = np.asarray(setl_times)
    if arr.dtype == "datetime64[ns]" and len(arr) and not np.isnat(arr).any():
        # the day by numpy ('YYYY-MM-DD'), without a DatetimeIndex (whose strftime formats each time in Python)
        n = len(arr)
        days = np.array(["S" + d.replace("-", "") for d in np.datetime_as_string(arr, unit="D").tolist()],
                        dtype="S9")
    else:
        times = pd.DatetimeIndex(pd.to_datetime(pd.Series(setl_times, dtype="datetime64[ns]")))
        n = len(times)
        days = np.asarray(times.strftime("S%Y%m%d"), dtype="S9") if n else np.zeros(0, dtype="S9")
    digits = np.frombuffer(os.urandom(8 * n).hex().upper().encode(), dtype="S16") if n else np.zeros(0, "S16")
    return np.char.add(days, digits).astype(str).astype(object)


def _require(frame: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PlanInputError(f"{what} lacks {missing}")


def plan_settlements(result, visits: pd.DataFrame, lines: pd.DataFrame, version_ids: dict[str, int]) -> Plan:
    """The rows that settling `result`'s visits writes.

    result       the engine's Result for these visits (adjudicate)
    visits       VISIT_KEYS for each visit given to the engine (setl_time: naive local, as the engine had it)
    lines        LINE_KEYS for each active line given to the engine, with the split the fee line holds now
                 (each a frame or its Columns: Inputs.part)
    version_ids  policy pack code → the PolicyVersion row's id

    A visit the engine found no policy pack for (policy_code missing) is held: it writes nothing and stays
    discharged, to be settled once a pack is in force. Every other visit is settled, an ineligible one too
    (all its amounts paid by the person, with its reason)."""
    _require(visits, VISIT_KEYS, "visits")
    _require(lines, LINE_KEYS, "lines")
    small = _small_plan(result, visits, lines, version_ids)
    if small is not None:
        return small
    visits, lines = frame_of(visits), frame_of(lines)
    setl = result.settlements[result.settlements["policy_code"].notna()].reset_index(drop=True)
    vkeys = visits.set_index("mdtrt_id")
    if not setl["mdtrt_id"].isin(vkeys.index).all():
        raise PlanInputError("a settled visit has no keys")
    keys = vkeys.loc[setl["mdtrt_id"]]
    n = len(setl)
    unknown = sorted(set(setl["policy_code"]) - set(version_ids))
    if unknown:
        raise PlanInputError(f"no policy version for packs {unknown}")
    setl_time = pd.to_datetime(keys["setl_time"]).to_numpy("datetime64[ns]")
    settlements = pd.DataFrame({
        "ref": np.arange(n, dtype=np.int64),
        "setl_id": new_setl_ids(setl_time),
        "visit_id": keys["visit_id"].to_numpy(np.int64),
        "person_id": keys["person_id"].to_numpy(np.int64),
        "institution_id": keys["institution_id"].to_numpy(np.int64),
        "policy_version_id": setl["policy_code"].map(version_ids).to_numpy(np.int64),
        "setl_time": setl_time,
        "med_type": keys["med_type"].to_numpy(dtype=object),
        **{c: setl[c].to_numpy(np.int64) for c in SETTLEMENT_FEN},
        "ineligible_reason": setl["ineligible_reason"].fillna("").to_numpy(dtype=object),
        "mdtrt_id": setl["mdtrt_id"].to_numpy(dtype=object),
    })
    ref_of = pd.Series(settlements["ref"].to_numpy(), index=settlements["mdtrt_id"].to_numpy())
    joined = _split_of(result.lines[result.lines["mdtrt_id"].isin(ref_of.index)], lines)  # once, for both
    columns = {c: joined[c].to_numpy() for c in joined.columns}
    return Plan(
        settlements=settlements,
        lines=_lines(columns, ref_of.loc[joined["mdtrt_id"]].to_numpy(np.int64)),
        fee_lines=_changed(columns),
        accumulations=_accumulations(result.deltas, ref_of, settlements),
        movements=_movements(settlements),
        visit_ids=settlements["visit_id"].to_numpy(np.int64),
    )


def _small_plan(result, visits: pd.DataFrame, lines: pd.DataFrame, version_ids: dict[str, int]) -> Plan | None:
    """plan_settlements for the few visits and lines of a request, by dict look-ups on the frames' arrays
    instead of set_index, merge, isin and sort_values (pandas' fixed cost per call is most of the plan on one
    visit). The same rows, frames, columns and dtypes, and the same errors; None when the inputs are large or
    not keyed by unique str values, and the pandas path decides."""
    # the result's columns as arrays: its frames are neither built nor read back (Result.columns)
    setl, split, deltas = (result.columns(name) for name in ("settlements", "lines", "deltas"))
    if max(len(setl["mdtrt_id"]), len(visits), len(lines), len(split["mdtrt_id"]), len(deltas["mdtrt_id"])) > SMALL:
        return None
    if visits["setl_time"].dtype != "datetime64[ns]":
        return None
    # each key column read once, as an array (the keys may be frames or their Columns)
    vkeys = {c: column(visits, c) for c in VISIT_KEYS}
    keep = ~pd.isna(setl["policy_code"])  # Series.notna's answer, without a Series
    mdtrt = setl["mdtrt_id"][keep].astype(object)
    vpos = str_lookup(str_table(vkeys["mdtrt_id"]), mdtrt)
    ref_table = str_table(mdtrt)
    split_m, split_sn = split["mdtrt_id"], split["feedetl_sn"]
    key_m, key_sn = column(lines, "mdtrt_id").tolist(), column(lines, "feedetl_sn").tolist()
    if (vpos is None or ref_table is None or not all_str(split_m.tolist()) or not all_str(split_sn.tolist())
            or not all_str(key_m) or not all_str(key_sn)):
        return None
    if (vpos < 0).any():
        raise PlanInputError("a settled visit has no keys")
    codes = setl["policy_code"][keep]
    unknown = sorted(set(codes.tolist()) - set(version_ids))
    if unknown:
        raise PlanInputError(f"no policy version for packs {unknown}")
    n = len(mdtrt)
    setl_time = vkeys["setl_time"][vpos]
    settlements = {
        "ref": np.arange(n, dtype=np.int64),
        "setl_id": new_setl_ids(setl_time),
        "visit_id": vkeys["visit_id"].astype(np.int64, copy=False)[vpos],
        "person_id": vkeys["person_id"].astype(np.int64, copy=False)[vpos],
        "institution_id": vkeys["institution_id"].astype(np.int64, copy=False)[vpos],
        "policy_version_id": np.array([version_ids[c] for c in codes.tolist()], dtype=np.int64),
        "setl_time": setl_time,
        "med_type": vkeys["med_type"].astype(object, copy=False)[vpos],
        **{c: np.asarray(setl[c], np.int64)[keep] for c in SETTLEMENT_FEN},
        "ineligible_reason": _text(setl["ineligible_reason"][keep]),
        "mdtrt_id": mdtrt,
    }
    # the engine's split of the settled visits' lines joined to the readers' keys (merge validate="one_to_one")
    key_pos = {k: i for i, k in enumerate(zip(key_m, key_sn, strict=True))}
    ours = np.fromiter((m in ref_table for m in split_m.tolist()), bool, len(split_m))
    ours_m, ours_sn = split_m[ours].tolist(), split_sn[ours].tolist()
    if len(key_pos) != len(key_m) or len(set(zip(ours_m, ours_sn, strict=True))) != len(ours_m):
        return None  # duplicate keys: merge's validation raises
    lpos = np.fromiter((key_pos.get(k, -1) for k in zip(ours_m, ours_sn, strict=True)), np.int64, len(ours_m))
    if (lpos < 0).any():
        raise PlanInputError("a line of the engine's split has no fee line")
    joined = {c: values[ours] for c, values in split.items()}
    joined.update({c: column(lines, c)[lpos] for c in LINE_KEYS[2:]})
    line_refs = np.fromiter((ref_table[m] for m in ours_m), np.int64, len(ours_m))
    delta_m = deltas["mdtrt_id"]
    if not all_str(delta_m.tolist()):
        return None
    mine = np.fromiter((m in ref_table for m in delta_m.tolist()), bool, len(delta_m))
    refs = np.fromiter((ref_table[m] for m in delta_m[mine].tolist()), np.int64, int(mine.sum()))
    accumulations = columns_or_frame({
        "settlement_ref": refs,
        "person_id": settlements["person_id"][refs],
        "year": np.asarray(deltas["year"], np.int64)[mine],
        "kind": np.asarray(deltas["kind"], dtype=object)[mine],
        "key": _text(deltas["key"][mine]),
        "delta": np.asarray(deltas["delta"], np.int64)[mine],
    })  # every column of these frames is a fresh array: not copied
    paying = [i for i in np.flatnonzero(settlements["acct_pay"] > 0).tolist()]
    person, when = settlements["person_id"].tolist(), settlements["setl_time"].tolist()
    paying.sort(key=lambda i: (person[i], when[i], mdtrt[i]))  # stable, as sort_values(kind="stable")
    order = np.array(paying, dtype=np.int64)
    movements = columns_or_frame({
        "settlement_ref": settlements["ref"][order],
        "person_id": settlements["person_id"][order],
        "amount_fen": -settlements["acct_pay"][order],
        "balance_after_fen": settlements["balc"][order],
    })
    return Plan(
        settlements=columns_or_frame(settlements),
        lines=_lines(joined, line_refs),
        fee_lines=_changed(joined),
        accumulations=accumulations,
        movements=movements,
        visit_ids=settlements["visit_id"].copy(),
    )


def _text(values: np.ndarray) -> np.ndarray:
    """An object array with its missing values (None, NaN) as '': Series.fillna("") of a text column."""
    found = filled_text(np.asarray(values, dtype=object))  # a few str and None: by a list
    if found is not None:
        return found
    out = np.asarray(values, dtype=object).copy()
    out[pd.isna(out)] = ""
    return out


def _as_text(values: np.ndarray) -> np.ndarray:
    """Series.fillna("").astype(str) of a text column, as an array to compare."""
    if len(values) > SMALL:
        return pd.Series(values, dtype=object).fillna("").astype(str).to_numpy()
    found = filled_text(np.asarray(values, dtype=object))
    if found is not None:
        return found  # str already: str() keeps every value
    return np.array([str(v) for v in _text(values).tolist()], dtype=object)


def _split_of(split: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """The engine's line split joined to the readers' keys of the same lines, in the engine's order."""
    if _same_lines(split, lines):  # the same lines in the same order: joined by position, without a merge
        return split.assign(**{c: lines[c].to_numpy() for c in LINE_KEYS[2:]})
    joined = split.merge(lines[list(LINE_KEYS)], on=["mdtrt_id", "feedetl_sn"], how="left", validate="one_to_one")
    if joined["fee_line_id"].isna().any():
        raise PlanInputError("a line of the engine's split has no fee line")
    return joined


def _same_lines(split: pd.DataFrame, lines: pd.DataFrame) -> bool:
    """Whether split's lines are lines' lines, one for one in the same order, each once (what the merge of
    _split_of would find, validated one to one)."""
    if len(split) != len(lines) or not len(lines) or split.columns.intersection(LINE_KEYS[2:]).size:
        return False
    for c in ("mdtrt_id", "feedetl_sn"):
        if not np.array_equal(split[c].to_numpy(dtype=object), lines[c].to_numpy(dtype=object)):
            return False
    return not lines.duplicated(["mdtrt_id", "feedetl_sn"]).any()


def _lines(joined: dict, refs: np.ndarray) -> Columns | pd.DataFrame:
    """LINE_ROW of the settled visits' lines (the engine's split joined to their keys, as arrays) and the ref of
    each line's settlement."""
    return columns_or_frame({
        "settlement_ref": refs,
        "fee_line_id": joined["fee_line_id"].astype(np.int64),
        "feedetl_sn": joined["feedetl_sn"].astype(object),
        "det_item_fee_sumamt": joined["amount_fen"].astype(np.int64),
        **{c: joined[c].astype(np.int64) for c in SPLIT_FEN},
        "chrgitm_lv": _text(joined["chrgitm_lv"]),
        "selfpay_prop_e6": joined["selfpay_prop_e6"].astype(np.int64),
        "reason": _text(joined["reason"]),
    })  # fresh columns (astype copies): not copied again


def plan_fee_lines(split: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """FEE_LINE_ROW for the lines of `split` (the engine's classification) whose stored split differs: the
    classification a fee line holds is always the last one computed, at upload, on a night or at settlement,
    and a line that already holds it is not written again."""
    return frame_of(_fee_lines(split, lines))


def _fee_lines(split: pd.DataFrame, lines: pd.DataFrame) -> Columns | pd.DataFrame:
    joined = _split_of(split, lines)
    return _changed({c: joined[c].to_numpy() for c in joined.columns})


def _changed(joined: dict) -> Columns | pd.DataFrame:
    """FEE_LINE_ROW of the joined lines (arrays) whose stored split differs from the engine's."""
    changed = np.zeros(len(joined["fee_line_id"]), dtype=bool)
    for c in (*SPLIT_FEN, "selfpay_prop_e6"):
        changed |= joined[c].astype(np.int64) != joined[f"stored_{c}"].astype(np.int64)
    for c in SPLIT_TEXT:
        changed |= _as_text(joined[c]) != _as_text(joined[f"stored_{c}"])
    return columns_or_frame({
        "fee_line_id": joined["fee_line_id"][changed].astype(np.int64),
        **{c: joined[c][changed].astype(np.int64) for c in SPLIT_FEN},
        "chrgitm_lv": _text(joined["chrgitm_lv"][changed]),
        "selfpay_prop_e6": joined["selfpay_prop_e6"][changed].astype(np.int64),
        "reason": _text(joined["reason"][changed]),
    })


def _accumulations(deltas: pd.DataFrame, ref_of: pd.Series, settlements: pd.DataFrame) -> pd.DataFrame:
    ours = deltas[deltas["mdtrt_id"].isin(ref_of.index)]
    refs = ref_of.loc[ours["mdtrt_id"]].to_numpy(np.int64)
    return pd.DataFrame({
        "settlement_ref": refs,
        "person_id": settlements["person_id"].to_numpy(np.int64)[refs],
        "year": ours["year"].to_numpy(np.int64),
        "kind": ours["kind"].to_numpy(dtype=object),
        "key": ours["key"].fillna("").to_numpy(dtype=object),
        "delta": ours["delta"].to_numpy(np.int64),
    })


def _movements(settlements: pd.DataFrame) -> pd.DataFrame:
    """One payment per settlement paid from the account, per person in the order the engine paid them (by
    settlement time, then visit), each with the balance it left: the last one is the account's balance."""
    paying = settlements[settlements["acct_pay"] > 0].sort_values(["person_id", "setl_time", "mdtrt_id"],
                                                                   kind="stable")
    return pd.DataFrame({
        "settlement_ref": paying["ref"].to_numpy(np.int64),
        "person_id": paying["person_id"].to_numpy(np.int64),
        "amount_fen": -paying["acct_pay"].to_numpy(np.int64),
        "balance_after_fen": paying["balc"].to_numpy(np.int64),
    })
