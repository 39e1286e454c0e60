"""The insurance gateway: the interface the app uses, its national-interface adapter, a registry.

`InsuranceGateway` is what the rest of the app needs from an insurer. `NhsaGateway` implements
it in the national platform's vocabulary (envelopes with infno/msgid, see insurance.envelope)
over a `Transport`: `InProcessTransport` hands the envelope to the mock insurer's handler,
`HttpTransport` posts it as JSON; the two differ only in transport. The registry picks one by
the INSURANCE_GATEWAY setting ("in-process" default, "http" with INSURANCE_URL), in the manner
of CTFd's uploaders; a real channel is one more registered factory (SM4/SM2 wrapping in its
transport).

Every message is retried on a transport failure with the SAME msgid, with a bounded backoff;
the insurer answers a repeated msgid with its first answer.

Settings (all optional): INSURANCE_FIXMEDINS_CODE (12 chars), INSURANCE_FIXMEDINS_NAME,
INSURANCE_ADMDVS, INSURANCE_TIMEOUT (s), INSURANCE_RETRIES (attempts), INSURANCE_BACKOFF (s),
INSURANCE_BACKOFF_CAP (s), MOCK_INSURER_SECRET / _POLICY / _FAULTS (in-process mock).
"""

from __future__ import annotations

import abc
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask import Flask, current_app
from sqlalchemy.orm import Session

from core import clock
from core.extensions import db
from insurance import envelope as env_
from insurance.claims import (
    MED_TYPE_OUTPATIENT,
    ChronicFiling,
    Claim,
    InsuredPerson,
    InsurerOrder,
    LedgerRow,
    Split,
    SplitLine,
    Statement,
    Totals,
    Voucher,
)
from insurance.envelope import DEFAULT_FIXMEDINS_CODE, fen, yuan
from insurance.ledger import allocate_msgid
from insurance.mock_insurer.constants import DEFAULT_SECRET
from insurance.mock_insurer.service import MockInsurer
from insurance.transport import HttpTransport, InProcessTransport, Transport, TransportError


class InsurerUnreachable(Exception):
    """Every attempt failed in transport: the outcome of a write is unknown."""

    def __init__(self, infno: str, msgid: str, cause: str):
        super().__init__(f"{infno} {msgid}: {cause}")
        self.infno, self.msgid, self.cause = infno, msgid, cause


class InsurerRefused(Exception):
    """The insurer answered infcode != 0; `code` is the bracketed reason when it gives one."""

    def __init__(self, infno: str, msgid: str, err_msg: str):
        super().__init__(err_msg)
        self.infno, self.msgid, self.err_msg = infno, msgid, err_msg
        match = re.match(r"^\[([a-z_]+)\]\s*(.*)$", err_msg or "")
        self.code = match.group(1) if match else "insurer_refused"
        self.text = match.group(2) if match else err_msg


class NotSupported(Exception):
    """A demo-only operation that a real insurer does not offer."""


@dataclass(frozen=True)
class Reversal:
    revs_setl_id: str
    setl_id: str
    reversed_at: datetime | None


@dataclass(frozen=True)
class AuthorisationRequest:
    """What the insurer's authorisation page needs: who, how much, where to send him back."""

    certno: str
    psn_name: str
    amount_fen: int
    return_url: str
    state: str = ""
    lang: str = "zh"


MsgIds = tuple[str, str] | None  # a 1101's and its 5301's message ids, when the caller reserved them


