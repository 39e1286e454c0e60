"""The hospital's settlement ledger (tables prefixed ins_) and its state machine.

A settlement row is written and committed as `pending` before the insurer is called; it ends
`settled`, `failed` or `unknown` (no answer: resolved later by asking the insurer, never by
charging again); a settled one can be `reversing` and then `reversed`. `active_ord` holds the
order reference while the settlement stands (pending, unknown, settled, reversing), under a
unique constraint: one order, at most one live settlement, decided by the database.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, String, Text, bindparam
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from core import clock, rows
from core.errors import Conflict
from core.extensions import db
from core.types import UTCDateTime
from insurance.mock_insurer import models as _mock_models  # noqa: F401  (mi_ tables, same metadata)


class SettlementStatus(enum.StrEnum):
    PENDING = "pending"
    SETTLED = "settled"
    FAILED = "failed"
    UNKNOWN = "unknown"
    REVERSING = "reversing"
    REVERSED = "reversed"


S = SettlementStatus
TRANSITIONS: dict[S, frozenset[S]] = {
    S.PENDING: frozenset({S.SETTLED, S.FAILED, S.UNKNOWN}),
    S.UNKNOWN: frozenset({S.SETTLED, S.FAILED}),
    S.SETTLED: frozenset({S.REVERSING}),
    S.REVERSING: frozenset({S.REVERSED, S.SETTLED}),  # settled again when the insurer refuses the refund
    S.FAILED: frozenset(),
    S.REVERSED: frozenset(),
}
# While in these states the settlement holds its order (active_ord is set).
LIVE = frozenset({S.PENDING, S.UNKNOWN, S.SETTLED, S.REVERSING})


class Settlement(db.Model):
    """One attempt to settle one order with the insurer (or by self-pay)."""

    __tablename__ = "ins_settlements"

    id: Mapped[int] = mapped_column(primary_key=True)
    med_org_ord: Mapped[str] = mapped_column(String(40), index=True)
    active_ord: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(12), index=True, default=S.PENDING)
    pay_kind: Mapped[str] = mapped_column(String(10))  # insurance / self_pay
    msgid: Mapped[str] = mapped_column(String(30), unique=True)  # the 2207, repeated on every retry
    fingerprint: Mapped[str] = mapped_column(String(32))
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    prescription_id: Mapped[int | None] = mapped_column(Integer)
    psn_no: Mapped[str | None] = mapped_column(String(30))
    insutype: Mapped[str | None] = mapped_column(String(3))
    med_type: Mapped[str] = mapped_column(String(3), default="11")
    dise_codg: Mapped[str | None] = mapped_column(String(20))
    setl_id: Mapped[str | None] = mapped_column(String(30), unique=True)
    mdtrt_id: Mapped[str | None] = mapped_column(String(30))
    medfee_sumamt: Mapped[int] = mapped_column(Integer, default=0)
    fund_pay_sumamt: Mapped[int] = mapped_column(Integer, default=0)
    hifp_pay: Mapped[int] = mapped_column(Integer, default=0)
    acct_pay: Mapped[int] = mapped_column(Integer, default=0)
    psn_cash_pay: Mapped[int] = mapped_column(Integer, default=0)
    preselfpay_amt: Mapped[int] = mapped_column(Integer, default=0)
    fulamt_ownpay_amt: Mapped[int] = mapped_column(Integer, default=0)
    inscp_scp_amt: Mapped[int] = mapped_column(Integer, default=0)
    act_pay_dedc: Mapped[int] = mapped_column(Integer, default=0)
    balc: Mapped[int | None] = mapped_column(Integer)
    lines: Mapped[list] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    reverse_msgid: Mapped[str | None] = mapped_column(String(30), unique=True)
    revs_setl_id: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def move_to(self, new: S, expected: S | None = None, **values) -> None:
        """The one way a settlement changes status: checked against TRANSITIONS, decided by the DB.

        A conditional UPDATE (… WHERE status = :current) makes concurrent movers agree: the
        loser gets a 409. The caller commits.
        """
        current = S(expected or self.status)
        if new not in TRANSITIONS[current]:
            raise Conflict(
                "illegal_transition",
                _l("A settlement that is %(current)s cannot become %(new)s."),
                current=current.value,
                new=new.value,
            )
        values |= {"status": new.value, "updated_at": clock.now()}
        values["active_ord"] = self.med_org_ord if new in LIVE else None
        params = {"_row_id": self.id, "_row_status": current.value, **values}
        if rows.write(_MOVE, params).rowcount != 1:
            db.session.rollback()
            raise Conflict("settlement_changed", _l("This payment was changed meanwhile; please reload."))
        for name, value in values.items():  # what the UPDATE wrote, without reading the row back
            set_committed_value(self, name, value)


class OutgoingMessage(db.Model):
    """Every message id we have sent (unique), so no two messages ever share one."""

    __tablename__ = "ins_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    msgid: Mapped[str] = mapped_column(String(30), unique=True)
    infno: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


_table = Settlement.__table__
# Settlement.move_to's conditional UPDATE, built once: the SET clause is the parameters' other names.
_MOVE = _table.update().where(_table.c.id == bindparam("_row_id"), _table.c.status == bindparam("_row_status"))
