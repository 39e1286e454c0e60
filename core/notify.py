"""Notifications: stored for the user's inbox and pushed live to Socket.IO rooms.

Services call these functions instead of importing socketio, so the domain stays testable and
the transport is one place. Pushes happen after the caller's commit (call them after commit).

Each domain registers how its events read (`register_notice`): a title and a sentence in the
user's language, filled from the event's payload, and the page the event is about. The inbox and
the live toast show those words; an event name such as `prescription.approved` is never shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row

from core import rows, socket_queue
from core.extensions import db, socketio
from core.models import Notification, User

LinkFor = Callable[[dict, str], "str | None"]  # (payload, recipient's role) -> a local path


@dataclass(frozen=True)
class NoticeText:
    """How one event reads: lazy msgids with %(name)s placeholders filled from the payload."""

    title: object
    body: object
    link: LinkFor | None = None
    action_label: object = None  # a second, bigger link (e.g. "Pay now") for some recipients
    action_link: LinkFor | None = None
    params: Callable[[dict], dict] | None = None  # derived placeholders (dates in words …)


@dataclass(frozen=True)
class Notice:
    """A notification as a person reads it."""

    title: str
    body: str
    url: str | None = None
    action_label: str | None = None
    action_url: str | None = None

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "body": self.body,
            "url": self.url,
            "action_label": self.action_label,
            "action_url": self.action_url,
        }


_texts: dict[str, NoticeText] = {}
GENERIC_TITLE = _l("New notification")


def register_notice(event: str, title, body, link: LinkFor | None = None, *, role: str = "", **extra) -> None:
    """Say how `event` reads (called by each domain's notices module at import); with `role`, how
    it reads for recipients of that role (the patient and the doctor read one approval apart)."""
    _texts[f"{event}@{role}" if role else event] = NoticeText(title, body, link, **extra)


def registered_events() -> set[str]:
    return {key.split("@")[0] for key in _texts}


class _Params(dict):
    """Payload values for placeholders; a missing one reads as nothing rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


def _fill(text, params: _Params) -> str:
    return str(text) % params if text is not None else ""


def readable(event: str, payload: dict, role: str | None = None) -> Notice:
    """The event in the current language: title, sentence, link (and an action for some roles)."""
    spec = _texts.get(f"{event}@{role}") or _texts.get(event)
    if spec is None:  # an event no domain described: still words, never its name
        return Notice(str(GENERIC_TITLE), "", payload.get("url"))
    params = _Params(payload)
    if spec.params is not None:
        params.update(spec.params(payload))
    action_url = spec.action_link(payload, role or "") if spec.action_link else None
    return Notice(
        _fill(spec.title, params),
        _fill(spec.body, params),
        spec.link(payload, role or "") if spec.link else payload.get("url"),
        _fill(spec.action_label, params) if action_url else None,
        action_url,
    )


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def notify_user(user_id: int, event: str, payload: dict) -> Notification:
    """Store a notification for the user, commit it, and push it to his personal room with its
    words in his language (`notice`) so that the page can show it without knowing the event."""
    row = add_notification(user_id, event, payload)
    db.session.commit()
    push(row)
    return row


def add_notification(user_id: int, event: str, payload: dict) -> Notification:
    """The stored notification, added to the caller's transaction (push it once committed)."""
    row = Notification(user_id=user_id, event=event, payload=payload)
    db.session.add(row)
    return row


def push(row: Notification) -> None:
    """Send a committed notification to its user's room, in his language."""
    user_id, event, payload = row.user_id, row.event, row.payload
    user = db.session.get(User, user_id)
    with force_locale((user.locale if user else None) or "zh"):
        notice = readable(event, payload, user.role if user else None).as_dict()
    socketio.emit(event, {**payload, "notification_id": row.id, "notice": notice}, to=user_room(user_id))


def notify_users(user_ids, event: str, payload: dict) -> None:
    for user_id in dict.fromkeys(user_ids):
        notify_user(user_id, event, payload)


def broadcast(room: str, event: str, payload: dict, skip_sid: str | None = None) -> None:
    """Push an event to everyone in a room (a consultation, a case, a queue), without storing it."""
    socketio.emit(event, payload, to=room, skip_sid=skip_sid)


def tell_every_process(word: str, payload: dict) -> None:
    """Run `word`'s handler in every server process (this one at once, the others over the
    message queue): how a process tells the others to forget what it remembered."""
    if socketio.server is not None:
        socket_queue.send_control(socketio.server, word, payload)
    elif word in _word_handlers:  # no Socket.IO server here (a script): only this process listens
        _word_handlers[word](payload)


_word_handlers: dict[str, Callable[[dict], None]] = {}


def on_word_from_any_process(word: str, handler: Callable[[dict], None]) -> None:
    """Register what `tell_every_process(word, …)` runs in each process."""
    _word_handlers[word] = handler
    socket_queue.on_control(word, handler)


# Built once: building the statement and its cache key cost more than running it (SQLite). Rows
# of columns (core.rows.read): a notification is printed, never changed, where it is listed.
_INBOX = (
    db.select(*Notification.__table__.c)
    .where(Notification.user_id == db.bindparam("user_id"))
    .order_by(Notification.id.desc())
    .limit(db.bindparam("limit"))
)


def inbox(user_id: int, limit: int = 50) -> list[Row]:
    """The user's latest notifications, newest first (rows: id, event, payload, created_at, read)."""
    return list(rows.read(_INBOX, {"user_id": user_id, "limit": limit}))


@dataclass(frozen=True)
class InboxItem:
    id: int
    notice: Notice
    created_at: object
    unread: bool


def open_inbox(user: User, limit: int = 50) -> list[InboxItem]:
    """The user's latest notifications in words; opening the inbox marks them read."""
    listed = inbox(user.id, limit)
    items = [InboxItem(r.id, readable(r.event, r.payload or {}, user.role), r.created_at, not r.read) for r in listed]
    unread = [item.id for item in items if item.unread]
    if unread:
        db.session.execute(db.update(Notification).where(Notification.id.in_(unread)).values(read=True))
    db.session.commit()
    return items


def unread_count(user_id: int) -> int:
    query = db.select(db.func.count(Notification.id)).filter_by(user_id=user_id, read=False)
    return db.session.execute(query).scalar_one()


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
