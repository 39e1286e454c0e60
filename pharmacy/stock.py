"""Stock: what may be promised (StockLevel.available) and what is on the shelf (StockBatch).

Reservation and release touch only `available`, through one conditional UPDATE each, so that
concurrent payments cannot oversell: `UPDATE … SET available = available - n WHERE available >= n`
either takes the packages or changes nothing. Dispensing takes batches first-expiry-first-out
with the same kind of guarded update. Every change is logged with who and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError

from core import clock, rows
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from core.rows import insert_rows
from hospital.services import formulary
from pharmacy.models import StockBatch, StockLevel, StockMovement
from pharmacy.staff import require_pharmacy

NEAR_EXPIRY_DAYS = 90
MSG_OUT_OF_STOCK = _l("Out of stock: %(name)s is not available in the quantity prescribed at this pharmacy.")


class OutOfStock(Conflict):
    default_reason = "out_of_stock"


@dataclass(frozen=True)
class StockRow:
    """One drug at one pharmacy, with its batches and the flags staff act on."""

    drug_code: str
    name_zh: str
    name_en: str
    available: int
    on_hand: int
    low_threshold: int
    low: bool
    near_expiry: bool
    expired: bool
    batches: tuple[dict, ...]


def _level(pharmacy_id: int, drug_code: str) -> StockLevel | None:
    query = db.select(StockLevel).filter_by(pharmacy_id=pharmacy_id, drug_code=drug_code)
    return db.session.execute(query).scalar_one_or_none()


def _log(pharmacy_id: int, drug_code: str, kind: str, delta: int, **extra) -> None:
    db.session.add(StockMovement(pharmacy_id=pharmacy_id, drug_code=drug_code, kind=kind, delta=delta, **extra))


def _log_now(pharmacy_id: int, drug_code: str, kind: str, delta: int, order_id: int, reason: str) -> None:
    """`_log` as one Core INSERT (a payment's reservation and release: no unit of work)."""
    row = {"pharmacy_id": pharmacy_id, "drug_code": drug_code, "kind": kind, "delta": delta}
    insert_rows(StockMovement, [row | {"order_id": order_id, "reason": reason}])


_levels = StockLevel.__table__
_THIS_LEVEL = (_levels.c.pharmacy_id == bindparam("_pharmacy"), _levels.c.drug_code == bindparam("_drug"))
# Takes the packages or changes nothing (Core, built once).
_RESERVE = (
    _levels.update()
    .where(*_THIS_LEVEL, _levels.c.available >= bindparam("_n"))
    .values(available=_levels.c.available - bindparam("_n"))
)


def reserve(pharmacy_id: int, drug_code: str, quantity: int, order_id: int, name: str = "") -> None:
    """Promise `quantity` packages to an order, in the caller's transaction; OutOfStock if short."""
    result = rows.write(_RESERVE, {"_pharmacy": pharmacy_id, "_drug": drug_code, "_n": quantity})
    if result.rowcount != 1:
        raise OutOfStock(message=MSG_OUT_OF_STOCK, name=name or drug_code)
    _log_now(pharmacy_id, drug_code, "reserve", -quantity, order_id, "order paid")


def release(pharmacy_id: int, drug_code: str, quantity: int, order_id: int, reason: str) -> None:
    """Give a reservation back (payment failed), in the caller's transaction."""
    db.session.execute(
        update(StockLevel)
        .where(StockLevel.pharmacy_id == pharmacy_id, StockLevel.drug_code == drug_code)
        .values(available=StockLevel.available + quantity)
        .execution_options(synchronize_session=False)
    )
    _log_now(pharmacy_id, drug_code, "release", quantity, order_id, reason)


def take_fefo(pharmacy_id: int, drug_code: str, quantity: int, order_id: int, actor_id: int) -> list[dict]:
    """Take reserved packages off the shelf, first-expiry-first-out, skipping expired batches."""
    taken: list[dict] = []
    remaining = quantity
    for _attempt in range(5):  # a concurrent take may empty a batch between read and update
        for batch in _usable_batches(pharmacy_id, drug_code):
            if remaining == 0:
                break
            n = min(batch.quantity, remaining)
            if n and _take(batch.id, n):
                taken.append(
                    {
                        "batch_id": batch.id,
                        "batch_no": batch.batch_no,
                        "expiry": batch.expiry.isoformat(),
                        "quantity": n,
                    }
                )
                _log(
                    pharmacy_id,
                    drug_code,
                    "dispense",
                    -n,
                    batch_id=batch.id,
                    order_id=order_id,
                    actor_id=actor_id,
                    reason="dispensed",
                )
                remaining -= n
        if remaining == 0:
            return taken
    raise Conflict(
        "batch_short", _l("The shelf holds too few unexpired packages of %(code)s; check the stock."), code=drug_code
    )


def _usable_batches(pharmacy_id: int, drug_code: str) -> list[StockBatch]:
    query = (
        db.select(StockBatch)
        .filter_by(pharmacy_id=pharmacy_id, drug_code=drug_code)
        .where(StockBatch.quantity > 0, StockBatch.expiry >= clock.today())
        .order_by(StockBatch.expiry, StockBatch.id)
        .execution_options(populate_existing=True)
    )
    return list(db.session.execute(query).scalars())


def _take(batch_id: int, n: int) -> bool:
    result = db.session.execute(
        update(StockBatch)
        .where(StockBatch.id == batch_id, StockBatch.quantity >= n)
        .values(quantity=StockBatch.quantity - n)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def put_back(pharmacy_id: int, drug_code: str, batches: list[dict], order_id: int, actor_id: int | None) -> None:
    """A returned parcel's packages go back to their batches and become available again."""
    total = 0
    for item in batches or []:
        db.session.execute(
            update(StockBatch)
            .where(StockBatch.id == item["batch_id"])
            .values(quantity=StockBatch.quantity + item["quantity"])
            .execution_options(synchronize_session=False)
        )
        _log(
            pharmacy_id,
            drug_code,
            "restock",
            item["quantity"],
            batch_id=item["batch_id"],
            order_id=order_id,
            actor_id=actor_id,
            reason="delivery returned",
        )
        total += item["quantity"]
    _change_available(pharmacy_id, drug_code, total)


def _change_available(pharmacy_id: int, drug_code: str, delta: int) -> bool:
    result = db.session.execute(
        update(StockLevel)
        .where(StockLevel.pharmacy_id == pharmacy_id, StockLevel.drug_code == drug_code)
        .where(StockLevel.available + delta >= 0)
        .values(available=StockLevel.available + delta)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _parse_expiry(value) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed("invalid_expiry", _l("Enter the expiry date as YYYY-MM-DD."), field="expiry") from None


def adjust(user: User, drug_code: str, batch_no: str, delta: int, reason: str, expiry=None) -> StockBatch:
    """Staff change a batch's count (receipt, count correction, breakage, expired) with a reason."""
    pharmacy_id = require_pharmacy(user)
    formulary.get_drug(drug_code)
    reason, batch_no = (reason or "").strip(), (batch_no or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("reason_required", _l("Say why the stock changes."), field="reason")
    if not batch_no or delta == 0:
        raise ValidationFailed("invalid_adjustment", _l("Give a batch number and a non-zero change."), field="delta")
    batch = _batch_for_adjust(pharmacy_id, drug_code, batch_no, delta, expiry)
    if delta < 0 and not _take(batch.id, -delta):
        raise ValidationFailed("below_zero", _l("The batch holds fewer packages than that."), field="delta")
    if delta > 0:
        db.session.execute(
            update(StockBatch)
            .where(StockBatch.id == batch.id)
            .values(quantity=StockBatch.quantity + delta)
            .execution_options(synchronize_session=False)
        )
    if not _change_available(pharmacy_id, drug_code, delta):
        db.session.rollback()
        raise Conflict("reserved_stock", _l("Those packages are promised to paid orders; dispense them first."))
    _log(pharmacy_id, drug_code, "adjust", delta, batch_id=batch.id, actor_id=user.id, reason=reason)
    db.session.commit()
    db.session.refresh(batch)
    return batch


def _batch_for_adjust(pharmacy_id: int, drug_code: str, batch_no: str, delta: int, expiry) -> StockBatch:
    batch = db.session.execute(
        db.select(StockBatch).filter_by(pharmacy_id=pharmacy_id, drug_code=drug_code, batch_no=batch_no)
    ).scalar_one_or_none()
    if batch is not None:
        return batch
    if delta < 0:
        raise NotFound("batch_not_found", _l("No such batch at this pharmacy."), field="batch_no")
    if expiry in (None, ""):
        raise ValidationFailed("expiry_required", _l("A new batch needs its expiry date."), field="expiry")
    ensure_level(pharmacy_id, drug_code)
    batch = StockBatch(
        pharmacy_id=pharmacy_id, drug_code=drug_code, batch_no=batch_no, expiry=_parse_expiry(expiry), quantity=0
    )
    db.session.add(batch)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("duplicate_batch", _l("This batch was just added; try again.")) from None
    return batch


def ensure_level(pharmacy_id: int, drug_code: str, low_threshold: int = 10) -> StockLevel:
    level = _level(pharmacy_id, drug_code)
    if level is None:
        level = StockLevel(pharmacy_id=pharmacy_id, drug_code=drug_code, available=0, low_threshold=low_threshold)
        db.session.add(level)
        db.session.flush()
    return level


def stock_for(user: User, flagged_only: bool = False, q: str | None = None) -> list[StockRow]:
    """The acting staff member's pharmacy stock with low / near-expiry / expired flags."""
    return pharmacy_stock(require_pharmacy(user), flagged_only, q)


def pharmacy_stock(pharmacy_id: int, flagged_only: bool = False, q: str | None = None) -> list[StockRow]:
    levels = list(db.session.execute(db.select(StockLevel).filter_by(pharmacy_id=pharmacy_id)).scalars())
    batches: dict[str, list[StockBatch]] = {}
    query = db.select(StockBatch).filter_by(pharmacy_id=pharmacy_id).order_by(StockBatch.expiry)
    for batch in db.session.execute(query).scalars():
        batches.setdefault(batch.drug_code, []).append(batch)
    drugs = formulary.drugs_by_code([level.drug_code for level in levels])
    shown = [_row(level, batches.get(level.drug_code, []), drugs.get(level.drug_code)) for level in levels]
    if q:
        q = q.strip().lower()
        shown = [r for r in shown if q in r.drug_code.lower() or q in r.name_zh or q in r.name_en.lower()]
    if flagged_only:
        shown = [r for r in shown if r.low or r.near_expiry or r.expired]
    return sorted(shown, key=lambda r: (not (r.low or r.expired or r.near_expiry), r.drug_code))


def _row(level: StockLevel, batches: list[StockBatch], drug) -> StockRow:
    today = clock.today()
    soon = today + timedelta(days=NEAR_EXPIRY_DAYS)
    stocked = [b for b in batches if b.quantity > 0]
    return StockRow(
        drug_code=level.drug_code,
        name_zh=drug.name_zh if drug else level.drug_code,
        name_en=drug.generic_en if drug else level.drug_code,
        available=level.available,
        on_hand=sum(b.quantity for b in batches),
        low_threshold=level.low_threshold,
        low=level.available <= level.low_threshold,
        near_expiry=any(today <= b.expiry <= soon for b in stocked),
        expired=any(b.expiry < today for b in stocked),
        batches=tuple(
            {
                "id": b.id,
                "batch_no": b.batch_no,
                "expiry": b.expiry,
                "quantity": b.quantity,
                "near_expiry": today <= b.expiry <= soon,
                "expired": b.expiry < today,
            }
            for b in batches
        ),
    )


def movements(user: User, limit: int = 100) -> list[StockMovement]:
    """The stock log of the acting staff member's pharmacy, newest first."""
    pharmacy_id = require_pharmacy(user)
    query = db.select(StockMovement).filter_by(pharmacy_id=pharmacy_id).order_by(StockMovement.id.desc()).limit(limit)
    return list(db.session.execute(query).scalars())
