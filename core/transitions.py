"""A status change that two requests or processes cannot both win: the row moves only while its
status is still the one this request read. Each state machine keeps its own transition table and
its own `move_to()` (with its own words for a refusal); this is how they all apply the move."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy.orm.attributes import set_committed_value

from core import rows
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


_MOVES: dict[type, object] = {}


def conditional_move_known(row, status: str, **values) -> bool:
    """conditional_move for a hot path's row (one this request wrote, maybe kept outside the
    session, core/rows.py): the object takes the values this UPDATE wrote instead of being read
    again, and the UPDATE is one prebuilt Core statement that does not flush the session first
    (nothing pending there may bear on this row)."""
    model = type(row)
    if model not in _MOVES:
        table = model.__table__
        # The SET clause is the parameters' other names (compiled once per set of columns).
        _MOVES[model] = table.update().where(
            table.c.id == bindparam("_row_id"), table.c.status == bindparam("_row_status")
        )
    values = {"status": status, **values}
    params = {"_row_id": row.id, "_row_status": row.status, **values}
    moved = rows.write(_MOVES[model], params).rowcount == 1
    if not moved:
        return False
    for name, value in values.items():
        set_committed_value(row, name, value)
    return True
