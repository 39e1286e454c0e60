"""Notifications: stored for the user's inbox and pushed live to Socket.IO rooms.

Services call these functions instead of importing socketio, so the domain stays testable and
the transport is one place. Pushes happen after the caller's commit (call them after commit).
"""

from __future__ import annotations

from core.extensions import db, socketio
from core.models import Notification


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def notify_user(user_id: int, event: str, payload: dict) -> Notification:
    """Store a notification for the user, commit it, and push it to his personal room."""
    row = Notification(user_id=user_id, event=event, payload=payload)
    db.session.add(row)
    db.session.commit()
    socketio.emit(event, {**payload, "notification_id": row.id}, to=user_room(user_id))
    return row


def notify_users(user_ids, event: str, payload: dict) -> None:
    for user_id in dict.fromkeys(user_ids):
        notify_user(user_id, event, payload)


def broadcast(room: str, event: str, payload: dict, skip_sid: str | None = None) -> None:
    """Push an event to everyone in a room (a consultation, a case, a queue), without storing it."""
    socketio.emit(event, payload, to=room, skip_sid=skip_sid)


def inbox(user_id: int, limit: int = 50) -> list[Notification]:
    query = db.select(Notification).filter_by(user_id=user_id).order_by(Notification.id.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def mark_read(user_id: int, notification_ids: list[int]) -> int:
    rows = db.session.execute(
        db.select(Notification).where(Notification.user_id == user_id, Notification.id.in_(notification_ids))
    ).scalars()
    count = 0
    for row in rows:
        row.read = True
        count += 1
    db.session.commit()
    return count
