"""Undoing and finding settlements: reversal (2208), correction after a lost answer (2601), and
the order query (6301)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import clock
from insurance import envelope as env_
from insurance.envelope import SETTLEMENT_AMOUNTS, yuan
from insurance.mock_insurer.common import Refusal, StaleRow
from insurance.mock_insurer.models import MiMessage, MiPerson, MiSettlement


class Reversals:
    """Mixed into MockInsurer: reverse, correct, query."""

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
