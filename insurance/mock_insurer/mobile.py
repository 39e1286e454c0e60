"""The mobile-payment channel (医保移动支付) of the mock insurer: 6201 upload, 6202 pay, 6203 refund.

How internet hospitals take payment on the patient's phone: the bill is uploaded (6201) and
comes back as `payOrdId` + `payToken`; paying the order (6202) charges it; 6301 queries it and
6203 refunds it. `payAuthNo` is the patient's authorisation; here it is the e-voucher token.
The mock keeps no separate table for uploaded orders: the payToken is the uploaded bill, sealed
under the insurer's key, and the paid order's payOrdId is kept as the settlement's mdtrt_id.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from insurance.envelope import fen, yuan
from insurance.mock_insurer import tokens
from insurance.mock_insurer.common import Refusal
from insurance.mock_insurer.models import MiSettlement


def _as_counter_bill(data: dict) -> dict:
    """The 6201 fields in the 2206/2207 vocabulary, so one calculation serves both channels."""
    return {
        "data": {
            "psn_no": data.get("psnNo", ""),
            "mdtrt_cert_type": "01" if data.get("payAuthNo") else "",
            "mdtrt_cert_no": data.get("payAuthNo", ""),
            "certno": data.get("idNo", ""),
            "med_type": data.get("medType", "11"),
            "medfee_sumamt": data.get("medfeeSumamt", "0"),
            "insutype": data.get("insutype", ""),
            "acct_used_flag": data.get("acctUsedFlag", "1"),
            "medOrgOrd": data.get("medOrgOrd", ""),
            "chrg_bchno": data.get("chrgBchno", ""),
            "dise_codg": data.get("diseCodg", ""),
            "exp_content": {"setlType": "CASH" if data.get("setlType") == "CASH" else "HI"},
        },
        "feedetail": data.get("feedetailList", []),
    }


class MobilePayment:
    """Mixed into MockInsurer: the 62xx transactions, on the same calculation and ledger."""

    def _upload_fees(self, session: Session, envelope: dict) -> dict:
        """6201: check the bill and the authorisation; answer payOrdId and the sealed payToken."""
        bill = _as_counter_bill(envelope["input"].get("data", {}))
        preview = self._presettle(session, {**envelope, "input": bill})
        pay_ord_id = f"PO{envelope['msgid']}"
        sealed = tokens.seal(self.secret, {"payOrdId": pay_ord_id, "bill": bill})
        return {"payOrdId": pay_ord_id, "payToken": sealed, "extData": {"setlinfo": preview["setlinfo"]}}

    def _pay_order(self, session: Session, envelope: dict) -> dict:
        """6202: pay an uploaded order; the split is charged exactly like 2207."""
        data = envelope["input"].get("data", {})
        try:
            sealed = tokens.unseal(self.secret, data.get("payToken", ""))
        except tokens.TokenError:
            raise Refusal("bad_pay_token", "支付令牌无效") from None
        if sealed["payOrdId"] != data.get("payOrdId") or sealed["bill"]["data"]["mdtrt_cert_no"] != data.get(
            "payAuthNo", ""
        ):
            raise Refusal("bad_pay_token", "支付令牌与订单不符")
        out = self._settle(session, {**envelope, "input": sealed["bill"]}, mdtrt_id=sealed["payOrdId"])
        info = out["setlinfo"]
        return {
            "ordStas": "6",
            "payOrdId": sealed["payOrdId"],
            "medOrgOrd": info["medOrgOrd"],
            "feeSumamt": info["medfee_sumamt"],
            "fundPay": info["fund_pay_sumamt"],
            "psnAcctPay": info["acct_pay"],
            "ownPayAmt": info["psn_cash_pay"],
            "hospPartAmt": yuan(0),
            "extData": {"setlinfo": info, "feedetail": out["feedetail"]},
        }

    def _refund(self, session: Session, envelope: dict) -> dict:
        """6203: refund a paid order whole (refdType ALL); the amounts must be the order's."""
        data = envelope["input"].get("data", {})
        row = session.scalar(
            select(MiSettlement).filter_by(fixmedins_code=envelope["fixmedins_code"], mdtrt_id=data.get("payOrdId", ""))
        )
        if row is None:
            raise Refusal("no_such_settlement", "查无此支付订单")
        if row.ord_stas != "6":
            raise Refusal("already_reversed", "该订单已退款")
        if data.get("refdType", "ALL") != "ALL" or fen(data.get("totlRefdAmt", "0")) != row.medfee_sumamt:
            raise Refusal("partial_refund", "模拟中心仅支持全额退款")
        self._undo(session, row, "7", envelope["msgid"])
        session.flush()
        session.refresh(row)
        return {
            "refStatus": "SUCC",
            "payOrdId": row.mdtrt_id,
            "appRefdSn": data.get("appRefdSn", ""),
            "extData": {
                "revs_setl_id": row.revs_setl_id,
                "setl_id": row.setl_id,
                "revs_time": row.revs_time.isoformat(),
            },
        }
