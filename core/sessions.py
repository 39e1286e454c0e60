"""Sessions: every login is a row (a browser session or an API token) that its user can list
and revoke, and that ends everywhere at once on a password change or "log out everywhere".

A browser holds only an opaque random id in its (signed) session cookie; an API client holds a
bearer token and a refresh token. The database keeps SHA-256 digests of these secrets, never
the secrets, and nothing is derived from the password. Whoever revokes sessions tells the
real-time side through `core.signals.user_sessions_revoked` (it disconnects the sockets).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from core import clock, session_cache, signals
from core.errors import MSG_NOT_FOUND, NotFound, Unauthorized
from core.extensions import db
from core.models import SessionKind, User, UserSession

TOUCH_EVERY = timedelta(minutes=1)  # last-seen is written at most this often per session


@dataclass(frozen=True)
class TokenPair:
    """What an API client receives at login and at every refresh."""

    token: str
    expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    session: UserSession
    user: User


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token_lifetime() -> timedelta:
    return timedelta(minutes=int(current_app.config["TOKEN_LIFETIME_MINUTES"]))


def _refresh_lifetime() -> timedelta:
    return timedelta(days=int(current_app.config["REFRESH_LIFETIME_DAYS"]))


def _browser_lifetime() -> timedelta:
    return timedelta(days=int(current_app.config["BROWSER_SESSION_DAYS"]))


def open_browser_session(user: User, user_agent: str | None = None, ip: str | None = None) -> str:
    """A new page session; returns the opaque id for the cookie (only its digest is stored)."""
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(
        UserSession(
            user_id=user.id,
            kind=SessionKind.BROWSER,
            secret_hash=digest(secret),
            created_at=now,
            last_seen_at=now,
            expires_at=now + _browser_lifetime(),
            user_agent=(user_agent or "")[:200] or None,
            ip=ip,
        )
    )
    db.session.commit()
    return secret


def open_api_session(user: User, user_agent: str | None = None, ip: str | None = None) -> TokenPair:
    """A new bearer token with its refresh token."""
    now = clock.now()
    row = UserSession(
        user_id=user.id,
        kind=SessionKind.API,
        secret_hash="",
        created_at=now,
        last_seen_at=now,
        expires_at=now,
        user_agent=(user_agent or "")[:200] or None,
        ip=ip,
    )
    db.session.add(row)
    return _rotate(row, user)


def _rotate(row: UserSession, user: User) -> TokenPair:
    """Fresh bearer and refresh secrets for the session (the old ones stop working)."""
    token, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now, rotated = clock.now(), row.id if row.secret_hash else None
    row.secret_hash, row.refresh_hash = digest(token), digest(refresh)
    row.expires_at, row.refresh_expires_at = now + _token_lifetime(), now + _refresh_lifetime()
    row.last_seen_at = now
    db.session.commit()
    if rotated:  # the old token stops working everywhere now, not in TTL seconds
        _forget(user.id, [rotated])
    return TokenPair(token, row.expires_at, refresh, row.refresh_expires_at, row, user)


def _live(row: UserSession | None, now: datetime) -> User | None:
    """The session's user if the session stands and the user is active."""
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.active else None


def _touch(entry: session_cache.Entry, now: datetime) -> None:
    """Remember when the session was last used (a browser session also slides its expiry), at
    most every TOUCH_EVERY: one conditional UPDATE, so a revoked row stays revoked."""
    if now - entry.last_seen_at < TOUCH_EVERY:
        return
    values = {"last_seen_at": now}
    if entry.kind == SessionKind.BROWSER:
        values["expires_at"] = now + _browser_lifetime()
    db.session.execute(
        db.update(UserSession)
        .where(UserSession.id == entry.id, UserSession.revoked_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    entry.last_seen_at, entry.expires_at = now, values.get("expires_at", entry.expires_at)


def _lookup(kind: SessionKind, secret: str) -> tuple[session_cache.Entry | None, User | None]:
    """The session and active user of a secret: remembered for a few seconds (core.session_cache
    says why that stays correct), else read from the database."""
    key, now = digest(secret), clock.now()
    entry = session_cache.get(key, kind)
    if entry is None:
        row = db.session.execute(db.select(UserSession).filter_by(secret_hash=key, kind=kind)).scalar_one_or_none()
        user = _live(row, now)
        if user is None:
            return None, None
        entry = session_cache.put(key, row.id, row.kind, row.expires_at, row.last_seen_at, user)
    elif entry.expires_at <= now:
        session_cache.forget(session_ids=[entry.id])
        return None, None
    _touch(entry, now)
    return entry, session_cache.attach(entry)


def for_token(token: str) -> tuple[session_cache.Entry | None, User | None]:
    """The session (id, expiry) and active user of a valid bearer token, else (None, None)."""
    return _lookup(SessionKind.API, token)


def for_browser(secret: str) -> tuple[session_cache.Entry | None, User | None]:
    """The session (id, expiry) and active user of a browser session id, else (None, None)."""
    return _lookup(SessionKind.BROWSER, secret)


def expiry_of(session_id: int | None) -> datetime | None:
    """When a standing session ends (None: revoked, expired, or its user deactivated). Sockets
    ask this when the expiry they remember comes (the session may have slid or been refreshed)."""
    row = db.session.get(UserSession, session_id) if session_id else None
    return row.expires_at if _live(row, clock.now()) is not None else None


def _forget(user_id: int, session_ids: list[int] | None) -> None:
    """Drop the remembered resolution here at once, and in every other process (signal)."""
    session_cache.forget(user_id, session_ids)
    signals.sessions_changed.send(user_id, session_ids=session_ids)


def refresh(refresh_token: str) -> TokenPair:
    """A new bearer token and refresh token for a valid refresh token (each is used once)."""
    row = db.session.execute(
        db.select(UserSession).filter_by(refresh_hash=digest(refresh_token or ""), kind=SessionKind.API)
    ).scalar_one_or_none()
    now = clock.now()
    user = db.session.get(User, row.user_id) if row is not None else None
    stands = row is not None and row.revoked_at is None and row.refresh_expires_at and row.refresh_expires_at > now
    if not stands or user is None or not user.active:
        raise Unauthorized("invalid_refresh_token", _l("This refresh token is not valid; please log in again."))
    return _rotate(row, user)


def active_sessions(user_id: int) -> list[UserSession]:
    """The user's sessions that still stand, most recently used first."""
    now = clock.now()
    query = (
        db.select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .where(db.or_(UserSession.expires_at > now, UserSession.refresh_expires_at > now))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return list(db.session.execute(query).scalars())


def revoke(user_id: int, session_id: int) -> None:
    """End one of the user's own sessions (404 for anyone else's)."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user_id:
        raise NotFound("session_not_found", MSG_NOT_FOUND)
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        db.session.commit()
    _forget(user_id, [session_id])
    signals.user_sessions_revoked.send(user_id, session_ids=[session_id], everywhere=False)


def revoke_all(user_id: int) -> int:
    """End every standing session of the user; tells the real-time side. Commits."""
    revoked = db.session.execute(
        db.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    _forget(user_id, None)
    signals.user_sessions_revoked.send(user_id, session_ids=None, everywhere=True)
    return revoked


def listing(user_id: int, current_id: int | None) -> list[dict]:
    """The user's standing sessions as he sees them, the one he is using marked `current`."""
    return [
        {
            "id": row.id,
            "kind": row.kind,
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "expires_at": row.refresh_expires_at if row.kind == SessionKind.API else row.expires_at,
            "user_agent": row.user_agent,
            "ip": row.ip,
            "current": row.id == current_id,
        }
        for row in active_sessions(user_id)
    ]
