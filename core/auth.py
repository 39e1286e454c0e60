"""Who is asking: a bearer token (API clients) or the session cookie (pages), and role checks.

The session cookie holds only an opaque session id (`sid`), resolved to a server-side
`UserSession`; revoking that row ends the session. Session-authenticated writes to /api must
carry the CSRF token (header X-CSRFToken), since the browser sends the cookie on its own; bearer
requests cannot be forged that way. A user whose password an administrator reset may do nothing
but change it (and log out) until he has.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, validate_csrf

from core import sessions
from core.errors import MSG_LOGIN_REQUIRED, MSG_ROLE_REFUSED, Forbidden, Unauthorized
from core.extensions import csrf
from core.models import User
from core.session_cache import Entry as SessionEntry

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


# What a user who must change his password may still reach (endpoints by name).
_WHILE_PASSWORD_CHANGE = {
    "auth.me",
    "auth.change_password",
    "auth.logout",
    "auth.logout_everywhere",
    "auth.refresh",
    "core_pages.password_page",
    "core_pages.logout",
    "core_pages.set_language",
    "core_pages.set_elder_mode",
    "static",
    "health.healthz",
    "health.readyz",
}


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed session cookie, without building its signer for a request that sends no
    cookie (API clients with a bearer token): an empty session, as Flask would have opened; and
    without reading the cookie's settings to save a session nobody touched (Flask would then
    neither set nor delete the cookie, nor add `Vary: Cookie`)."""

    def open_session(self, app, request):
        if app.secret_key and "HTTP_COOKIE" not in request.environ:  # no Cookie header to parse
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if not session and not session.accessed and not session.modified:
            return
        super().save_session(app, session, response)


def session_user() -> tuple[int | None, User | None]:
    """The browser session id and user behind this request's session cookie (None, None if it
    ended)."""
    secret = session.get("sid")
    if not isinstance(secret, str):
        return None, None
    row, user = sessions.for_browser(secret)
    return (row.id if row else None), user


def socket_identity(auth) -> tuple[SessionEntry | None, User | None]:
    """Who opens a Socket.IO connection: (session, user) from `auth={"token": …}` or else the
    session cookie; (None, None) when neither stands. The session's id lets the socket layer end
    exactly the sockets of a revoked session (see core.signals.user_sessions_revoked), its
    expiry lets it refuse the first event after the session ran out."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if isinstance(token, str) and token:
        entry, user = sessions.for_token(token)
    else:
        secret = session.get("sid")
        entry, user = sessions.for_browser(secret) if isinstance(secret, str) else (None, None)
    return (entry, user) if entry is not None else (None, None)


def load_current_user():
    """before_request: resolve g.user (and g.session_id) from the bearer token or the session."""
    g.user = g.auth_via = g.session_id = None
    token = bearer_token()
    if token:
        row, g.user = sessions.for_token(token)
        g.auth_via, g.session_id = "token", row.id if row else None
    elif session.get("sid") or session.get("user_id"):
        g.session_id, g.user = session_user()
        if g.user is not None:
            g.auth_via = "session"
        else:
            session.clear()  # ended, expired, or an old cookie of another shape
    return _password_change_first()


def _password_change_first():
    """A user with a reset password is sent to change it (pages) or refused (API, 403)."""
    user = g.user
    if user is None or not user.must_change_password or request.endpoint in _WHILE_PASSWORD_CHANGE:
        return None
    if request.path.startswith("/api"):
        raise Forbidden("password_change_required", _l("Choose a new password first."))
    return redirect(url_for("core_pages.password_page"))


def check_form_csrf() -> None:
    """before_request, in place of Flask-WTF's own hook (WTF_CSRF_CHECK_DEFAULT is off): a form
    write must carry its CSRF token. Flask-WTF's hook looked up the view's exemptions on every
    request before it looked at the method; a read never needs the token, so it passes first."""
    if request.method not in _SAFE_METHODS and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect(apply_exemptions=True)


def check_api_csrf() -> None:
    """before_request: cookie-authenticated API writes need the CSRF header, like forms do."""
    if request.method in _SAFE_METHODS or g.get("auth_via") != "session" or not request.path.startswith("/api"):
        return
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
    """Start a page session: a server-side row, and only its opaque id in the cookie."""
    session.clear()
    session["sid"] = sessions.open_browser_session(user, request.user_agent.string, request.remote_addr)
    session.permanent = True


def logout_session() -> None:
    """End this browser's session (server-side too) and forget the cookie."""
    if g.get("auth_via") == "session" and g.get("session_id") and g.get("user"):
        sessions.revoke(g.user.id, g.session_id)
    session.clear()


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
