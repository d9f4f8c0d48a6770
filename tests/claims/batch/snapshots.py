"""What a settlement run leaves, in comparable form: the money rows of every settled visit, keyed by mdtrt_id."""
from claims.models import Accumulator, FeeLine, Settlement, SettlementAccumulation, SettlementLine
from insurance.models import AccountMovement, PersonalAccount

AMOUNTS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
           "act_pay_dedc", "hifp_pay", "hifob_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt",
           "acct_pay", "psn_cash_pay", "balc", "ineligible_reason", "setl_time", "status",
           "cvlserv_pay", "hifdm_pay", "oth_pay", "matn_pay", "matn_alwn_amt")


def settled_snapshot() -> dict:
    """Settlements, their lines, the fee lines' splits, accumulators with their per-settlement deltas, accounts and
    account movements: everything money the two paths must store alike (ids and setl_ids aside)."""
    return {
        "settlements": {s["visit__mdtrt_id"]: s for s in Settlement.objects.values("visit__mdtrt_id", "med_type",
                                                                                  "kind", *AMOUNTS)},
        "lines": set(SettlementLine.objects.values_list(
            "settlement__visit__mdtrt_id", "feedetl_sn", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
            "inscp_scp_amt", "chrgitm_lv", "selfpay_prop", "reason")),
        "fee_lines": set(FeeLine.objects.values_list("visit__mdtrt_id", "feedetl_sn", "status", "fulamt_ownpay_amt",
                                                     "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                                                     "chrgitm_lv", "selfpay_prop", "reason")),
        "accumulators": set(Accumulator.objects.values_list("person__psn_no", "year", "kind", "key", "amount")),
        "deltas": set(SettlementAccumulation.objects.values_list("settlement__visit__mdtrt_id", "kind", "key",
                                                                 "delta")),
        "accounts": set(PersonalAccount.objects.values_list("person__psn_no", "balance")),
        "movements": set(AccountMovement.objects.values_list("settlement__visit__mdtrt_id", "amount",
                                                             "balance_after", "kind", "reason")),
    }
