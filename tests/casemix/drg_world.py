"""The DRG worked example (docs/drg.md section 4) as a database: the table imported from the JSON case file's
`drg_table` through casemix.drg_importer, the year's parameters (点数法 or 费率法), six settled inpatient visits at
H1 (level 3) and their lists [4101] uploaded over the API with their secondary diagnoses."""
import datetime as dt
import io
import json
from pathlib import Path

from casemix.drg_importer import import_drg_table
from casemix.importer import set_year_parameters
from tests.api.base import APITestBase, make_person
from tests.factories import local_dt

from .helpers import good_list, inpatient_settlement

CASE_FILE = Path(__file__).resolve().parents[2] / "policy_rules" / "fixtures" / "cases-drg" / "01-worked-example.json"
EXAMPLE = json.loads(CASE_FILE.read_text(encoding="utf-8"))
POINTS_PARAMS = {"method": "drg_points", "low": "0.5", "high": "2", "coef": {"3": "1.00"}, "budget": "120000.00"}
RATE_PARAMS = {**POINTS_PARAMS, "method": "drg_rate", "rate": "150.00"}


def table_file() -> io.BytesIO:
    f = io.BytesIO(json.dumps(EXAMPLE["drg_table"], ensure_ascii=False).encode("utf-8"))
    f.name = "drg-example.json"
    return f


def build_drg_example(w, client, params: dict) -> dict:
    """The table, the year's parameters and the six cases of docs/drg.md at w.inst_a; {case: settlement}."""
    import_drg_table(table_file(), code="DRG-EX-2026", name="DRG worked example", region="410800",
                     effective_from=dt.date(2026, 1, 1))
    set_year_parameters(region="410800", year=2026, doc=params)
    settlements = {}
    for n, case in enumerate(EXAMPLE["cases"]):
        person = make_person(f"PD{n}")
        begntime = local_dt(2026, 3 + n, 2, 9)
        fund, part = case["fund_pay_sumamt"], case["psn_part_amt"]
        settlements[case["setl_id"]] = inpatient_settlement(
            w.inst_a, person, fund=fund, part=part, setl_id=case["setl_id"], policy_version=w.policy_2026,
            begntime=begntime, endtime=begntime + dt.timedelta(days=6))
        operations = [] if not case["main_oprn"] else [{
            "oprn_oprt_code": case["main_oprn"], "oprn_oprt_name": case["main_oprn"], "main_oprn_flag": "1",
            "oprn_oprt_date": (begntime + dt.timedelta(days=1)).date().isoformat()}]
        diagnoses = [{"diag_code": case["main_diag"], "diag_name": case["main_diag"], "maindiag_flag": "1"},
                     *({"diag_code": d, "diag_name": d, "maindiag_flag": "0"} for d in case["secondary_diags"])]
        response = client.post(f"/api/v1/settlements/{case['setl_id']}/setl-list/",
                               good_list(diseinfo=diagnoses, oprninfo=operations), format="json")
        assert response.status_code == 201, response.content
    return settlements


class DrgExampleWorld(APITestBase):
    """The six cases of docs/drg.md; PARAMS: the year's parameters (点数法 by default)."""

    PARAMS = POINTS_PARAMS

    def setUp(self):
        super().setUp()
        self.settlements = build_drg_example(self.w, self.client, self.PARAMS)
