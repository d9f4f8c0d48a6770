"""OpenAPI examples of the provider API (drf-spectacular), with the worked example of case 01:
an employee's 8-day admission to a tertiary hospital (示范市第一人民医院)."""
from drf_spectacular.utils import OpenApiExample

MDTRT_ID = "M20260302A1B2C3D4E5F60718"
SETL_ID = "S20260310F0E1D2C3B4A59687"

PERSON = OpenApiExample(
    "职工参保人", response_only=True,
    value={
        "psn_no": "P410800000123", "psn_name": "张伟", "gend": "1", "brdy": "1970-05-01",
        "certno": "410802********0011", "as_of": "2026-03-16",
        "insuinfo": {"insutype": "310", "psn_type": "in_service", "enrolled_from": "2020-01-01",
                     "enrolled_to": None, "paid_through": "2026-12", "assistance_category": ""},
        "balc": "1200.00", "year": 2026,
        "accumulations": [{"kind": "admissions", "key": "", "amount": "1.00"},
                          {"kind": "cap_paid", "key": "employee_pool", "amount": "1920.64"},
                          {"kind": "deductible_used", "key": "21", "amount": "800.00"}],
    },
)

REGISTER = OpenApiExample(
    "职工住院登记(2401)", request_only=True,
    value={"psn_no": "P410800000123", "med_type": "21", "begntime": "2026-03-02T09:00:00",
           "diagnoses": [{"diag_code": "I21.900", "diag_name": "急性心肌梗死"}, "I10.x00x002"]},
)
VISIT = OpenApiExample(
    "已登记的住院", response_only=True,
    value={"mdtrt_id": MDTRT_ID, "psn_no": "P410800000123", "psn_name": "张伟",
           "fixmedins_code": "H41080000001", "med_type": "21", "begntime": "2026-03-02T09:00:00+08:00",
           "endtime": None, "diagnoses": [{"diag_code": "I21.900", "diag_name": "急性心肌梗死"},
                                          {"diag_code": "I10.x00x002", "diag_name": ""}],
           "status": "registered", "setl_id": None, "created_at": "2026-03-02T09:01:12+08:00"},
)
DISCHARGE = OpenApiExample("出院(2402)", request_only=True, value={"endtime": "2026-03-10T10:00:00"})

UPLOAD = OpenApiExample(
    "上传住院费用明细(2301)", request_only=True,
    value={"lines": [
        {"feedetl_sn": "1", "med_list_codg": "XA01ABD075A002010100483", "cnt": "20", "pric": "1.50",
         "det_item_fee_sumamt": "30.00", "fee_ocur_time": "2026-03-02T10:00:00", "bilg_dept_codg": "A03",
         "bilg_dr_codg": "D0012"},
        {"feedetl_sn": "3", "med_list_codg": "XL01XCR085B002010100103", "cnt": "2", "pric": "1500.00",
         "det_item_fee_sumamt": "3000.00"},
        {"feedetl_sn": "6", "med_list_codg": "NOT-IN-CATALOG-001", "cnt": "1", "pric": "300.00",
         "det_item_fee_sumamt": "300.00"},
    ]},
)
UPLOAD_RESULT = OpenApiExample(
    "明细分类结果", response_only=True,
    value={"mdtrt_id": MDTRT_ID, "created": 3, "unchanged": 0, "lines": [
        {"feedetl_sn": "1", "det_item_fee_sumamt": "30.00", "fulamt_ownpay_amt": "0.00", "overlmt_amt": "0.00",
         "preselfpay_amt": "0.00", "inscp_scp_amt": "30.00", "chrgitm_lv": "01", "selfpay_prop": None,
         "reason": ""},
        {"feedetl_sn": "3", "det_item_fee_sumamt": "3000.00", "fulamt_ownpay_amt": "0.00",
         "overlmt_amt": "204.00", "preselfpay_amt": "559.20", "inscp_scp_amt": "2236.80", "chrgitm_lv": "02",
         "selfpay_prop": "0.2000", "reason": ""},
        {"feedetl_sn": "6", "det_item_fee_sumamt": "300.00", "fulamt_ownpay_amt": "300.00",
         "overlmt_amt": "0.00", "preselfpay_amt": "0.00", "inscp_scp_amt": "0.00", "chrgitm_lv": "",
         "selfpay_prop": None, "reason": "NOT_IN_CATALOG"},
    ]},
)
UPLOAD_ERROR = OpenApiExample(
    "金额与数量×单价不符", response_only=True, status_codes=["400"],
    value={"errors": [{"line": 1, "field": "det_item_fee_sumamt", "code": "AMOUNT_MISMATCH",
                       "message": "金额 3001.00 与数量×单价 3000.00 相差超过 0.01。"},
                      {"line": 2, "field": "fee_ocur_time", "code": "OUTSIDE_VISIT",
                       "message": "费用发生时间不在就诊期间内。"}]},
)
CANCEL_SOME = OpenApiExample("撤销部分明细(2302)", request_only=True, value={"feedetl_sns": ["3", "6"]})
CANCEL_ALL = OpenApiExample("撤销全部未结算明细", request_only=True, value={"all": True})

