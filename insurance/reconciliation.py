"""Daily reconciliation: our ledger against the insurer's (3201 totals, 3202 detail).

Both sides list the day's settlements (refd_setl_flag 0) and reversals (1) by setl_id. Every
difference is listed: a row missing on either side, an amount that differs, a status that
differs (e.g. settled here but refunded there), and settlements still unknown here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.extensions import db
from insurance import ledger
from insurance.claims import LedgerRow, Statement, Totals
from insurance.errors import refusal_error, unreachable_error
from insurance.gateway import InsurerRefused, InsurerUnreachable, get_gateway
from insurance.models import Settlement, SettlementStatus

S = SettlementStatus
AMOUNT_FIELDS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "psn_cash_pay")
# Our status of a settlement row as the insurer's ordStas would show it.
_AS_ORD_STAS = {S.SETTLED: "6", S.REVERSING: "6", S.REVERSED: "7"}


@dataclass(frozen=True)
class Difference:
    kind: str  # missing_at_insurer / missing_here / amount_mismatch / status_mismatch / unresolved
    med_org_ord: str
    setl_id: str | None
    refd_setl_flag: str
    field: str | None = None
    ours: str | int | None = None
    theirs: str | int | None = None


@dataclass(frozen=True)
class Reconciliation:
    day: date
    ours: Totals
    theirs: Totals
    statement: Statement
    differences: tuple[Difference, ...]

    @property
    def balanced(self) -> bool:
        return self.statement.balanced and not self.differences


def _in_day(value, start, end) -> bool:
    return value is not None and start <= value < end


def our_rows(day: date) -> tuple[list[LedgerRow], list[Settlement]]:
    """Our settlements and reversals of the day, and the day's settlements still open (unknown)."""
    start, end = ledger.local_day_bounds(day)
    rows, open_rows = [], []
    for s in ledger.settlements_of_day(day):
        amounts = {f: getattr(s, f) for f in AMOUNT_FIELDS}
        common = {"med_org_ord": s.med_org_ord, "psn_no": s.psn_no, "status": s.status, **amounts}
        if s.status in _AS_ORD_STAS and _in_day(s.settled_at, start, end):
            rows.append(LedgerRow(setl_id=s.setl_id, refd_setl_flag="0", **common))
        if s.status == S.REVERSED and _in_day(s.reversed_at, start, end):
            rows.append(LedgerRow(setl_id=s.revs_setl_id, refd_setl_flag="1", **common))
        if s.status in (S.UNKNOWN, S.PENDING) and _in_day(s.created_at, start, end):
            open_rows.append(s)
    return rows, open_rows


def compare(ours: list[LedgerRow], theirs: list[LedgerRow], open_rows: list[Settlement]) -> list[Difference]:
    """Every difference between the two lists of rows."""
    diffs: list[Difference] = []
    their_by_id = {(r.setl_id, r.refd_setl_flag): r for r in theirs}
    for mine in ours:
        other = their_by_id.pop((mine.setl_id, mine.refd_setl_flag), None)
        if other is None:
            diffs.append(Difference("missing_at_insurer", mine.med_org_ord, mine.setl_id, mine.refd_setl_flag))
            continue
        for name in AMOUNT_FIELDS:
            if getattr(mine, name) != getattr(other, name):
                diffs.append(
                    Difference(
                        "amount_mismatch",
                        mine.med_org_ord,
                        mine.setl_id,
                        mine.refd_setl_flag,
                        name,
                        getattr(mine, name),
                        getattr(other, name),
                    )
                )
        if mine.refd_setl_flag == "0" and _AS_ORD_STAS.get(S(mine.status)) != other.status:
            diffs.append(
                Difference("status_mismatch", mine.med_org_ord, mine.setl_id, "0", "status", mine.status, other.status)
            )
    open_by_order = {s.med_org_ord: s for s in open_rows}
    for other in their_by_id.values():
        mine_open = open_by_order.pop(other.med_org_ord, None)
        if mine_open is not None:
            diffs.append(
                Difference(
                    "status_mismatch",
                    other.med_org_ord,
                    other.setl_id,
                    other.refd_setl_flag,
                    "status",
                    mine_open.status,
                    other.status,
                )
            )
        else:
            diffs.append(Difference("missing_here", other.med_org_ord, other.setl_id, other.refd_setl_flag))
    for s in open_by_order.values():
        diffs.append(Difference("unresolved", s.med_org_ord, None, "0", "status", s.status, None))
    return diffs


def reconcile(day: date) -> Reconciliation:
    """Compare the day's ledgers: the insurer's totals verdict (3201) and every detail difference (3202)."""
    mine, open_rows = our_rows(day)
    totals = Totals.of(mine)
    gateway = get_gateway()
    try:
        theirs = gateway.ledger_for_day(day)
        statement = gateway.statement(day, day, totals)
    except InsurerRefused as refusal:
        raise refusal_error(refusal) from None
    except InsurerUnreachable as err:
        raise unreachable_error(err) from None
    finally:
        db.session.commit()  # the message ids reserved above
    return Reconciliation(day, totals, Totals.of(theirs), statement, tuple(compare(mine, theirs, open_rows)))