class InsuranceGateway(abc.ABC):
    """What the hospital needs from an insurer. Amounts in fen; msgids come from our ledger."""

    @abc.abstractmethod
    def verify_voucher(self, token: str, certno: str | None = None, msgids: MsgIds = None) -> InsuredPerson:
        """1101 (+5301): who the voucher belongs to; refused when it is not `certno`'s. `msgids`:
        the two messages' ids when the caller reserved them (else each is allocated)."""

    @abc.abstractmethod
    def presettle(self, claim: Claim, person: InsuredPerson | None, med_type: str) -> Split:
        """2206: the split of the claim (self-pay when person is None); nothing is charged."""

    @abc.abstractmethod
    def settle(self, claim: Claim, person: InsuredPerson | None, med_type: str, msgid: str) -> Split:
        """2207 with this msgid (repeated on retries): charge the claim; the Split has setl_id."""

    @abc.abstractmethod
    def reverse(self, settled: Split, msgid: str) -> Reversal:
        """2208 (6203 on the mobile channel): refund a settlement whole."""

    @abc.abstractmethod
    def query(self, med_org_ord: str) -> list[InsurerOrder]:
        """6301-style: every settlement the insurer holds for our order, with its status."""

    @abc.abstractmethod
    def correct(self, omsgid: str, oinfno: str, psn_no: str | None) -> str:
        """2601: undo (or bar, if it never arrived) a message whose answer was lost."""

    @abc.abstractmethod
    def statement(self, first: date, last: date, ours: Totals) -> Statement:
        """3201: does the insurer agree with our totals for these days?"""

    @abc.abstractmethod
    def ledger_for_day(self, day: date) -> list[LedgerRow]:
        """3202: the insurer's settlements and reversals of one (local) day."""

    # Demo and test only: what the patient's phone app and the mock's operator do.
    def issue_voucher(self, certno: str, psn_name: str | None = None) -> Voucher:
        raise NotSupported("issue_voucher")

    def enroll(self, person: dict) -> str:
        raise NotSupported("enroll")

    def faults(self, values: dict | None = None, replace: bool = False) -> dict:
        raise NotSupported("faults")

    def authorisation_url(self, request: AuthorisationRequest) -> str:
        """Where the patient confirms an e-voucher payment (the insurer's page, which sends him
        back to request.return_url with ec_token and state)."""
        raise NotSupported("authorisation")


@dataclass(frozen=True)
class GatewaySettings:
    fixmedins_code: str = DEFAULT_FIXMEDINS_CODE
    fixmedins_name: str = "互联网医院"
    admdvs: str = "350100"
    timeout: float = 5.0
    attempts: int = 3
    backoff: float = 0.2
    backoff_cap: float = 2.0
    public_url: str = ""  # where patients' browsers reach the insurer's pages ("" = this server)

    @classmethod
    def from_app(cls, app: Flask) -> GatewaySettings:
        c = app.config
        return cls(
            fixmedins_code=c.get("INSURANCE_FIXMEDINS_CODE", DEFAULT_FIXMEDINS_CODE),
            fixmedins_name=c.get("INSURANCE_FIXMEDINS_NAME", "互联网医院"),
            admdvs=c.get("INSURANCE_ADMDVS", "350100"),
            timeout=float(c.get("INSURANCE_TIMEOUT", 5.0)),
            attempts=int(c.get("INSURANCE_RETRIES", 3)),
            backoff=float(c.get("INSURANCE_BACKOFF", 0.2)),
            backoff_cap=float(c.get("INSURANCE_BACKOFF_CAP", 2.0)),
            public_url=c.get("INSURANCE_PUBLIC_URL")
            or os.environ.get("INSURANCE_PUBLIC_URL")
            or (c.get("INSURANCE_URL", "") if c.get("INSURANCE_GATEWAY") == "http" else ""),
        )

    @property
    def sender(self) -> dict:
        return {
            "fixmedins_code": self.fixmedins_code,
            "fixmedins_name": self.fixmedins_name,
            "mdtrtarea_admvs": self.admdvs,
        }


