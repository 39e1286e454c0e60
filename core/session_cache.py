"""A short-lived memory, per process, of resolved sessions: the digest of a bearer token or of a
page-session id → the session's id and expiry and a detached copy of its user. Without it every
request read the session and the user (two statements, about half of /api/me's CPU).

Why a cached answer is still the right answer:
- **Expiry** is compared with the clock on every use (the cached `expires_at`), so a token that
  runs out is refused at its first request after.
- **Revocation, rotation** (logout, a session ended from the list, log out everywhere, password
  change, reset, deactivation, a refreshed token): `core.sessions` drops the entries here before
  it answers, and sends `core.signals.sessions_changed`, which the socket layer carries over the
  message queue to every other process (`forget` runs there too).
- **A changed user** (role, deactivation, password flags, language): any committed update of a
  `users` row drops his entries the same way (the ORM hooks below), so the next request reads
  him anew; services need not remember to.
- **A bound**: an entry lives at most TTL_SECONDS. If the message queue is away when another
  process revokes a session, that revocation reaches this process within the bound.

Only the user's column values are remembered: each request gets its own instance of them
(attach), so nothing leaks between requests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.instrumentation import manager_of_class

from core import signals
from core.extensions import join_when_made
from core.models import User

TTL_SECONDS = 10.0
MAX_ENTRIES = 20_000  # past this the memory starts again (an entry is a few hundred bytes)
_CHANGED = "session_cache.changed_users"


@dataclass
class Entry:
    """A session as resolved from its secret (what requests and sockets need of it)."""

    id: int  # the UserSession id (revoking it ends exactly this session)
    kind: str
    user_id: int
    expires_at: datetime
    last_seen_at: datetime
    user_values: dict  # his column values as loaded; each request makes its own instance of them
    user_key: tuple  # his identity key in the ORM's identity map
    stored: float


_entries: dict[str, Entry] = {}
# attribute names of the user's columns (from the table: the mappers are not configured yet here)
_USER_COLUMNS = [column.key for column in User.__table__.columns]
_MANAGER = manager_of_class(User)


def get(key: str, kind: str) -> Entry | None:
    """The entry for a secret's digest, if it is fresh enough to trust."""
    entry = _entries.get(key)
    if entry is None or entry.kind != kind:
        return None
    if time.monotonic() - entry.stored > TTL_SECONDS:
        _entries.pop(key, None)
        return None
    return entry


def put(key: str, session_id: int, kind: str, expires_at: datetime, last_seen_at: datetime, user: User) -> Entry:
    """Remember a session just read from the database (its user as loaded, before any commit)."""
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()
    values = {name: getattr(user, name) for name in _USER_COLUMNS}
    key_of_user = instance_state(user).key
    entry = Entry(session_id, kind, user.id, expires_at, last_seen_at, values, key_of_user, time.monotonic())
    _entries[key] = entry
    return entry


def attach(entry: Entry) -> User:
    """This request's own instance of the entry's user, in its database session (now, or when the
    request first uses the database: core.extensions.join_when_made)."""
    return join_when_made(_instance_of(entry))


def _instance_of(entry: Entry) -> User:
    """A new detached instance of the entry's user, made as the ORM's loader makes one (no
    attribute events, no history): the identity is the one he was loaded with, and every column
    is there, so nothing needs expiring."""
    user = _MANAGER.new_instance()
    user.__dict__.update(entry.user_values)
    instance_state(user).key = entry.user_key
    return user


def forget(user_id: int | None = None, session_ids=None) -> None:
    """Drop the entries of these sessions, or of every session of the user when none are named."""
    ids = {int(s) for s in session_ids} if session_ids else None
    for key, entry in list(_entries.items()):
        if (entry.id in ids) if ids is not None else (entry.user_id == user_id):
            _entries.pop(key, None)


def clear() -> None:
    _entries.clear()


# --- a committed change of a user drops what is remembered of him, in every process ------------


@event.listens_for(User, "after_update")
def _user_updated(_mapper, _connection, target: User) -> None:
    session = object_session(target)
    if session is not None:
        session.info.setdefault(_CHANGED, set()).add(target.id)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for user_id in session.info.pop(_CHANGED, ()):
        forget(user_id)
        signals.sessions_changed.send(user_id, session_ids=None)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)  # nothing changed after all
