"""A status change that two requests or processes cannot both win: the row moves only while its
status is still the one this request read. Each state machine keeps its own transition table and
its own `move_to()` (with its own words for a refusal); this is how they all apply the move."""

from __future__ import annotations

from sqlalchemy.orm.attributes import set_committed_value

from core.extensions import db


def conditional_move(row, status: str, known: bool = False, **values) -> bool:
    """Set the row's status (and `values`) if nobody changed its status since it was read; True
    when this call moved it. The row is expired, so its next read shows what the database holds;
    with `known`, the object takes the values this UPDATE wrote instead (no re-read: for a row
    only this request writes meanwhile, or one kept outside the session, core/rows.py)."""
    model = type(row)
    result = db.session.execute(
        db.update(model)
        .where(model.id == row.id, model.status == row.status)
        .values(status=status, **values)
        .execution_options(synchronize_session=False)
    )
    moved = result.rowcount == 1
    if known and moved:
        for name, value in {"status": status, **values}.items():
            set_committed_value(row, name, value)
    elif not known:
        db.session.expire(row)
    return moved