class NhsaGateway(InsuranceGateway):
    """The gateway in the national interface's vocabulary, over any transport."""

    def __init__(self, transport: Transport, settings: GatewaySettings, new_msgid: Callable[[str], str]):
        self.transport, self.settings, self.new_msgid = transport, settings, new_msgid

    def call(self, infno: str, data: dict, msgid: str | None = None, psn_admdvs: str | None = None) -> dict:
        """Send one message, retrying with the same msgid; its output, or InsurerRefused/Unreachable."""
        msgid = msgid or self.new_msgid(infno)
        envelope = env_.request(infno, msgid, data, self.settings.sender, clock.local_now(), psn_admdvs)
        cause = "no attempt"
        for attempt in range(max(1, self.settings.attempts)):
            if attempt:
                time.sleep(min(self.settings.backoff_cap, self.settings.backoff * 2 ** (attempt - 1)))
            try:
                answer = self.transport.send(envelope, self.settings.timeout)
            except TransportError as err:
                cause = str(err)
                continue
            if answer.get("infcode") != 0:
                raise InsurerRefused(infno, msgid, str(answer.get("err_msg") or "refused"))
            return answer.get("output") or {}
        raise InsurerUnreachable(infno, msgid, cause)

    # --- persons ---

    def verify_voucher(self, token: str, certno: str | None = None, msgids: MsgIds = None) -> InsuredPerson:
        person_msgid, filings_msgid = msgids or (None, None)
        data = {"mdtrt_cert_type": "01", "mdtrt_cert_no": token, "psn_cert_type": "01", "certno": certno or ""}
        out = self.call(env_.PERSON_INFO, {"data": data}, msgid=person_msgid)
        base, insu = out["baseinfo"], out["insuinfo"][0]
        filings = self.call(
            env_.CHRONIC_FILINGS,
            {"data": {"psn_no": base["psn_no"]}},
            msgid=filings_msgid,
            psn_admdvs=insu["insuplc_admdvs"],
        )
        return InsuredPerson(
            psn_no=base["psn_no"],
            name=base["psn_name"],
            insutype=insu["insutype"],
            balance_fen=fen(insu["balc"]),
            certno_masked=base.get("certno", ""),
            insuplc_admdvs=insu["insuplc_admdvs"],
            chronic=tuple(
                ChronicFiling(
                    f["opsp_dise_code"],
                    f["opsp_dise_name"],
                    date.fromisoformat(f["begndate"]) if f.get("begndate") else None,
                    date.fromisoformat(f["enddate"]) if f.get("enddate") else None,
                )
                for f in filings.get("feedetail", [])
            ),
        )

    # --- pre-settlement and settlement ---

    def _bill(self, claim: Claim, person: InsuredPerson | None, med_type: str) -> dict:
        data = {
            "psn_no": person.psn_no if person else "",
            "mdtrt_cert_type": "01" if person else "",
            "mdtrt_cert_no": claim.voucher_token or "",
            "certno": claim.certno or "",
            "med_type": med_type if person else MED_TYPE_OUTPATIENT,
            "medfee_sumamt": yuan(claim.medfee_sumamt),
            "psn_setlway": "01",
            "chrg_bchno": claim.med_org_ord,
            "insutype": person.insutype if person else "",
            "acct_used_flag": "1" if claim.acct_used_flag else "0",
            "medOrgOrd": claim.med_org_ord,
            "dise_codg": claim.dise_codg or "",
            "dise_name": claim.dise_name or "",
            "exp_content": {"setlType": "HI" if person else "CASH"},
        }
        feedetail = [
            {
                "feedetl_sn": f"{claim.med_org_ord}-{i + 1}",
                "med_list_codg": line.code,
                "medins_list_name": line.name,
                "chrgitm_lv": line.drug_class,
                "cnt": line.quantity,
                "pric": yuan(line.unit_price_fen),
                "det_item_fee_sumamt": yuan(line.total_fen),
            }
            for i, line in enumerate(claim.lines)
        ]
        return {"data": data, "feedetail": feedetail}

    def _split(self, claim: Claim, out: dict) -> Split:
        info = out["setlinfo"]
        lines = tuple(
            SplitLine(
                code=row["med_list_codg"],
                name=claim.lines[i].name if i < len(claim.lines) else row["med_list_codg"],
                drug_class=row["chrgitm_lv"],
                total_fen=fen(row["det_item_fee_sumamt"]),
                preselfpay_amt=fen(row["preselfpay_amt"]),
                fulamt_ownpay_amt=fen(row["fulamt_ownpay_amt"]),
                inscp_scp_amt=fen(row["inscp_scp_amt"]),
            )
            for i, row in enumerate(out.get("feedetail", []))
        )
        return split_from_setlinfo(info, lines)

    def presettle(self, claim: Claim, person: InsuredPerson | None, med_type: str) -> Split:
        admdvs = person.insuplc_admdvs if person else None
        return self._split(claim, self.call(env_.PRESETTLE, self._bill(claim, person, med_type), psn_admdvs=admdvs))

    def settle(self, claim: Claim, person: InsuredPerson | None, med_type: str, msgid: str) -> Split:
        admdvs = person.insuplc_admdvs if person else None
        out = self.call(env_.SETTLE, self._bill(claim, person, med_type), msgid=msgid, psn_admdvs=admdvs)
        return self._split(claim, out)

    def reverse(self, settled: Split, msgid: str) -> Reversal:
        data = {"psn_no": settled.psn_no or "", "mdtrt_id": settled.mdtrt_id or "", "setl_id": settled.setl_id}
        info = self.call(env_.REVERSE, {"data": data}, msgid=msgid)["setlinfo"]
        at = datetime.fromisoformat(info["revs_time"]) if info.get("revs_time") else None
        return Reversal(revs_setl_id=info["setl_id"], setl_id=settled.setl_id, reversed_at=at)

    # --- query and correction ---

    def query(self, med_org_ord: str) -> list[InsurerOrder]:
        data = {"medOrgOrd": med_org_ord, "orgCodg": self.settings.fixmedins_code}
        out = self.call(env_.ORDER_QUERY, {"data": data})
        return [
            InsurerOrder(
                med_org_ord=o["medOrgOrd"],
                ord_stas=o["ordStas"],
                setl_id=o["setlinfo"].get("setl_id"),
                msgid=o.get("msgid"),
                split=split_from_setlinfo(o["setlinfo"], ()),
            )
            for o in out.get("ordinfo", [])
        ]

    def correct(self, omsgid: str, oinfno: str, psn_no: str | None) -> str:
        data = {"psn_no": psn_no or "", "omsgid": omsgid, "oinfno": oinfno}
        return self.call(env_.CORRECT, {"data": data}).get("result", "")

    # --- reconciliation ---

    def statement(self, first: date, last: date, ours: Totals) -> Statement:
        data = {
            "insutype": "",
            "clr_type": "11",
            "setl_optins": self.settings.admdvs,
            "stmt_begndate": first.isoformat(),
            "stmt_enddate": last.isoformat(),
            "medfee_sumamt": yuan(ours.medfee_sumamt),
            "fund_pay_sumamt": yuan(ours.fund_pay_sumamt),
            "acct_pay": yuan(ours.acct_pay),
            "cash_payamt": yuan(ours.psn_cash_pay),
            "fixmedins_setl_cnt": ours.count,
        }
        out = self.call(env_.STATEMENT_TOTALS, {"data": data})
        theirs = out.get("insurer_totals", {})
        return Statement(
            balanced=out["stmtinfo"]["stmt_rslt"] == "0",
            description=out["stmtinfo"].get("stmt_rslt_dscr", ""),
            theirs=Totals(
                medfee_sumamt=fen(theirs.get("medfee_sumamt", "0")),
                fund_pay_sumamt=fen(theirs.get("fund_pay_sumamt", "0")),
                acct_pay=fen(theirs.get("acct_pay", "0")),
                psn_cash_pay=fen(theirs.get("cash_payamt", "0")),
                count=int(theirs.get("fixmedins_setl_cnt", 0)),
            ),
        )

    def ledger_for_day(self, day: date) -> list[LedgerRow]:
        data = {"stmt_begndate": day.isoformat(), "stmt_enddate": day.isoformat(), "file_qury_no": ""}
        out = self.call(env_.STATEMENT_DETAIL, {"data": data})
        return [
            LedgerRow(
                setl_id=r["setl_id"],
                med_org_ord=r["medOrgOrd"],
                psn_no=r.get("psn_no") or None,
                refd_setl_flag=r["refd_setl_flag"],
                medfee_sumamt=fen(r["medfee_sumamt"]),
                fund_pay_sumamt=fen(r["fund_pay_sumamt"]),
                acct_pay=fen(r["acct_pay"]),
                psn_cash_pay=fen(r["cash_payamt"]),
                status=r.get("ord_stas", ""),
            )
            for r in out.get("stmtdetail", [])
        ]

    # --- demo and test control (the mock only) ---

    def issue_voucher(self, certno: str, psn_name: str | None = None) -> Voucher:
        out = self.call(env_.MOCK_ISSUE_VOUCHER, {"data": {"certno": certno, "psn_name": psn_name}})
        return Voucher(out["ecToken"], datetime.fromisoformat(out["expires_at"]), out["psn_name"])

    def enroll(self, person: dict) -> str:
        return self.call(env_.MOCK_ENROLL, {"data": person})["psn_no"]

    def faults(self, values: dict | None = None, replace: bool = False) -> dict:
        return self.call(env_.MOCK_FAULTS, {"data": values or {}, "replace": replace})["faults"]

    def authorisation_url(self, request: AuthorisationRequest) -> str:
        data = {
            "certno": request.certno,
            "psn_name": request.psn_name,
            "amount": yuan(request.amount_fen),
            "org_name": self.settings.fixmedins_name,
            "return_url": request.return_url,
            "state": request.state,
            "lang": request.lang,
        }
        path = self.call(env_.MOCK_AUTHORISATION, {"data": data})["authorize_path"]
        return self.settings.public_url.rstrip("/") + path


