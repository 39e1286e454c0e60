"""Pre-settlement (2206) and settlement (2207): the bill checked, the split computed by the policy,
and a settlement charged to the person's account and year counters exactly once."""

from __future__ import annotations

import dataclasses
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import clock
from insurance.envelope import SETTLEMENT_AMOUNTS, fen, yuan
from insurance.mock_insurer import policy as pol
from insurance.mock_insurer.common import Refusal, StaleRow
from insurance.mock_insurer.models import MiAccumulator, MiChronicFiling, MiPerson, MiSettlement, MiUsedVoucher


class Settling:
    """Mixed into MockInsurer: the split and the charge."""

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
