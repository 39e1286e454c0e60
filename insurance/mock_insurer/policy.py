"""The mock insurer's policy and the split of a bill into fund, personal account and cash.

All policy figures live in POLICY (one dict, per insutype × med_type, since provinces differ);
the calculation is a pure function of the bill, the terms and the person's year so far.

The split follows the national settlement (reference/nhsa.md §4):
- per line: class A enters the base whole; class B first pays `selfpay_prop` (preselfpay_amt),
  the rest enters the base; class C is paid in full by the patient (fulamt_ownpay_amt);
- the deductible still due this year is taken from the base (act_pay_dedc);
- hifp_pay = what remains × ratio, capped by what is left of the annual cap;
- the rest is the person's part: first the personal account (when allowed), then cash.
Percentages round half up to the fen, per line for class B and once for the fund.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

POLICY: dict = {
    "class_b_selfpay_pct": 10,  # 乙类 share paid first
    "voucher_ttl_seconds": 60,
    # A voucher the patient authorised on the insurer's page lives long enough to read the split
    # and confirm, without a clock interrupting an elderly person mid-task.
    "authorised_voucher_ttl_seconds": 900,
    "authorisation_request_ttl_seconds": 900,
    "schemes": {
        # Employees (职工): a personal account; better ratios.
        "310": {
            "11": {"deductible": 80_000, "ratio_pct": 70, "annual_cap": 1_000_000},  # 800 yuan, 70 %, 10 000 yuan
            "14": {"deductible": 20_000, "ratio_pct": 90, "annual_cap": 3_000_000},  # chronic: 200, 90 %, 30 000
        },
        # Residents (城乡居民): no personal account; lower ratios and caps.
        "390": {
            "11": {"deductible": 20_000, "ratio_pct": 50, "annual_cap": 300_000},  # 200 yuan, 50 %, 3 000 yuan
            "14": {"deductible": 10_000, "ratio_pct": 70, "annual_cap": 500_000},  # chronic: 100, 70 %, 5 000
        },
    },
}


def merged_policy(overrides: dict | None) -> dict:
    """POLICY with a (deep) override, e.g. from the MOCK_INSURER_POLICY setting."""
    result = copy.deepcopy(POLICY)

    def merge(into: dict, extra: dict) -> None:
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    merge(result, overrides or {})
    return result


@dataclass(frozen=True)
class Terms:
    """The figures that apply to one person's bill (fen and whole percents)."""

    deductible: int
    ratio_pct: int
    annual_cap: int
    class_b_selfpay_pct: int


def terms_for(policy: dict, insutype: str, med_type: str) -> Terms:
    scheme = policy["schemes"][insutype][med_type]
    return Terms(scheme["deductible"], scheme["ratio_pct"], scheme["annual_cap"], policy["class_b_selfpay_pct"])


@dataclass(frozen=True)
class YearSoFar:
    """The person's counters for this year and med_type, and his account balance."""

    deductible_used: int = 0
    fund_paid: int = 0
    balance: int = 0


@dataclass(frozen=True)
class LineIn:
    code: str
    drug_class: str  # "01" / "02" / "03"
    total: int


@dataclass(frozen=True)
class LineOut:
    code: str
    drug_class: str
    total: int
    preselfpay_amt: int
    fulamt_ownpay_amt: int
    inscp_scp_amt: int
    selfpay_prop: str  # as the interface shows it, "0.10"


@dataclass(frozen=True)
class SplitResult:
    medfee_sumamt: int
    fulamt_ownpay_amt: int
    preselfpay_amt: int
    inscp_scp_amt: int
    act_pay_dedc: int
    hifp_pay: int
    fund_pay_sumamt: int
    acct_pay: int
    psn_cash_pay: int
    balc: int
    lines: tuple[LineOut, ...]

    @property
    def psn_part_amt(self) -> int:
        return self.acct_pay + self.psn_cash_pay


def pct(amount: int, percent: int) -> int:
    """amount × percent / 100, rounded half up to the fen."""
    return (amount * percent + 50) // 100


def split_line(line: LineIn, class_b_pct: int) -> LineOut:
    """One line's preselfpay / fulamt_ownpay / inscp_scp parts by its class."""
    if line.drug_class == "01":
        return LineOut(line.code, line.drug_class, line.total, 0, 0, line.total, "0.00")
    if line.drug_class == "02":
        pre = pct(line.total, class_b_pct)
        return LineOut(line.code, line.drug_class, line.total, pre, 0, line.total - pre, f"{class_b_pct / 100:.2f}")
    return LineOut(line.code, line.drug_class, line.total, 0, line.total, 0, "1.00")


def split(lines: list[LineIn], terms: Terms, year: YearSoFar, use_account: bool = True) -> SplitResult:
    """Divide a bill between the pooled fund, the personal account and cash."""
    outs = tuple(split_line(line, terms.class_b_selfpay_pct) for line in lines)
    medfee = sum(o.total for o in outs)
    inscp = sum(o.inscp_scp_amt for o in outs)
    deductible_due = max(0, terms.deductible - year.deductible_used)
    act_pay_dedc = min(inscp, deductible_due)
    cap_left = max(0, terms.annual_cap - year.fund_paid)
    hifp = min(pct(inscp - act_pay_dedc, terms.ratio_pct), cap_left)
    person_part = medfee - hifp
    acct = min(person_part, year.balance) if use_account else 0
    return SplitResult(
        medfee_sumamt=medfee,
        fulamt_ownpay_amt=sum(o.fulamt_ownpay_amt for o in outs),
        preselfpay_amt=sum(o.preselfpay_amt for o in outs),
        inscp_scp_amt=inscp,
        act_pay_dedc=act_pay_dedc,
        hifp_pay=hifp,
        fund_pay_sumamt=hifp,  # the mock has only the pooled fund (no civil-servant or serious-illness lines)
        acct_pay=acct,
        psn_cash_pay=person_part - acct,
        balc=year.balance - acct,
        lines=outs,
    )


def cash_only(lines: list[LineIn]) -> SplitResult:
    """Self-pay: the whole bill in cash, nothing from the fund or the account."""
    outs = tuple(LineOut(ln.code, ln.drug_class, ln.total, 0, ln.total, 0, "1.00") for ln in lines)
    medfee = sum(o.total for o in outs)
    return SplitResult(medfee, medfee, 0, 0, 0, 0, 0, 0, medfee, 0, outs)
