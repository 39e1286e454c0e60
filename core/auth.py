"""Who is asking: a bearer token (API clients) or the session cookie (pages), and role checks.

Session-authenticated writes to /api must carry the CSRF token (header X-CSRFToken), since the
browser sends the cookie on its own; bearer requests cannot be forged that way.
"""

from __future__ import annotations

from functools import wraps

from flask import g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf

from core import accounts
from core.errors import MSG_LOGIN_REQUIRED, MSG_ROLE_REFUSED, Forbidden, Unauthorized
from core.models import User

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def load_current_user() -> None:
    """before_request: resolve g.user from the bearer token or the session."""
    g.user = None
    g.auth_via = None
    token = bearer_token()
    if token:
        g.user, g.auth_via = accounts.user_for_token(token), "token"
    elif session.get("user_id"):
        user = accounts.get_by_id(session["user_id"])
        if user is not None and user.active and session.get("pw") == user.password_hash[-16:]:
            g.user, g.auth_via = user, "session"
        else:
            session.clear()


def check_api_csrf() -> None:
    """Cookie-authenticated API writes need the CSRF header, like forms do."""
    if g.get("auth_via") == "session" and request.method not in _SAFE_METHODS:
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except (CSRFError, Exception):
            raise Forbidden("csrf", "CSRF token missing or invalid.") from None


def current_user() -> User | None:
    return g.get("user")


def require_user(*roles: str) -> User:
    """The current user, or 401; with roles given, 403 for any other role."""
    user = current_user()
    if user is None:
        raise Unauthorized("unauthenticated", MSG_LOGIN_REQUIRED)
    if roles and user.role not in roles:
        raise Forbidden("role_refused", MSG_ROLE_REFUSED)
    return user


def login_session(user: User) -> None:
    """Start a page session (the password fingerprint ends it when the password changes)."""
    session.clear()
    session["user_id"] = user.id
    session["pw"] = user.password_hash[-16:]
    session.permanent = True


def roles_required(*roles: str):
    """API decorator: refuse anonymous callers (401) and other roles (403)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            require_user(*roles)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def page_roles(*roles: str):
    """Page decorator: send anonymous visitors to the login page; refuse other roles with 403."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if current_user() is None:
                return redirect(url_for("core_pages.login", next=request.full_path))
            require_user(*roles)
            return view(*args, **kwargs)

        return wrapper

    return decorate
