"""A status change that two requests or processes cannot both win: the row moves only while its
status is still the one this request read. Each state machine keeps its own transition table and
its own `move_to()` (with its own words for a refusal); this is how they all apply the move."""

from __future__ import annotations

from core.extensions import db


def conditional_move(row, status: str, **values) -> bool:
    """Set the row's status (and `values`) if nobody changed its status since it was read; True
    when this call moved it. The row is expired, so its next read shows what the database holds."""
    model = type(row)
    result = db.session.execute(
        db.update(model)
        .where(model.id == row.id, model.status == row.status)
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(row)
    return result.rowcount == 1
