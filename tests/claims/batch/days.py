"""Days of visits in the case-file format, loaded and settled at the counter (the services, visit by visit) or at
night (the nightly job, each visit's upload dated on its discharge day, the job run for each day in order)."""
import copy
import datetime as dt

from django.db import transaction
from django.utils import timezone

from claims.batch import jobs as daily
from claims.cases import load_reference_data, local
from claims.intake.services import discharge_visit, register_visit, upload_fee_lines
from claims.models import JobStatus, Upload
from claims.settlement.services import settle_visit
from insurance.models import Institution
from policy_rules.models import CatalogItem
from policy_rules.services import import_policy_pack
from tests.claims.batch.snapshots import settled_snapshot
from tests.claims.conftest import case_doc

BASE = case_doc("01-employee-inpatient-tertiary.json")
EXTRA_CATALOG = [{"code": "0012", "name": "前导零项目", "chrg_lv": "01"},
                 {"code": "12", "name": "同号项目", "chrg_lv": "02", "price_limit": "5.00"}]
CATALOG_CODES = [c["code"] for c in BASE["catalog"] + EXTRA_CATALOG]
UNCATALOGUED = ["NOT-LISTED-1", "0099", "99"]
PERSONS = [  # psn_no, insutype, psn_type, gender, birth date, account
    ("000123", "310", "in_service", "1", "1970-05-01", "1200.00"),
    ("123", "390", "resident_adult", "2", "1958-02-03", "0"),
    ("P0001", "310", "retired", "2", "1950-11-30", "300.00"),
]
INSTITUTIONS = [("H00000000001", 3, True), ("H41080000002", 2, True), ("H00000000010", 1, True),
                ("H41080000005", 1, False)]
DAYS = [dt.datetime(2026, 3, 10, 8), dt.datetime(2026, 3, 11, 9), dt.datetime(2026, 12, 30, 9)]


def pack(region: str, year: int) -> dict:
    doc = copy.deepcopy(BASE["policy"])
    doc.update(code=f"GEN-{year}", region=region, effective_from=f"{year}-01-01", effective_to=f"{year}-12-31")
    return doc


def load(day: dict) -> None:
    """Two yearly packs of the day's region, their catalogs, the institutions and persons."""
    doc = copy.deepcopy(BASE)
    doc.update(policy=pack(day["region"], 2026), catalog=BASE["catalog"] + EXTRA_CATALOG, visits=[],
               institutions=[{"fixmedins_code": c, "name": c, "level": str(lv), "designated": d}
                             for c, lv, d in INSTITUTIONS],
               persons=[{"psn_no": n, "name": n, "gender": g, "birth_date": b, "insutype": t, "psn_type": pt,
                         "enrolled_from": "2020-01-01", "enrolled_to": None, "paid_through": "2027-12",
                         "assistance_category": None, "acct_balance": acct, "ytd": {}}
                        for n, t, pt, g, b, acct in day["persons"]])
    load_reference_data(doc)
    later = import_policy_pack(pack(day["region"], 2027), source_name="next year")
    CatalogItem.objects.bulk_create([
        CatalogItem(**{**{f.attname: getattr(item, f.attname) for f in CatalogItem._meta.concrete_fields
                          if not f.primary_key},
                       "effective_from": later.effective_from, "effective_to": later.effective_to})
        for item in CatalogItem.objects.all()])


def register(day: dict) -> dict:
    """Register, upload and discharge every visit (each upload dated on its discharge day)."""
    institutions = {i.fixmedins_code: i for i in Institution.objects.all()}
    visits = {}
    for v in day["visits"]:
        visit = register_visit(institution=institutions[v["fixmedins_code"]], psn_no=v["psn_no"],
                               med_type=v["med_type"], begntime=local(v["begntime"]), mdtrt_id=v["mdtrt_id"])
        upload = upload_fee_lines(visit, v["lines"], source="generated")["upload"]
        visits[v["mdtrt_id"]] = discharge_visit(visit, endtime=local(v["endtime"]))
        Upload.objects.filter(pk=upload.pk).update(created_at=local(v["endtime"]))
    return visits


def at_the_counter(day: dict) -> dict:
    load(day)
    visits = register(day)
    for v in sorted(day["visits"], key=lambda v: (v["endtime"], v["mdtrt_id"])):
        settle_visit(visits[v["mdtrt_id"]], setl_time=local(v["endtime"]), reason="counter")
    return settled_snapshot()


def at_night(day: dict) -> dict:
    load(day)
    register(day)
    for run_date in sorted({timezone.localdate(local(v["endtime"])) for v in day["visits"]}):
        job = daily.run_day(run_date, chunks=day["chunks"])
        assert job.status == JobStatus.DONE, job.error
    return settled_snapshot()


def in_rollback(fn, day):
    with transaction.atomic():
        out = fn(day)
        transaction.set_rollback(True)
    return out