class MobilePayGateway(NhsaGateway):
    """The same gateway paying through the mobile channel: 6201 upload + 6202 pay, 6203 refund.

    Person look-up, pre-settlement, query, correction and reconciliation are the national ones.
    The 6202 carries the settlement's msgid (repeated on retries); the upload before it is a
    fresh message each time and charges nothing.
    """

    def settle(self, claim: Claim, person: InsuredPerson | None, med_type: str, msgid: str) -> Split:
        admdvs = person.insuplc_admdvs if person else None
        bill = self._bill(claim, person, med_type)
        data = bill["data"]
        upload = {
            "payAuthNo": claim.voucher_token or "",
            "orgCodg": self.settings.fixmedins_code,
            "psnNo": data["psn_no"],
            "idNo": data["certno"],
            "insutype": data["insutype"],
            "medOrgOrd": claim.med_org_ord,
            "chrgBchno": claim.med_org_ord,
            "medType": data["med_type"],
            "medfeeSumamt": data["medfee_sumamt"],
            "acctUsedFlag": data["acct_used_flag"],
            "diseCodg": data["dise_codg"],
            "setlType": "HI" if person else "CASH",
            "feedetailList": bill["feedetail"],
        }
        order = self.call(env_.FEE_UPLOAD, {"data": upload}, psn_admdvs=admdvs)
        pay = {
            "payAuthNo": claim.voucher_token or "",
            "payOrdId": order["payOrdId"],
            "payToken": order["payToken"],
            "orgCodg": self.settings.fixmedins_code,
            "chrgBchno": claim.med_org_ord,
            "acctUsedFlag": data["acct_used_flag"],
        }
        out = self.call(env_.PAY_ORDER, {"data": pay}, msgid=msgid, psn_admdvs=admdvs)
        return self._split(claim, out["extData"])

    def reverse(self, settled: Split, msgid: str) -> Reversal:
        data = {
            "payOrdId": settled.mdtrt_id or "",
            "appRefdSn": msgid,
            # From the msgid's own time, so that a resend carries exactly the same content.
            "appRefdTime": datetime.strptime(msgid[12:26], "%Y%m%d%H%M%S").strftime("%Y-%m-%d %H:%M:%S"),
            "totlRefdAmt": yuan(settled.medfee_sumamt),
            "cashRefdAmt": yuan(settled.psn_cash_pay),
            "psnAcctRefdAmt": yuan(settled.acct_pay),
            "fundRefdAmt": yuan(settled.fund_pay_sumamt),
            "refdType": "ALL",
        }
        ext = self.call(env_.REFUND, {"data": data}, msgid=msgid)["extData"]
        at = datetime.fromisoformat(ext["revs_time"]) if ext.get("revs_time") else None
        return Reversal(revs_setl_id=ext["revs_setl_id"], setl_id=settled.setl_id or "", reversed_at=at)


