"""What the mock insurer's handlers share: refusals, lost races, the amount fields."""

from __future__ import annotations


class Refusal(Exception):
    """A business refusal: answered with infcode -1 and stored like any answer."""

    def __init__(self, code: str, text: str):
        super().__init__(f"[{code}] {text}")
        self.err_msg = f"[{code}] {text}"


class StaleRow(Exception):
    """A conditional update found the row changed by someone else: redo from a fresh read."""


AMOUNTS = (
    "medfee_sumamt",
    "fund_pay_sumamt",
    "hifp_pay",
    "acct_pay",
    "psn_cash_pay",
    "preselfpay_amt",
    "fulamt_ownpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "balc",
)
