"""Message ids and the hospital ledger's queries.

A msgid is fixmedins_code + local yyyyMMddHHmmss + a 4-digit sequence. The sequence comes from
a per-process counter; uniqueness across processes is the database's (ins_messages.msgid is
unique: a collision just takes the next number). Allocating commits the session.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core import clock, rows
from core.errors import Conflict
from core.extensions import db
from insurance.envelope import DEFAULT_FIXMEDINS_CODE, make_msgid
from insurance.models import OutgoingMessage, Settlement, SettlementStatus

_counter = itertools.count(secrets.randbelow(10_000))
_INSERT_MESSAGES = OutgoingMessage.__table__.insert()  # Core, built once (no ORM bulk insert's work)
_counter_lock = threading.Lock()


def next_msgid() -> str:
    """A fresh candidate msgid (not yet reserved)."""
    with _counter_lock:
        seq = next(_counter)
    code = current_app.config.get("INSURANCE_FIXMEDINS_CODE", DEFAULT_FIXMEDINS_CODE)
    return make_msgid(code, clock.local_now(), seq)


def allocate_msgid(infno: str) -> str:
    """Reserve a msgid for one message (commits), so that no two messages ever share one."""
    return allocate_msgids(infno)[0]


def allocate_msgids(*infnos: str) -> tuple[str, ...]:
    """Reserve one msgid per message in a single commit (a payment's 1101, 5301 and 2207): one
    INSERT of all the rows (no ORM objects: nothing reads them back)."""
    for _ in range(50):
        msgids = tuple(next_msgid() for _ in infnos)
        now = clock.now()
        messages = [{"msgid": m, "infno": i, "created_at": now} for m, i in zip(msgids, infnos, strict=True)]
        try:
            rows.write(_INSERT_MESSAGES, messages)
            db.session.commit()
            return msgids
        except IntegrityError:
            db.session.rollback()
    raise Conflict("msgid_exhausted", _l("Too many payments at once; please try again in a moment."))


def live_settlement(med_org_ord: str) -> Settlement | None:
    """The settlement that holds this order now (pending, unknown, settled or reversing)."""
    return db.session.execute(db.select(Settlement).filter_by(active_ord=med_org_ord)).scalar_one_or_none()


def latest_settlement(med_org_ord: str) -> Settlement | None:
    query = db.select(Settlement).filter_by(med_org_ord=med_org_ord).order_by(Settlement.id.desc()).limit(1)
    return db.session.execute(query).scalar_one_or_none()


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=clock.local_tz())
    return start, start + timedelta(days=1)


def settlements_of_day(day: date) -> list[Settlement]:
    """Every settlement created, settled or reversed on this local day (for the admin page)."""
    start, end = local_day_bounds(day)
    query = (
        db.select(Settlement)
        .where(
            db.or_(
                db.and_(Settlement.created_at >= start, Settlement.created_at < end),
                db.and_(Settlement.settled_at >= start, Settlement.settled_at < end),
                db.and_(Settlement.reversed_at >= start, Settlement.reversed_at < end),
            )
        )
        .order_by(Settlement.id)
    )
    return list(db.session.execute(query).scalars())


def unresolved(older_than_seconds: float = 0) -> list[Settlement]:
    """Unknown settlements and reversals, and pending ones left behind (e.g. by a crash)."""
    cutoff = clock.now() - timedelta(seconds=older_than_seconds)
    s = SettlementStatus
    query = (
        db.select(Settlement)
        .where(
            db.or_(
                Settlement.status == s.UNKNOWN,
                db.and_(Settlement.status.in_([s.PENDING, s.REVERSING]), Settlement.updated_at <= cutoff),
            )
        )
        .order_by(Settlement.id)
    )
    return list(db.session.execute(query).scalars())
