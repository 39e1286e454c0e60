"""The mock insurer: one handler that answers request envelopes, with its own ledger.

`MockInsurer.handle(envelope) -> envelope` is the whole service; the in-process gateway calls it
directly and the mock's Flask app exposes it over HTTP, so both paths see the same messages.

Every national message is answered once per msgid: the answer is stored with the work in one
transaction under mi_messages' unique msgid, so a repeated (or concurrent) msgid gets the first
answer and is never charged twice. Balances and year counters change by conditional updates on
a version column; a lost race is retried from a fresh read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core import clock
from insurance import envelope as env_
from insurance.envelope import SETTLEMENT_AMOUNTS, fen, yuan
from insurance.mock_insurer import policy as pol
from insurance.mock_insurer import tokens
from insurance.mock_insurer.common import Refusal, StaleRow
from insurance.mock_insurer.faults import FaultSwitch
from insurance.mock_insurer.mobile import MobilePayment
from insurance.mock_insurer.models import (
    MiAccumulator,
    MiChronicFiling,
    MiMessage,
    MiPerson,
    MiSettlement,
    MiUsedVoucher,
)

SessionFactory = Callable[[], Session]
_serial = itertools.count(int(time.time()) % 1_000_000)


def _mask(certno: str) -> str:
    return certno[:4] + "*" * (len(certno) - 8) + certno[-4:]


def _fingerprint(envelope: dict) -> str:
    body = json.dumps([envelope["infno"], envelope["input"]], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def _local_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    tz = clock.local_tz()
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    end = datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)
    return start, end


class MockInsurer(MobilePayment):
    """The insurer's side of the interface, with faults that tests and admins can switch on."""

    def __init__(
        self,
        sessions: SessionFactory,
        secret: str,
        policy: dict | None = None,
        admdvs: str = "350100",
        faults: dict | None = None,
    ):
        self.sessions = sessions
        self.secret = secret.encode()
        self.policy = pol.merged_policy(policy)
        self.admdvs = admdvs
        self.faults = FaultSwitch(faults)
        self._handlers = {
            env_.PERSON_INFO: self._person_info,
            env_.CHRONIC_FILINGS: self._chronic_filings,
            env_.PRESETTLE: self._presettle,
            env_.SETTLE: self._settle,
            env_.REVERSE: self._reverse,
            env_.CORRECT: self._correct,
            env_.ORDER_QUERY: self._order_query,
            env_.STATEMENT_TOTALS: self._statement_totals,
            env_.STATEMENT_DETAIL: self._statement_detail,
            env_.FEE_UPLOAD: self._upload_fees,
            env_.PAY_ORDER: self._pay_order,
            env_.REFUND: self._refund,
        }
        self._control = {
            env_.MOCK_ENROLL: self._enroll,
            env_.MOCK_FAULTS: self._set_faults,
            env_.MOCK_ISSUE_VOUCHER: self._issue_voucher,
        }

    # --- the envelope ---

    def handle(self, envelope: dict) -> dict:
        """Answer one request envelope (may raise SimulatedTimeout after committing a write)."""
        try:
            env_.check_request(envelope)
        except env_.EnvelopeError as err:
            return self._reply(envelope if isinstance(envelope, dict) else {}, -1, None, f"[bad_envelope] {err}")
        infno = envelope["infno"]
        if infno in self._control:
            return self._run_control(envelope)
        if infno not in self._handlers:
            return self._reply(envelope, -1, None, f"[unknown_infno] 不支持的交易 {infno}")
        failure = self.faults.before(infno)
        if failure:
            return self._reply(envelope, -1, None, failure)
        answer = self._answer_once(envelope)
        self.faults.after(infno, answer, infno in env_.WRITE_INFNOS)
        return answer

    def _reply(self, envelope: dict, infcode: int, output: dict | None, err_msg: str = "") -> dict:
        now = clock.local_now()
        refmsgid = f"{self.admdvs}{now.strftime('%Y%m%d%H%M%S')}{next(_serial) % 10**10:010d}"
        return env_.response(envelope, infcode, output, refmsgid, now, err_msg)

    def _run_control(self, envelope: dict) -> dict:
        with self.sessions() as session:
            try:
                return self._reply(envelope, 0, self._control[envelope["infno"]](session, envelope["input"]))
            except Refusal as refusal:
                session.rollback()
                return self._reply(envelope, -1, None, refusal.err_msg)

    def _stored(self, session: Session, msgid: str) -> MiMessage | None:
        return session.scalar(select(MiMessage).filter_by(msgid=msgid))

    def _replay(self, stored: MiMessage, envelope: dict, fingerprint: str) -> dict:
        if stored.fingerprint not in (fingerprint, "corrected"):
            return self._reply(envelope, -1, None, "[msgid_reused] 报文ID已用于另一笔交易")
        return stored.response

    def _answer_once(self, envelope: dict) -> dict:
        """The stored answer for this msgid, or do the work and store its answer with it."""
        msgid, fingerprint = envelope["msgid"], _fingerprint(envelope)
        with self.sessions() as session:
            for attempt in range(40):
                stored = self._stored(session, msgid)
                if stored is not None:
                    return self._replay(stored, envelope, fingerprint)
                try:
                    return self._work_and_store(session, envelope, fingerprint)
                except (StaleRow, IntegrityError, OperationalError) as err:
                    # Lost a race (or the database was busy): start again from fresh reads;
                    # a concurrent twin of this msgid is then found stored above.
                    session.rollback()
                    if isinstance(err, OperationalError) and not _transient(err):
                        raise
                    time.sleep(min(0.005 * (attempt + 1), 0.1))
            raise RuntimeError("the mock insurer could not complete the message")

    def _work_and_store(self, session: Session, envelope: dict, fingerprint: str) -> dict:
        infno = envelope["infno"]
        try:
            answer = self._reply(envelope, 0, self._handlers[infno](session, envelope))
        except Refusal as refusal:
            session.rollback()
            answer = self._reply(envelope, -1, None, refusal.err_msg)
        session.add(
            MiMessage(
                msgid=envelope["msgid"],
                infno=infno,
                fingerprint=fingerprint,
                infcode=answer["infcode"],
                response=answer,
            )
        )
        session.commit()
        return answer

    # --- persons and vouchers ---

    def certno_hash(self, certno: str) -> str:
        return hmac_hex(self.secret, certno.strip().upper())

    def _person_by_psn(self, session: Session, psn_no: str) -> MiPerson:
        person = session.scalar(select(MiPerson).filter_by(psn_no=psn_no))
        if person is None:
            raise Refusal("not_insured", "查无此参保人")
        return person

    def _person_by_voucher(self, session: Session, data: dict) -> tuple[MiPerson, tokens.VoucherClaims]:
        """The person a voucher names, refusing forged, expired, used or someone else's vouchers."""
        try:
            claims = tokens.verify(self.secret, data.get("mdtrt_cert_no", ""), clock.now())
        except tokens.TokenError as err:
            texts = {"expired": "电子凭证已过期，请刷新", "forged": "电子凭证无效", "malformed": "电子凭证无效"}
            raise Refusal(f"voucher_{err.reason}", texts[err.reason]) from None
        person = self._person_by_psn(session, claims.psn_no)
        if session.scalar(select(MiUsedVoucher.id).filter_by(nonce=claims.nonce)) is not None:
            raise Refusal("voucher_used", "电子凭证已使用，请刷新")
        certno = data.get("certno")
        if (certno and self.certno_hash(certno) != person.certno_hash) or (
            data.get("psn_no") and data["psn_no"] != person.psn_no
        ):
            raise Refusal("voucher_not_yours", "电子凭证与就诊人不符")
        return person, claims

    def _person_info(self, session: Session, envelope: dict) -> dict:
        """1101: who the voucher belongs to, and his insurance."""
        data = envelope["input"].get("data", {})
        if data.get("mdtrt_cert_type", "01") != "01":
            raise Refusal("cert_type", "仅支持医保电子凭证")
        person, _claims = self._person_by_voucher(session, data)
        return {
            "baseinfo": {
                "psn_no": person.psn_no,
                "psn_cert_type": "01",
                "certno": person.certno_masked,
                "psn_name": person.psn_name,
                "gend": person.gend or "",
                "brdy": person.brdy.isoformat() if person.brdy else "",
            },
            "insuinfo": [
                {
                    "balc": yuan(person.balc),
                    "insutype": person.insutype,
                    "psn_type": person.psn_type,
                    "psn_insu_stas": person.psn_insu_stas,
                    "insuplc_admdvs": person.insuplc_admdvs,
                }
            ],
        }

    def _chronic_filings(self, session: Session, envelope: dict) -> dict:
        """5301: the person's chronic / special disease filings."""
        person = self._person_by_psn(session, envelope["input"].get("data", {}).get("psn_no", ""))
        rows = session.scalars(select(MiChronicFiling).filter_by(psn_id=person.id).order_by(MiChronicFiling.id))
        return {
            "feedetail": [
                {
                    "opsp_dise_code": f.opsp_dise_code,
                    "opsp_dise_name": f.opsp_dise_name,
                    "begndate": f.begndate.isoformat() if f.begndate else "",
                    "enddate": f.enddate.isoformat() if f.enddate else "",
                }
                for f in rows
            ]
        }

    # --- pre-settlement and settlement ---

    def _bill(self, envelope: dict) -> tuple[dict, list[pol.LineIn], list[dict]]:
        """The 2206/2207 input checked: lines add up to medfee_sumamt."""
        inp = envelope["input"]
        data, feedetail = inp.get("data", {}), inp.get("feedetail", [])
        if not feedetail:
            raise Refusal("empty_bill", "费用明细为空")
        lines = []
        for row in feedetail:
            total = fen(row["det_item_fee_sumamt"])
            if fen(row["pric"]) * int(row["cnt"]) != total or row.get("chrgitm_lv") not in ("01", "02", "03"):
                raise Refusal("bad_fee_line", f"费用明细 {row.get('feedetl_sn')} 金额或等级有误")
            lines.append(pol.LineIn(str(row["med_list_codg"]), row["chrgitm_lv"], total))
        if sum(line.total for line in lines) != fen(data.get("medfee_sumamt", "0")):
            raise Refusal("bad_total", "明细合计与医疗费总额不符")
        if not data.get("medOrgOrd"):
            raise Refusal("no_order", "缺少医疗机构订单号")
        return data, lines, feedetail

    def _accumulator(self, session: Session, person: MiPerson, med_type: str, year: int) -> MiAccumulator | None:
        return session.scalar(select(MiAccumulator).filter_by(psn_id=person.id, year=year, med_type=med_type))

    def _calculate(self, session: Session, envelope: dict):
        """The split for a bill, and what it was computed from."""
        data, lines, feedetail = self._bill(envelope)
        setl_type = (data.get("exp_content") or {}).get("setlType", "HI")
        if setl_type == "CASH":
            return data, feedetail, None, None, None, pol.cash_only(lines), setl_type
        person, claims = self._person_by_voucher(session, data)
        med_type = data.get("med_type", "11")
        if data.get("insutype", person.insutype) != person.insutype:
            raise Refusal("insutype", "险种类型与参保信息不符")
        if med_type not in ("11", "14"):
            raise Refusal("med_type", f"不支持的医疗类别 {med_type}")
        if med_type == "14" and not self._filed(session, person, data.get("dise_codg", "")):
            raise Refusal("not_filed", "该病种未办理门诊慢特病备案")
        acc = self._accumulator(session, person, med_type, clock.local_now().year)
        year = pol.YearSoFar(acc.deductible_used if acc else 0, acc.fund_paid if acc else 0, person.balc)
        terms = pol.terms_for(self.policy, person.insutype, med_type)
        result = pol.split(lines, terms, year, use_account=str(data.get("acct_used_flag", "1")) == "1")
        return data, feedetail, person, claims, acc, result, setl_type

    def _filed(self, session: Session, person: MiPerson, dise_codg: str) -> bool:
        today = clock.today()
        for filing in session.scalars(select(MiChronicFiling).filter_by(psn_id=person.id)):
            in_force = (filing.begndate is None or filing.begndate <= today) and (
                filing.enddate is None or today <= filing.enddate
            )
            if in_force and dise_codg.upper().startswith(filing.opsp_dise_code.upper()):
                return True
        return False

    def _setlinfo(self, result: pol.SplitResult, data: dict, person: MiPerson | None, setl_type: str) -> dict:
        return {
            "psn_no": person.psn_no if person else "",
            "insutype": person.insutype if person else "",
            "med_type": data.get("med_type", "11") if person else "11",
            "setl_type": setl_type,
            "medfee_sumamt": yuan(result.medfee_sumamt),
            "fulamt_ownpay_amt": yuan(result.fulamt_ownpay_amt),
            "overlmt_selfpay": yuan(0),
            "preselfpay_amt": yuan(result.preselfpay_amt),
            "inscp_scp_amt": yuan(result.inscp_scp_amt),
            "act_pay_dedc": yuan(result.act_pay_dedc),
            "hifp_pay": yuan(result.hifp_pay),
            "cvlserv_pay": yuan(0),
            "hifmi_pay": yuan(0),
            "hifob_pay": yuan(0),
            "maf_pay": yuan(0),
            "oth_pay": yuan(0),
            "fund_pay_sumamt": yuan(result.fund_pay_sumamt),
            "psn_part_amt": yuan(result.psn_part_amt),
            "acct_pay": yuan(result.acct_pay),
            "acct_mulaid_pay": yuan(0),
            "psn_cash_pay": yuan(result.psn_cash_pay),
            "hosp_part_amt": yuan(0),
            "balc": yuan(result.balc),
            "medOrgOrd": data.get("medOrgOrd", ""),
        }

    def _split_output(self, result: pol.SplitResult, data: dict, person, setl_type: str, feedetail) -> dict:
        sn = {row["med_list_codg"]: row.get("feedetl_sn", "") for row in feedetail}
        return {
            "setlinfo": self._setlinfo(result, data, person, setl_type),
            "setldetail": [{"fund_pay_type": "310100", "fund_payamt": yuan(result.hifp_pay)}]
            if result.hifp_pay
            else [],
            "feedetail": [
                {
                    "feedetl_sn": sn.get(line.code, ""),
                    "med_list_codg": line.code,
                    "chrgitm_lv": line.drug_class,
                    "det_item_fee_sumamt": yuan(line.total),
                    "selfpay_prop": line.selfpay_prop,
                    "preselfpay_amt": yuan(line.preselfpay_amt),
                    "fulamt_ownpay_amt": yuan(line.fulamt_ownpay_amt),
                    "inscp_scp_amt": yuan(line.inscp_scp_amt),
                    "overlmt_amt": yuan(0),
                    "pric_uplmt_amt": "",
                }
                for line in result.lines
            ],
        }

    def _presettle(self, session: Session, envelope: dict) -> dict:
        """2206: the split, nothing charged."""
        data, feedetail, person, _claims, _acc, result, setl_type = self._calculate(session, envelope)
        return self._split_output(result, data, person, setl_type, feedetail)

    def _settle(self, session: Session, envelope: dict, mdtrt_id: str | None = None) -> dict:
        """2207: charge the split; the voucher is spent and the order holds one active settlement."""
        data, feedetail, person, claims, acc, result, setl_type = self._calculate(session, envelope)
        fixmedins, order = envelope["fixmedins_code"], data["medOrgOrd"]
        if session.scalar(select(MiSettlement.setl_id).filter_by(fixmedins_code=fixmedins, active_ord=order)):
            raise Refusal("order_already_settled", "该订单已结算")
        now = clock.now()
        setl_id = self._new_id("S")
        row = MiSettlement(
            setl_id=setl_id,
            mdtrt_id=mdtrt_id or self._new_id("M"),
            msgid=envelope["msgid"],
            fixmedins_code=fixmedins,
            med_org_ord=order,
            active_ord=order,
            psn_id=person.id if person else None,
            psn_no=person.psn_no if person else None,
            setl_type=setl_type,
            insutype=person.insutype if person else None,
            med_type=data.get("med_type", "11") if person else "11",
            voucher_nonce=claims.nonce if claims else None,
            setl_time=now,
            lines=[dataclasses.asdict(line) for line in result.lines],
            **{k: getattr(result, k) for k in SETTLEMENT_AMOUNTS},
        )
        session.add(row)
        if person is not None:
            session.add(MiUsedVoucher(nonce=claims.nonce, psn_id=person.id, msgid=envelope["msgid"], used_at=now))
            self._charge(session, person, acc, row, sign=1)
        session.flush()
        output = self._split_output(result, data, person, setl_type, feedetail)
        output["setlinfo"].update(setl_id=setl_id, mdtrt_id=row.mdtrt_id, setl_time=clock.to_local(now).isoformat())
        return output

    def _charge(
        self, session: Session, person: MiPerson, acc: MiAccumulator | None, row: MiSettlement, sign: int
    ) -> None:
        """Move the account and the year counters by one settlement (sign -1 undoes it)."""
        year = clock.to_local(row.setl_time).year
        if acc is None:
            acc = self._accumulator(session, person, row.med_type, year)
        if acc is None:
            acc = MiAccumulator(psn_id=person.id, year=year, med_type=row.med_type, version=0)
            session.add(acc)
            session.flush()  # a concurrent first settlement makes this fail: the caller retries
        changed = session.execute(
            update(MiAccumulator)
            .where(MiAccumulator.id == acc.id, MiAccumulator.version == acc.version)
            .values(
                medfee=MiAccumulator.medfee + sign * row.medfee_sumamt,
                deductible_used=MiAccumulator.deductible_used + sign * row.act_pay_dedc,
                fund_paid=MiAccumulator.fund_paid + sign * row.hifp_pay,
                version=MiAccumulator.version + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        balance = session.execute(
            update(MiPerson)
            .where(
                MiPerson.id == person.id, MiPerson.version == person.version, MiPerson.balc - sign * row.acct_pay >= 0
            )
            .values(balc=MiPerson.balc - sign * row.acct_pay, version=MiPerson.version + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1 or balance != 1:
            raise StaleRow()

    def _new_id(self, kind: str) -> str:
        return f"{self.admdvs}{kind}{clock.local_now().strftime('%Y%m%d')}{secrets.randbelow(10**12):012d}"

    # --- reversal, correction, query ---

    def _undo(self, session: Session, row: MiSettlement, ord_stas: str, msgid: str) -> None:
        """Reverse a standing settlement: status, account, counters, and free the order."""
        changed = session.execute(
            update(MiSettlement)
            .where(MiSettlement.id == row.id, MiSettlement.version == row.version, MiSettlement.ord_stas == "6")
            .values(
                ord_stas=ord_stas,
                active_ord=None,
                revs_time=clock.now(),
                revs_msgid=msgid,
                revs_setl_id=self._new_id("R"),
                version=MiSettlement.version + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise StaleRow()
        if row.psn_id is not None:
            self._charge(session, session.get(MiPerson, row.psn_id), None, row, sign=-1)

    def _reverse(self, session: Session, envelope: dict) -> dict:
        """2208: refund a settlement whole (fund, account and cash)."""
        data = envelope["input"].get("data", {})
        row = session.scalar(
            select(MiSettlement).filter_by(setl_id=data.get("setl_id", ""), fixmedins_code=envelope["fixmedins_code"])
        )
        if row is None:
            raise Refusal("no_such_settlement", "查无此结算记录")
        if row.ord_stas != "6":
            raise Refusal("already_reversed", "该结算已撤销")
        self._undo(session, row, "7", envelope["msgid"])
        session.flush()
        session.refresh(row)
        return {
            "setlinfo": {
                "setl_id": row.revs_setl_id,
                "mdtrt_id": row.mdtrt_id,
                "psn_no": row.psn_no or "",
                "medfee_sumamt": yuan(row.medfee_sumamt),
                "fund_pay_sumamt": yuan(row.fund_pay_sumamt),
                "hifp_pay": yuan(row.hifp_pay),
                "acct_pay": yuan(row.acct_pay),
                "psn_cash_pay": yuan(row.psn_cash_pay),
                "medOrgOrd": row.med_org_ord,
                "revs_time": clock.to_local(row.revs_time).isoformat(),
            }
        }

    def _correct(self, session: Session, envelope: dict) -> dict:
        """2601: undo a message whose answer was lost; one that never arrived is barred for good."""
        data = envelope["input"].get("data", {})
        omsgid, oinfno = data.get("omsgid", ""), data.get("oinfno", "")
        if not env_.valid_msgid(omsgid):
            raise Refusal("bad_omsgid", "原报文ID有误")
        original = self._stored(session, omsgid)
        if original is None:
            # The lost message never arrived (or is still on its way): answer it now with a
            # refusal, so that if it arrives later it cannot charge.
            barred = self._reply({"msgid": omsgid}, -1, None, "[corrected] 该交易已冲正")
            session.add(
                MiMessage(msgid=omsgid, infno=oinfno or "0000", fingerprint="corrected", infcode=-1, response=barred)
            )
            session.flush()
            return {"omsgid": omsgid, "result": "barred"}
        if original.infcode != 0:
            return {"omsgid": omsgid, "result": "nothing_to_correct"}
        if original.infno not in (env_.SETTLE, env_.PAY_ORDER):
            raise Refusal("not_correctable", f"模拟中心仅支持冲正 2207/6202，原交易为 {original.infno}")
        row = session.scalar(select(MiSettlement).filter_by(msgid=omsgid))
        if row is not None and row.ord_stas == "6":
            self._undo(session, row, "13", envelope["msgid"])
        return {"omsgid": omsgid, "result": "corrected"}

    def _order_query(self, session: Session, envelope: dict) -> dict:
        """6301: an order by payOrdId, or every settlement of the hospital's order number (medOrgOrd)."""
        data = envelope["input"].get("data", {})
        query = select(MiSettlement).filter_by(fixmedins_code=data.get("orgCodg") or envelope["fixmedins_code"])
        if data.get("payOrdId"):
            query = query.filter_by(mdtrt_id=data["payOrdId"])
        else:
            query = query.filter_by(med_org_ord=data.get("medOrgOrd", ""))
        rows = session.scalars(query.order_by(MiSettlement.id))
        return {"medOrgOrd": data.get("medOrgOrd", ""), "ordinfo": [self._order_info(row) for row in rows]}

    def _order_info(self, row: MiSettlement) -> dict:
        return {
            "ordStas": row.ord_stas,
            "setlType": "CASH" if row.setl_type == "CASH" else "ALL",
            "feeSumamt": yuan(row.medfee_sumamt),
            "fundPay": yuan(row.fund_pay_sumamt),
            "psnAcctPay": yuan(row.acct_pay),
            "ownPayAmt": yuan(row.psn_cash_pay),
            "medOrgOrd": row.med_org_ord,
            "traceTime": clock.to_local(row.setl_time).isoformat(),
            "payOrdId": row.mdtrt_id,
            "msgid": row.msgid,
            "setlinfo": {
                **{k: yuan(getattr(row, k)) for k in SETTLEMENT_AMOUNTS},
                "setl_id": row.setl_id,
                "mdtrt_id": row.mdtrt_id,
                "psn_no": row.psn_no or "",
                "insutype": row.insutype or "",
                "med_type": row.med_type,
                "setl_type": row.setl_type,
                "setl_time": clock.to_local(row.setl_time).isoformat(),
            },
        }

    # --- reconciliation ---

    def ledger_rows(self, session: Session, fixmedins: str, first: date, last: date) -> list[dict]:
        """Settlements made and reversals done in these local days (corrections net to nothing)."""
        start, end = _local_day_bounds(first, last)
        rows = []
        query = select(MiSettlement).filter_by(fixmedins_code=fixmedins).order_by(MiSettlement.id)
        for row in session.scalars(query.where(MiSettlement.ord_stas != "13")):
            base = {
                "setl_id": row.setl_id,
                "mdtrt_id": row.mdtrt_id,
                "psn_no": row.psn_no or "",
                "medOrgOrd": row.med_org_ord,
                "medfee_sumamt": yuan(row.medfee_sumamt),
                "fund_pay_sumamt": yuan(row.fund_pay_sumamt),
                "acct_pay": yuan(row.acct_pay),
                "cash_payamt": yuan(row.psn_cash_pay),
                "ord_stas": row.ord_stas,
            }
            if start <= row.setl_time < end:
                rows.append({**base, "refd_setl_flag": "0"})
            if row.revs_time is not None and start <= row.revs_time < end:
                rows.append({**base, "setl_id": row.revs_setl_id, "refd_setl_flag": "1", "osetl_id": row.setl_id})
        return rows

    def _period(self, data: dict) -> tuple[date, date]:
        try:
            return date.fromisoformat(data["stmt_begndate"]), date.fromisoformat(data["stmt_enddate"])
        except (KeyError, ValueError):
            raise Refusal("bad_period", "对账日期有误") from None

    def _statement_totals(self, session: Session, envelope: dict) -> dict:
        """3201: compare the hospital's totals with ours for the period."""
        data = envelope["input"].get("data", {})
        rows = self.ledger_rows(session, envelope["fixmedins_code"], *self._period(data))
        sign = {"0": 1, "1": -1}
        ours = {
            "medfee_sumamt": sum(sign[r["refd_setl_flag"]] * fen(r["medfee_sumamt"]) for r in rows),
            "fund_pay_sumamt": sum(sign[r["refd_setl_flag"]] * fen(r["fund_pay_sumamt"]) for r in rows),
            "acct_pay": sum(sign[r["refd_setl_flag"]] * fen(r["acct_pay"]) for r in rows),
            "cash_payamt": sum(sign[r["refd_setl_flag"]] * fen(r["cash_payamt"]) for r in rows),
        }
        differs = [k for k, v in ours.items() if fen(data.get(k, "0")) != v]
        if int(data.get("fixmedins_setl_cnt", -1)) != len(rows):
            differs.append("fixmedins_setl_cnt")
        return {
            "stmtinfo": {
                "setl_optins": data.get("setl_optins", self.admdvs),
                "stmt_rslt": "1" if differs else "0",
                "stmt_rslt_dscr": ("不平: " + ", ".join(differs)) if differs else "平",
            },
            "insurer_totals": {**{k: yuan(v) for k, v in ours.items()}, "fixmedins_setl_cnt": len(rows)},
        }

    def _statement_detail(self, session: Session, envelope: dict) -> dict:
        """3202: the detail rows (the real interface exchanges them as files via 9101/9102)."""
        data = envelope["input"].get("data", {})
        rows = self.ledger_rows(session, envelope["fixmedins_code"], *self._period(data))
        return {
            "fileinfo": {"file_qury_no": "inline", "filename": f"{data.get('stmt_begndate')}.json"},
            "stmtdetail": rows,
        }

    # --- control plane (not national: what the phone app and the test harness do) ---

    def _enroll(self, session: Session, inp: dict) -> dict:
        """M001: insure a person (idempotent by resident ID); `reset` rewrites balance and year."""
        data = inp.get("data", {})
        certno = str(data["certno"]).strip().upper()
        digest = self.certno_hash(certno)
        person = session.scalar(select(MiPerson).filter_by(certno_hash=digest))
        fresh = person is None
        if fresh:
            psn_no = f"{self.admdvs[:2]}{int(digest[:20], 16) % 10**18:018d}"
            person = MiPerson(
                psn_no=psn_no,
                certno_hash=digest,
                certno_masked=_mask(certno),
                balc=0,
                version=0,
                insuplc_admdvs=data.get("insuplc_admdvs", self.admdvs),
            )
            session.add(person)
        person.psn_name = data["psn_name"]
        person.insutype = data.get("insutype", "310")
        person.gend = data.get("gend")
        person.brdy = date.fromisoformat(data["brdy"]) if data.get("brdy") else None
        if fresh or data.get("reset"):
            person.balc = fen(data.get("balc", "0"))
            person.version = (person.version or 0) + 1
        session.flush()
        if "chronic" in data:
            self._set_filings(session, person, data["chronic"])
        if data.get("reset"):
            self._set_year(session, person, data.get("ytd", {}))
        session.commit()
        return {"psn_no": person.psn_no, "created": fresh}

    def _set_filings(self, session: Session, person: MiPerson, filings: list[dict]) -> None:
        for old in session.scalars(select(MiChronicFiling).filter_by(psn_id=person.id)):
            session.delete(old)
        session.flush()
        for f in filings:
            session.add(
                MiChronicFiling(
                    psn_id=person.id,
                    opsp_dise_code=f["code"],
                    opsp_dise_name=f.get("name", f["code"]),
                    begndate=date.fromisoformat(f["begndate"]) if f.get("begndate") else None,
                    enddate=date.fromisoformat(f["enddate"]) if f.get("enddate") else None,
                )
            )

    def _set_year(self, session: Session, person: MiPerson, ytd: dict) -> None:
        """Set this year's counters, e.g. {"11": {"deductible_used": "800.00", "fund_paid": "0"}}."""
        year = clock.local_now().year
        for old in session.scalars(select(MiAccumulator).filter_by(psn_id=person.id, year=year)):
            session.delete(old)
        session.flush()
        for med_type, values in ytd.items():
            session.add(
                MiAccumulator(
                    psn_id=person.id,
                    year=year,
                    med_type=med_type,
                    version=0,
                    medfee=0,
                    deductible_used=fen(values.get("deductible_used", "0")),
                    fund_paid=fen(values.get("fund_paid", "0")),
                )
            )

    def _set_faults(self, _session: Session, inp: dict) -> dict:
        """M002: change the faults (an empty `data` just reads them)."""
        data = inp.get("data", {})
        return {
            "faults": self.faults.update(data, replace=bool(inp.get("replace")))
            if data or inp.get("replace")
            else self.faults.current()
        }

    def _issue_voucher(self, session: Session, inp: dict) -> dict:
        """M004: what the patient's phone app shows: a fresh, signed, short-lived voucher."""
        certno = str(inp.get("data", {}).get("certno", ""))
        person = session.scalar(select(MiPerson).filter_by(certno_hash=self.certno_hash(certno)))
        if person is None:
            raise Refusal("not_insured", "未查询到参保信息")
        ttl = int(self.policy["voucher_ttl_seconds"])
        now = clock.now()
        return {
            "ecToken": tokens.issue(self.secret, person.psn_no, now, ttl),
            "expires_at": (now + timedelta(seconds=ttl)).isoformat(),
            "psn_name": person.psn_name,
        }

    # --- inspection (tests and the mock's own pages) ---

    def settlements_for(self, med_org_ord: str) -> list[MiSettlement]:
        with self.sessions() as session:
            return list(session.scalars(select(MiSettlement).filter_by(med_org_ord=med_org_ord)))

    def balance_of(self, psn_no: str) -> int:
        with self.sessions() as session:
            return session.scalar(select(MiPerson.balc).filter_by(psn_no=psn_no))


def hmac_hex(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def _transient(err: OperationalError) -> bool:
    """A busy database or a lost serialisation race, worth another try."""
    text = str(err.orig).lower()
    return any(word in text for word in ("locked", "busy", "could not serialize", "deadlock"))