def split_from_setlinfo(info: dict, lines: tuple[SplitLine, ...]) -> Split:
    """A Split from a setlinfo node (2206/2207 output, or a 6301 order)."""
    setl_time = info.get("setl_time")
    return Split(
        medfee_sumamt=fen(info["medfee_sumamt"]),
        fund_pay_sumamt=fen(info["fund_pay_sumamt"]),
        hifp_pay=fen(info["hifp_pay"]),
        acct_pay=fen(info["acct_pay"]),
        psn_cash_pay=fen(info["psn_cash_pay"]),
        preselfpay_amt=fen(info["preselfpay_amt"]),
        fulamt_ownpay_amt=fen(info["fulamt_ownpay_amt"]),
        inscp_scp_amt=fen(info["inscp_scp_amt"]),
        act_pay_dedc=fen(info["act_pay_dedc"]),
        balc=fen(info.get("balc") or "0"),
        med_type=info.get("med_type") or MED_TYPE_OUTPATIENT,
        insutype=info.get("insutype") or None,
        setl_type=info.get("setl_type") or "HI",
        lines=lines,
        setl_id=info.get("setl_id") or None,
        mdtrt_id=info.get("mdtrt_id") or None,
        psn_no=info.get("psn_no") or None,
        setl_time=datetime.fromisoformat(setl_time) if setl_time else None,
    )


