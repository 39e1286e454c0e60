"""The mock insurer's own ledger (tables prefixed mi_).

In-process they live in the hospital's database; run as its own process, the mock keeps them in
its own SQLite file. What must never double is guarded by unique constraints: a message id is
answered once (mi_messages.msgid), a voucher pays once (mi_used_vouchers.nonce), an order has at
most one active settlement (mi_settlements: fixmedins_code + active_ord).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.extensions import db
from core.types import UTCDateTime


class MiPerson(db.Model):
    """An insured person: scheme, personal account, where insured."""

    __tablename__ = "mi_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    psn_no: Mapped[str] = mapped_column(String(30), unique=True)
    # The insurer matches a resident ID by its keyed hash and shows it masked; it keeps no plain copy.
    certno_hash: Mapped[str] = mapped_column(String(64), unique=True)
    certno_masked: Mapped[str] = mapped_column(String(18))
    psn_name: Mapped[str] = mapped_column(String(64))
    gend: Mapped[str | None] = mapped_column(String(1))
    brdy: Mapped[date | None] = mapped_column(Date)
    insutype: Mapped[str] = mapped_column(String(3))  # 310 employee / 390 resident
    psn_type: Mapped[str] = mapped_column(String(8), default="11")
    psn_insu_stas: Mapped[str] = mapped_column(String(1), default="1")  # 1 insured (参保缴费)
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))
    balc: Mapped[int] = mapped_column(Integer, default=0)  # personal account, fen
    version: Mapped[int] = mapped_column(Integer, default=0)  # optimistic lock for balance changes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class MiChronicFiling(db.Model):
    """A chronic / special disease filing (门诊慢特病备案, 5301)."""

    __tablename__ = "mi_chronic_filings"
    __table_args__ = (UniqueConstraint("psn_id", "opsp_dise_code", name="uq_mi_filing"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    psn_id: Mapped[int] = mapped_column(ForeignKey("mi_persons.id"), index=True)
    opsp_dise_code: Mapped[str] = mapped_column(String(20))
    opsp_dise_name: Mapped[str] = mapped_column(String(64))
    begndate: Mapped[date | None] = mapped_column(Date)
    enddate: Mapped[date | None] = mapped_column(Date)


class MiAccumulator(db.Model):
    """A person's year-to-date counters for one med_type (the 5206 BIZ counters)."""

    __tablename__ = "mi_accumulators"
    __table_args__ = (UniqueConstraint("psn_id", "year", "med_type", name="uq_mi_accumulator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    psn_id: Mapped[int] = mapped_column(ForeignKey("mi_persons.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    med_type: Mapped[str] = mapped_column(String(3))
    medfee: Mapped[int] = mapped_column(Integer, default=0)
    deductible_used: Mapped[int] = mapped_column(Integer, default=0)
    fund_paid: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)


class MiMessage(db.Model):
    """Every message answered, by msgid: a repeated msgid gets this stored answer back."""

    __tablename__ = "mi_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    msgid: Mapped[str] = mapped_column(String(30), unique=True)
    infno: Mapped[str] = mapped_column(String(4))
    fingerprint: Mapped[str] = mapped_column(String(64))
    infcode: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class MiSettlement(db.Model):
    """A settlement on the insurer's books; reversal and correction are recorded on it."""

    __tablename__ = "mi_settlements"
    __table_args__ = (UniqueConstraint("fixmedins_code", "active_ord", name="uq_mi_active_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    setl_id: Mapped[str] = mapped_column(String(30), unique=True)
    mdtrt_id: Mapped[str] = mapped_column(String(30))
    msgid: Mapped[str] = mapped_column(String(30), unique=True)
    fixmedins_code: Mapped[str] = mapped_column(String(12), index=True)
    med_org_ord: Mapped[str] = mapped_column(String(40), index=True)
    # = med_org_ord while the settlement stands, NULL once reversed or corrected.
    active_ord: Mapped[str | None] = mapped_column(String(40))
    psn_id: Mapped[int | None] = mapped_column(ForeignKey("mi_persons.id"))
    psn_no: Mapped[str | None] = mapped_column(String(30))
    setl_type: Mapped[str] = mapped_column(String(4))  # HI insurance, CASH self-pay
    insutype: Mapped[str | None] = mapped_column(String(3))
    med_type: Mapped[str] = mapped_column(String(3))
    voucher_nonce: Mapped[str | None] = mapped_column(String(40))
    medfee_sumamt: Mapped[int] = mapped_column(Integer)
    fund_pay_sumamt: Mapped[int] = mapped_column(Integer)
    hifp_pay: Mapped[int] = mapped_column(Integer)
    acct_pay: Mapped[int] = mapped_column(Integer)
    psn_cash_pay: Mapped[int] = mapped_column(Integer)
    preselfpay_amt: Mapped[int] = mapped_column(Integer)
    fulamt_ownpay_amt: Mapped[int] = mapped_column(Integer)
    inscp_scp_amt: Mapped[int] = mapped_column(Integer)
    act_pay_dedc: Mapped[int] = mapped_column(Integer)
    balc: Mapped[int] = mapped_column(Integer)
    lines: Mapped[list] = mapped_column(JSON)
    # ordStas: 6 complete, 7 refunded (2208), 13 insurance revoked (2601 correction)
    ord_stas: Mapped[str] = mapped_column(String(2), default="6")
    setl_time: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    revs_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revs_setl_id: Mapped[str | None] = mapped_column(String(30), unique=True)
    revs_msgid: Mapped[str | None] = mapped_column(String(30))
    version: Mapped[int] = mapped_column(Integer, default=0)


class MiUsedVoucher(db.Model):
    """A voucher that has paid: the unique nonce makes every token single-use."""

    __tablename__ = "mi_used_vouchers"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(40), unique=True)
    psn_id: Mapped[int] = mapped_column(ForeignKey("mi_persons.id"))
    msgid: Mapped[str] = mapped_column(String(30))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


MI_TABLES = [
    MiPerson.__table__,
    MiChronicFiling.__table__,
    MiAccumulator.__table__,
    MiMessage.__table__,
    MiSettlement.__table__,
    MiUsedVoucher.__table__,
]
