"""The generated frames as database rows: ids from the first id of each table, foreign keys from positions,
money, quantities and times as the text COPY reads (local wall times turned into UTC)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from devtools.synth.arrays import cat, e4_text, fen_text, zfill
from devtools.synth.days import Day
from devtools.synth.reference import Reference
from devtools.synth.spec import CitySpec


def _aware_text(local: np.ndarray, tz) -> np.ndarray:
    """Local wall times (naive datetime64) → ISO text in UTC for timestamptz columns.

    The UTC offset is looked up once per distinct local hour (a day has at most a few thousand), so a
    daylight-saving change is honoured without localizing every value."""
    local = np.asarray(local, dtype="datetime64[s]")
    missing = np.isnat(local)
    hours, inverse = np.unique(local.astype("datetime64[h]"), return_inverse=True)
    offsets = np.array([
        0 if np.isnat(h) else int(h.astype(dt.datetime).replace(tzinfo=tz).utcoffset().total_seconds())
        for h in hours], dtype=np.int64)
    utc = local - offsets[inverse.ravel()].astype("timedelta64[s]")
    out = cat(np.datetime_as_string(utc, unit="s"), "+00").astype(object)
    out[missing] = None
    return out


def _date_text(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype="datetime64[D]")
    out = np.datetime_as_string(values, unit="D").astype(object)
    out[np.isnat(values)] = None
    return out


def _neg_to_none(values: np.ndarray, scale_text) -> np.ndarray:
    values = np.asarray(values, dtype=np.int64)
    out = scale_text(np.maximum(values, 0)).astype(object)
    out[values < 0] = None
    return out


def _int_or_none(values) -> np.ndarray:
    values = np.asarray(values, dtype=np.int64)
    out = values.astype(object)
    out[values < 0] = None
    return out


def reference_tables(ref: Reference, spec: CitySpec, base: dict[str, int], tz, now_text: str) -> dict:
    """The reference frames as database rows (column → values), with ids from `base`."""
    inst, persons, catalog = ref.institutions, ref.persons, ref.catalog
    pid = base["insurance_person"] + np.arange(len(persons))
    prop_text = lambda v: cat(v // 1_000_000, ".", zfill(v % 1_000_000 // 100, 4))  # noqa: E731 (×10^6 → 4 dp)
    return {
        "insurance_institution": pd.DataFrame({
            "id": base["insurance_institution"] + np.arange(len(inst)), **{c: inst[c] for c in (
                "fixmedins_code", "name", "level", "kind", "designated", "region")}}),
        "insurance_person": pd.DataFrame({
            "id": pid, "psn_no": persons["psn_no"], "certno": persons["certno"], "name": persons["name"],
            "gender": persons["gender"], "birth_date": _date_text(persons["birth_date"].to_numpy())}),
        "insurance_enrollment": pd.DataFrame({
            "id": base["insurance_enrollment"] + np.arange(len(persons)), "person_id": pid,
            "insutype": persons["insutype"], "psn_type": persons["psn_type"],
            "enrolled_from": _date_text(persons["enrolled_from"].to_numpy()),
            "enrolled_to": _date_text(persons["enrolled_to"].to_numpy()), "paid_through": persons["paid_through"],
            "assistance_category": persons["assistance_category"]}),
        "insurance_personalaccount": pd.DataFrame({
            "id": base["insurance_personalaccount"] + np.arange(len(persons)), "person_id": pid,
            "balance": fen_text(persons["acct_balance_fen"].to_numpy()), "updated_at": now_text}),
        "policy_rules_catalogitem": pd.DataFrame({
            "id": base["policy_rules_catalogitem"] + np.arange(len(catalog)),
            **{c: catalog[c] for c in ("med_list_codg", "name", "list_type", "chrg_lv", "restrict_gender")},
            "selfpay_prop": _neg_to_none(catalog["selfpay_prop_e6"].to_numpy(), prop_text),
            "price_limit": _neg_to_none(catalog["price_limit_fen"].to_numpy() * 100, e4_text),
            "restrict_min_age": _int_or_none(catalog["restrict_min_age"]),
            "restrict_max_age": _int_or_none(catalog["restrict_max_age"]),
            "restrict_min_level": _int_or_none(catalog["restrict_min_level"]),
            "restrict_med_types": catalog["restrict_med_types"],
            "effective_from": (spec.catalog_from or dt.date(spec.start_date.year, 1, 1)).isoformat()}),
    }


def day_tables(d: Day, base: dict[str, int], ref_base: dict[str, int], tz) -> dict:
    """One day's frames as database rows, with ids from `base` and foreign keys from `ref_base`."""
    v, ln, up = d.visits, d.lines, d.uploads
    visit_id = base["claims_visit"] + np.arange(len(v))
    upload_of_inst = np.full(int(v["institution"].max()) + 1 if len(v) else 1, -1, dtype=np.int64)
    upload_of_inst[up["institution"].to_numpy()] = base["claims_upload"] + np.arange(len(up))
    created = _aware_text(up["created_at"].to_numpy(), tz)
    person = v["person"].to_numpy()
    return {
        "claims_upload": pd.DataFrame({
            "id": base["claims_upload"] + np.arange(len(up)),
            "institution_id": ref_base["insurance_institution"] + up["institution"].to_numpy(),
            "source": "demo", "created_at": created, "line_count": up["line_count"].to_numpy()}),
        "claims_visit": pd.DataFrame({
            "id": visit_id, "mdtrt_id": v["mdtrt_id"], "person_id": ref_base["insurance_person"] + person,
            "institution_id": ref_base["insurance_institution"] + v["institution"].to_numpy(),
            "enrollment_id": ref_base["insurance_enrollment"] + person, "med_type": v["med_type"],
            "begntime": _aware_text(v["begntime"].to_numpy(), tz), "endtime": _aware_text(v["endtime"].to_numpy(), tz),
            "diagnoses": v["diagnoses"], "status": "discharged",
            "created_at": _aware_text(v["begntime"].to_numpy(), tz)}),
        "claims_feeline": pd.DataFrame({
            "id": base["claims_feeline"] + np.arange(len(ln)), "visit_id": visit_id[ln["visit"].to_numpy()],
            "upload_id": upload_of_inst[v["institution"].to_numpy()[ln["visit"].to_numpy()]],
            "feedetl_sn": ln["feedetl_sn"], "med_list_codg": ln["med_list_codg"], "medins_list_codg": "",
            "cnt": e4_text(ln["cnt_e4"].to_numpy()), "pric": e4_text(ln["pric_e4"].to_numpy()),
            "det_item_fee_sumamt": fen_text(ln["amount_fen"].to_numpy()),
            "fee_ocur_time": _aware_text(ln["fee_ocur_time"].to_numpy(), tz), "bilg_dept_codg": "",
            "bilg_dr_codg": "", "status": "active", "chrgitm_lv": "", "reason": ""}),
    }


REFERENCE_TABLES = ("insurance_institution", "insurance_person", "insurance_enrollment", "insurance_personalaccount",
                    "policy_rules_catalogitem")
DAY_TABLES = ("claims_upload", "claims_visit", "claims_feeline")