SETLINFO = {
    "mdtrt_id": MDTRT_ID, "psn_no": "P410800000123", "setl_time": "2026-03-10T10:00:00+08:00",
    "medfee_sumamt": "4800.00", "fulamt_ownpay_amt": "310.00", "overlmt_selfpay": "484.00",
    "preselfpay_amt": "805.20", "inscp_scp_amt": "3200.80", "act_pay_dedc": "800.00", "hifp_pay": "1920.64",
    "hifob_pay": "0.00", "hifmi_pay": "0.00", "maf_pay": "0.00", "fund_pay_sumamt": "1920.64",
    "psn_part_amt": "2879.36", "acct_pay": "1200.00", "psn_cash_pay": "1679.36", "balc": "0.00",
    "ineligible_reason": "", "policy_code": "DEMO-2026",
}
SETLDETAIL = [
    {"feedetl_sn": "3", "det_item_fee_sumamt": "3000.00", "fulamt_ownpay_amt": "0.00", "overlmt_amt": "204.00",
     "preselfpay_amt": "559.20", "inscp_scp_amt": "2236.80", "chrgitm_lv": "02", "selfpay_prop": "0.2000",
     "reason": ""},
]
PRESETTLE_RESULT = OpenApiExample("预结算结果(2303)", response_only=True,
                                  value={"setlinfo": SETLINFO, "setldetail": SETLDETAIL})
SETTLE_REQUEST = OpenApiExample("结算(2304)", request_only=True, value={})
SETTLE_REPLAY = OpenApiExample("测试回放：指定结算时间(仅工作人员)", request_only=True,
                               value={"setl_time": "2026-03-10T10:00:00"})
SETTLEMENT = OpenApiExample(
    "结算结果", response_only=True,
    value={"setlinfo": {"setl_id": SETL_ID, **SETLINFO, "fixmedins_code": "H41080000001", "kind": "settlement",
                        "status": "settled", "reverses": None, "reversed_by": None, "reason": ""},
           "setldetail": SETLDETAIL},
)
ALREADY_SETTLED = OpenApiExample(
    "重复结算", response_only=True, status_codes=["400"],
    value={"errors": [{"line": None, "field": "mdtrt_id", "code": "ALREADY_SETTLED",
                       "message": f"就诊 {MDTRT_ID} 已结算。"}]},
)
CANCEL_SETTLEMENT = OpenApiExample("撤销结算(2305)", request_only=True, value={"reason": "费用录入错误，撤销后重新结算"})
REVERSAL = OpenApiExample(
    "冲销记录", response_only=True,
    value={"setlinfo": {"setl_id": "S20260311AA00BB11CC22DD33", **SETLINFO, "setl_time": "2026-03-11T08:30:00+08:00",
                        "balc": "1200.00", "fixmedins_code": "H41080000001", "kind": "reversal", "status": "settled",
                        "reverses": SETL_ID, "reversed_by": None, "reason": "费用录入错误，撤销后重新结算"},
           "setldetail": SETLDETAIL},
)

RECONCILE = OpenApiExample(
    "三月对总账(3201)", request_only=True,
    value={"stmt_begndate": "2026-03-01", "stmt_enddate": "2026-03-31", "medfee_sumamt": "4800.00",
           "fund_pay_sumamt": "1920.64", "acct_pay": "1200.00", "fixmedins_setl_cnt": 1},
)
RECONCILE_RESULT = OpenApiExample(
    "对账不平", response_only=True,
    value={"fixmedins_code": "H41080000001", "stmt_begndate": "2026-03-01", "stmt_enddate": "2026-03-31",
           "stmt_rslt": "mismatch", "stmt_rslt_dscr": "不平",
           "platform": {"medfee_sumamt": "4800.00", "fund_pay_sumamt": "1920.64", "acct_pay": "1200.00",
                        "fixmedins_setl_cnt": 1},
           "declared": {"medfee_sumamt": "4900.00", "fund_pay_sumamt": "1920.64", "acct_pay": "1200.00",
                        "fixmedins_setl_cnt": 2},
           "differences": {"medfee_sumamt": "100.00", "fund_pay_sumamt": "0.00", "acct_pay": "0.00",
                           "fixmedins_setl_cnt": 1}},
)

UPLOAD_JOB = OpenApiExample(
    "文件导入任务", response_only=True,
    value={"id": 42, "status": "done", "file_name": "3月住院明细.xlsx", "rows_total": 1200, "rows_done": 1200,
           "progress": 100, "accepted": 1195, "rejected": 5, "error_count": 6,
           "errors": [{"row": 17, "mdtrt_id": MDTRT_ID, "feedetl_sn": "16", "field": "det_item_fee_sumamt",
                       "code": "AMOUNT_MISMATCH", "message": "金额 31.00 与数量×单价 30.00 相差超过 0.01。"},
                      {"row": 18, "mdtrt_id": MDTRT_ID, "feedetl_sn": "17", "field": "", "code": "VISIT_REJECTED",
                       "message": "同一就诊的其他行有错误，本就诊的明细均未导入。"}],
           "errors_url": "https://yibao.example.gov.cn/api/v1/upload-jobs/42/errors.csv",
           "created_at": "2026-03-16T09:00:00+08:00", "started_at": "2026-03-16T09:00:01+08:00",
           "finished_at": "2026-03-16T09:00:40+08:00"},
)
