"""Reconciliation from the insurer's side: the day's ledger rows, totals (3201) and detail (3202)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from insurance.envelope import fen, yuan
from insurance.mock_insurer.common import Refusal
from insurance.mock_insurer.models import MiSettlement


def local_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    tz = clock.local_tz()
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    end = datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)
    return start, end


class Statements:
    """Mixed into MockInsurer: what the insurer's books say for a period."""

    def ledger_rows(self, session: Session, fixmedins: str, first: date, last: date) -> list[dict]:
        """Settlements made and reversals done in these local days (corrections net to nothing)."""
        start, end = local_day_bounds(first, last)
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
