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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from policy_rules.engine.adjudicate import LINE_SUMS, SETTLEMENT_COLUMNS

# what a settlement row holds in fen: the 14 amounts of the national interface and the account balance after
SETTLEMENT_FEN = (*SETTLEMENT_COLUMNS, "balc")
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


@dataclass
class Inputs:
    """What either reader hands on (the ORM one for a request, the COPY one for the night): the engine's frames
    (policy_rules.engine.frames describes their columns, types and scales) and the keys of the rows they
    came from, which the planner needs to write the result back.

    visit_keys    VISIT_KEYS per visit          line_keys     LINE_KEYS per active line
    version_ids   policy pack code → PolicyVersion id
    """
    lines: pd.DataFrame
    visits: pd.DataFrame
    persons: pd.DataFrame
    catalog: pd.DataFrame
    policies: list
    state: pd.DataFrame
    visit_keys: pd.DataFrame
    line_keys: pd.DataFrame
    version_ids: dict[str, int]

    def engine(self, *, with_state: bool = True) -> dict:
        """The keyword arguments of adjudicate (with_state) or classify (without)."""
        frames = {"lines": self.lines, "visits": self.visits, "persons": self.persons, "catalog": self.catalog,
                  "policies": self.policies}
        return {**frames, "state": self.state} if with_state else frames


class PlanInputError(ValueError):
    """The keys handed to the planner do not cover the engine's result (a reader's bug)."""


@dataclass(frozen=True)
class Plan:
    """Rows to write, each frame in the order it is written.

    settlements    SETTLEMENT_ROW: one per visit settled; `ref` numbers them 0..n-1
    lines          LINE_ROW: one settlement line per active fee line of a settled visit
    fee_lines      FEE_LINE_ROW: fee lines of the settled visits whose stored split differs from the one just
                   computed (a held visit's lines are the caller's to classify: plan_fee_lines)
    accumulations  ACCUMULATION_ROW: what each settlement added to each accumulator (admissions as a count)
    movements      MOVEMENT_ROW: personal-account payments, per person in settlement order
    visit_ids      the visits now settled
    """
    settlements: pd.DataFrame
    lines: pd.DataFrame
    fee_lines: pd.DataFrame
    accumulations: pd.DataFrame
    movements: pd.DataFrame
    visit_ids: np.ndarray

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
    version_ids  policy pack code → the PolicyVersion row's id

    A visit the engine found no policy pack for (policy_code missing) is held: it writes nothing and stays
    discharged, to be settled once a pack is in force. Every other visit is settled, an ineligible one too
    (all its amounts paid by the person, with its reason)."""
    _require(visits, VISIT_KEYS, "visits")
    _require(lines, LINE_KEYS, "lines")
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
    return Plan(
        settlements=settlements,
        lines=_lines(joined, ref_of),
        fee_lines=_changed(joined),
        accumulations=_accumulations(result.deltas, ref_of, settlements),
        movements=_movements(settlements),
        visit_ids=settlements["visit_id"].to_numpy(np.int64),
    )


def _split_of(split: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """The engine's line split joined to the readers' keys of the same lines, in the engine's order."""
    joined = split.merge(lines[list(LINE_KEYS)], on=["mdtrt_id", "feedetl_sn"], how="left", validate="one_to_one")
    if joined["fee_line_id"].isna().any():
        raise PlanInputError("a line of the engine's split has no fee line")
    return joined


def _lines(joined: pd.DataFrame, ref_of: pd.Series) -> pd.DataFrame:
    """LINE_ROW of the settled visits' lines (the engine's split joined to their keys)."""
    return pd.DataFrame({
        "settlement_ref": ref_of.loc[joined["mdtrt_id"]].to_numpy(np.int64),
        "fee_line_id": joined["fee_line_id"].to_numpy(np.int64),
        "feedetl_sn": joined["feedetl_sn"].to_numpy(dtype=object),
        "det_item_fee_sumamt": joined["amount_fen"].to_numpy(np.int64),
        **{c: joined[c].to_numpy(np.int64) for c in SPLIT_FEN},
        "chrgitm_lv": joined["chrgitm_lv"].fillna("").to_numpy(dtype=object),
        "selfpay_prop_e6": joined["selfpay_prop_e6"].to_numpy(np.int64),
        "reason": joined["reason"].fillna("").to_numpy(dtype=object),
    })


def plan_fee_lines(split: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """FEE_LINE_ROW for the lines of `split` (the engine's classification) whose stored split differs: the
    classification a fee line holds is always the last one computed, at upload, on a night or at settlement,
    and a line that already holds it is not written again."""
    return _fee_lines(split, lines)


def _fee_lines(split: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    return _changed(_split_of(split, lines))


def _changed(joined: pd.DataFrame) -> pd.DataFrame:
    """FEE_LINE_ROW of the joined lines whose stored split differs from the engine's."""
    changed = np.zeros(len(joined), dtype=bool)
    for c in (*SPLIT_FEN, "selfpay_prop_e6"):
        changed |= joined[c].to_numpy(np.int64) != joined[f"stored_{c}"].to_numpy(np.int64)
    for c in SPLIT_TEXT:
        changed |= (joined[c].fillna("").astype(str).to_numpy()
                    != joined[f"stored_{c}"].fillna("").astype(str).to_numpy())
    out = joined[changed]
    return pd.DataFrame({
        "fee_line_id": out["fee_line_id"].to_numpy(np.int64),
        **{c: out[c].to_numpy(np.int64) for c in SPLIT_FEN},
        "chrgitm_lv": out["chrgitm_lv"].fillna("").to_numpy(dtype=object),
        "selfpay_prop_e6": out["selfpay_prop_e6"].to_numpy(np.int64),
        "reason": out["reason"].fillna("").to_numpy(dtype=object),
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