# --- the registry ---

GatewayFactory = Callable[[Flask], InsuranceGateway]
_factories: dict[str, GatewayFactory] = {}


def register_gateway(name: str, factory: GatewayFactory) -> None:
    """Make a gateway choosable by INSURANCE_GATEWAY=name."""
    _factories[name] = factory


def get_gateway(app: Flask | None = None) -> InsuranceGateway:
    """The configured gateway of this app (built once per app)."""
    app = app or current_app._get_current_object()
    gateway = app.extensions.get("insurance_gateway")
    if gateway is None:
        name = app.config.get("INSURANCE_GATEWAY", "in-process")
        if name not in _factories:
            raise RuntimeError(f"unknown INSURANCE_GATEWAY {name!r}; known: {sorted(_factories)}")
        gateway = app.extensions["insurance_gateway"] = _factories[name](app)
    return gateway


def reset_gateway(app: Flask | None = None) -> None:
    """Forget the built gateway (after changing its settings)."""
    app = app or current_app._get_current_object()
    app.extensions.pop("insurance_gateway", None)


def in_process_insurer(app: Flask | None = None):
    """The mock insurer living in this app, on the app's own database."""
    app = app or current_app._get_current_object()
    insurer = app.extensions.get("mock_insurer")
    if insurer is None:
        insurer = app.extensions["mock_insurer"] = MockInsurer(
            sessions=lambda: Session(db.engine, expire_on_commit=False),
            secret=app.config.get("MOCK_INSURER_SECRET", DEFAULT_SECRET),
            policy=app.config.get("MOCK_INSURER_POLICY"),
            admdvs=app.config.get("INSURANCE_ADMDVS", "350100"),
            faults=app.config.get("MOCK_INSURER_FAULTS"),
        )
    return insurer


_FLOWS = {"counter": NhsaGateway, "mobile": MobilePayGateway}


def _flow(app: Flask) -> type[NhsaGateway]:
    """INSURANCE_FLOW: "counter" (2207/2208) or "mobile" (6201/6202/6203)."""
    name = app.config.get("INSURANCE_FLOW", "counter")
    if name not in _FLOWS:
        raise RuntimeError(f"unknown INSURANCE_FLOW {name!r}; known: {sorted(_FLOWS)}")
    return _FLOWS[name]


register_gateway(
    "in-process",
    lambda app: _flow(app)(
        InProcessTransport(lambda: in_process_insurer(app)), GatewaySettings.from_app(app), allocate_msgid
    ),
)
register_gateway(
    "http",
    lambda app: _flow(app)(HttpTransport(app.config["INSURANCE_URL"]), GatewaySettings.from_app(app), allocate_msgid),
)
