"""The national platform's message envelope, shared by both ends of every transport.

A request carries `infno` (transaction code), `msgid` (30 characters: fixmedins_code 12 +
yyyyMMddHHmmss 14 + a 4-digit sequence), the sender's fields and `input`; a response carries
`infcode` (0 success), `inf_refmsgid`, `err_msg` and `output`. Amounts inside the envelope are
yuan with 2 decimals, as on the real interface; everything outside it is integer fen.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MSGID_RE = re.compile(r"^[0-9A-Za-z]{12}\d{14}\d{4}$")
INFVER = "V1.0"

# The amount fields of a settlement's `setlinfo` (in fen outside the envelope), both ends.
SETTLEMENT_AMOUNTS = (
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

DEFAULT_FIXMEDINS_CODE = "H35010000001"  # the demo hospital's institution code (12 characters)

# Transactions (infno) this code speaks; the M-codes are the mock's control plane, not national.
PERSON_INFO = "1101"
PRESETTLE = "2206"
SETTLE = "2207"
REVERSE = "2208"
CORRECT = "2601"
STATEMENT_TOTALS = "3201"
STATEMENT_DETAIL = "3202"
CHRONIC_FILINGS = "5301"
FEE_UPLOAD = "6201"  # mobile payment: upload the bill, get payOrdId + payToken
PAY_ORDER = "6202"  # mobile payment: pay the uploaded order
REFUND = "6203"  # mobile payment: refund
ORDER_QUERY = "6301"
MOCK_ENROLL = "M001"
MOCK_FAULTS = "M002"
MOCK_ISSUE_VOUCHER = "M004"
MOCK_AUTHORISATION = "M005"  # ask the patient to authorise an e-voucher payment on the insurer's page

# Writes change the insurer's ledger: their answers must never be lost or doubled.
WRITE_INFNOS = frozenset({SETTLE, REVERSE, CORRECT, PAY_ORDER, REFUND})


class EnvelopeError(ValueError):
    """A message that is not a well-formed envelope."""


def make_msgid(fixmedins_code: str, at: datetime, seq: int) -> str:
    """fixmedins_code (12) + local yyyyMMddHHmmss (14) + sequence (4 digits) = 30 characters."""
    if len(fixmedins_code) != 12:
        raise EnvelopeError("fixmedins_code must be 12 characters")
    return f"{fixmedins_code}{at.strftime('%Y%m%d%H%M%S')}{seq % 10000:04d}"


def valid_msgid(msgid: object) -> bool:
    return isinstance(msgid, str) and bool(MSGID_RE.match(msgid))


def yuan(fen: int) -> str:
    """Integer fen as the interface's yuan string: 12345 -> "123.45"."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def fen(value: object) -> int:
    """The interface's yuan (string or number, 2 decimals) as integer fen."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise EnvelopeError(f"not an amount: {value!r}") from None
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def request(infno: str, msgid: str, data: dict, sender: dict, at: datetime, psn_admdvs: str | None = None) -> dict:
    """A request envelope; `sender` holds fixmedins_code/name, mdtrtarea_admvs, opter fields."""
    if not valid_msgid(msgid):
        raise EnvelopeError(f"bad msgid {msgid!r}")
    return {
        "infno": infno,
        "msgid": msgid,
        "mdtrtarea_admvs": sender.get("mdtrtarea_admvs", ""),
        "insuplc_admdvs": psn_admdvs or "",
        "recer_sys_code": sender.get("recer_sys_code", "MOCKINS"),
        "dev_no": "",
        "dev_safe_info": "",
        "cainfo": "",
        "signtype": "",
        "infver": INFVER,
        "opter_type": sender.get("opter_type", "3"),  # 3: mobile, how internet hospitals pay
        "opter": sender.get("opter", "internet-hospital"),
        "opter_name": sender.get("opter_name", "internet-hospital"),
        "inf_time": at.strftime("%Y-%m-%d %H:%M:%S"),
        "fixmedins_code": sender["fixmedins_code"],
        "fixmedins_name": sender.get("fixmedins_name", ""),
        "sign_no": sender.get("sign_no", ""),
        "input": data,
    }


def response(req: dict, infcode: int, output: dict | None, refmsgid: str, at: datetime, err_msg: str = "") -> dict:
    """A response envelope answering `req`."""
    stamp = at.strftime("%Y%m%d%H%M%S") + f"{at.microsecond // 1000:03d}"
    return {
        "infcode": infcode,
        "inf_refmsgid": refmsgid,
        "refmsg_time": stamp,
        "respond_time": stamp,
        "err_msg": err_msg,
        "warn_msg": "",
        "output": output or {},
        "msgid": req.get("msgid"),  # echoed so a client can pair answers with requests
    }


def check_request(env: object) -> dict:
    """Raise EnvelopeError unless `env` looks like a request envelope."""
    if not isinstance(env, dict):
        raise EnvelopeError("the envelope must be a JSON object")
    for key in ("infno", "msgid", "fixmedins_code", "input"):
        if key not in env:
            raise EnvelopeError(f"missing {key}")
    if not valid_msgid(env["msgid"]):
        raise EnvelopeError(f"bad msgid {env['msgid']!r}")
    if not isinstance(env["input"], dict):
        raise EnvelopeError("input must be an object")
    return env
