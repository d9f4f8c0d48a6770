"""Small inputs for the smart-audit tests (policy_rules.engine.audit).

    hits = audit("frequency", {"codes": ["001"], "max": 1},
                 [visit(lines=[line("001", time="2026-03-02 09:00"), line("001", time="2026-03-02 15:00")])])
    assert hits == [{"rule": "T-1", "mdtrt_id": "V1", "sns": ("1", "2"), "amount": "25.00", ...}]

Money in and out is decimal strings; visits default to V1, V2, ... of person P1 at institution H1, an
inpatient stay 2026-03-01 08:00 – 2026-03-05 10:00; lines are numbered 1, 2, ... within their visit.
"""
from __future__ import annotations

import pandas as pd

from policy_rules.engine.audit import AuditRule, run_audit
from policy_rules.engine.frames import catalog_frame
from policy_rules.engine.money import QTY_SCALE, fen_str, scaled, to_fen

ITEMS = [
    {"code": "001", "name": "住院诊查费", "chrg_lv": "01"},
    {"code": "002", "name": "普通门诊诊查费", "chrg_lv": "01"},
    {"code": "BED", "name": "床位费", "chrg_lv": "01", "price_limit": "40.00"},
    {"code": "ICU", "name": "重症监护床位费", "chrg_lv": "01"},
    {"code": "OP", "name": "阑尾切除术", "chrg_lv": "01"},
    {"code": "DRESS", "name": "换药", "chrg_lv": "01"},
    {"code": "IV", "name": "静脉输液", "chrg_lv": "01"},
    {"code": "AMOX", "name": "阿莫西林胶囊", "chrg_lv": "01"},
    {"code": "MET", "name": "二甲双胍片", "chrg_lv": "01"},
    {"code": "DS", "name": "复方丹参滴丸", "chrg_lv": "02"},
    {"code": "STENT", "name": "冠脉支架", "chrg_lv": "02", "price_limit": "10.00"},
    {"code": "LIM0", "name": "限价0元", "chrg_lv": "01", "price_limit": "0"},
    {"code": "F", "name": "黄体酮注射液", "chrg_lv": "01", "restrict": {"gender": "2"}},
    {"code": "K14", "name": "小儿止咳糖浆", "chrg_lv": "02", "restrict": {"max_age": 14}},
    {"code": "K18", "name": "成人专用药", "chrg_lv": "01", "restrict": {"min_age": 18, "max_age": 65}},
    {"code": "LV2", "name": "限二级医院项目", "chrg_lv": "02", "restrict": {"min_level": 2}},
    {"code": "IN", "name": "限住院项目", "chrg_lv": "01", "restrict": {"med_types": ["21", "22"]}},
    {"code": "CF", "name": "丙类且限女性", "chrg_lv": "03", "restrict": {"gender": "2"}},
    {"code": "NONAME", "chrg_lv": "01"},
]


def catalog(items=None) -> pd.DataFrame:
    items = ITEMS if items is None else items
    df = catalog_frame(items)
    df["name"] = [i.get("name", "") for i in items]
    return df


def line(code, cnt="1", pric="25.00", *, time=None, amount=None) -> dict:
    return {"code": code, "cnt": cnt, "pric": pric, "time": time, "amount": amount}


def visit(mdtrt_id=None, *, lines=(), psn_no="P1", inst="H1", med_type="21", begn="2026-03-01 08:00",
          end="2026-03-05 10:00", level=3, gender="1", age=50, dx=("I10",)) -> dict:
    return {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "fixmedins_code": inst, "med_type": med_type, "begntime": begn,
            "endtime": end, "inst_level": level, "gender": gender, "age": age, "diagnoses": dx, "lines": list(lines)}


def frames(visits: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(lines, visits) frames in the audit's input format."""
    vrows, lrows = [], []
    for i, v in enumerate(visits, start=1):
        mdtrt_id = v["mdtrt_id"] or f"V{i}"
        vrows.append({k: v[k] for k in ("psn_no", "fixmedins_code", "med_type", "begntime", "endtime",
                                         "inst_level", "gender", "age", "diagnoses")} | {"mdtrt_id": mdtrt_id})
        for sn, ln in enumerate(v["lines"], start=1):
            cnt, pric = scaled(ln["cnt"], QTY_SCALE), scaled(ln["pric"], QTY_SCALE)
            amount = to_fen(ln["amount"]) if ln["amount"] is not None else (cnt * pric + 500_000) // 1_000_000
            lrows.append({"mdtrt_id": mdtrt_id, "feedetl_sn": str(sn), "med_list_codg": ln["code"], "cnt_e4": cnt,
                          "pric_e4": pric, "amount_fen": amount, "fee_ocur_time": ln["time"]})
    lines = pd.DataFrame(lrows, columns=["mdtrt_id", "feedetl_sn", "med_list_codg", "cnt_e4", "pric_e4", "amount_fen",
                                         "fee_ocur_time"])
    lines = lines.astype({"cnt_e4": "int64", "pric_e4": "int64", "amount_fen": "int64"})
    lines["fee_ocur_time"] = pd.to_datetime(lines["fee_ocur_time"], format="ISO8601")
    vis = pd.DataFrame(vrows, columns=["mdtrt_id", "psn_no", "fixmedins_code", "med_type", "begntime", "endtime",
                                       "inst_level", "gender", "age", "diagnoses"])
    vis["begntime"] = pd.to_datetime(vis["begntime"], format="ISO8601")
    vis["endtime"] = pd.to_datetime(vis["endtime"], format="ISO8601")
    vis = vis.astype({"inst_level": "int64", "age": "int64"})
    return lines, vis


def history(visits: list[dict]) -> pd.DataFrame:
    """Stored visits (no lines) for the cross-visit rules; mdtrt_id defaults to OLD1, OLD2, ..."""
    _, vis = frames([v | {"mdtrt_id": v["mdtrt_id"] or f"OLD{i}", "lines": []} for i, v in enumerate(visits, 1)])
    return vis


def hits_of(df: pd.DataFrame) -> list[dict]:
    return [{"rule": r.rule_code, "mdtrt_id": r.mdtrt_id, "sns": r.feedetl_sns, "amount": fen_str(r.amount_fen),
             "evidence": r.evidence, "related": r.related_mdtrt_id} for r in df.itertuples(index=False)]


def audit(rule_type, params=None, visits=(), *, severity="warn", items=None, **kw) -> list[dict]:
    """The hits of one rule (code T-1) over the given visits, as plain dicts."""
    lines, vis = frames(list(visits))
    rule = AuditRule("T-1", rule_type, params or {}, severity, "测试规则")
    return hits_of(run_audit(lines, vis, catalog(items), [rule], **kw))
