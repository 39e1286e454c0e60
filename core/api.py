"""Accounts API: register, log in and out, who am I, staff accounts, notifications, audit log."""

from __future__ import annotations

from flask import current_app, g, request, session
from flask_smorest import Blueprint

from core import accounts, audit, notify, sessions
from core.auth import require_user, roles_required
from core.extensions import limiter
from core.models import Role
from core.schemas import (
    AuditEntrySchema,
    AuditQuerySchema,
    LoginSchema,
    MarkReadSchema,
    MeSchema,
    NotificationSchema,
    PasswordChangeSchema,
    PasswordResetResultSchema,
    PasswordResetSchema,
    PreferencesSchema,
    RefreshSchema,
    RegisterSchema,
    SessionSchema,
    StaffAccessSchema,
    StaffCreateSchema,
    StaffQuerySchema,
    TokenSchema,
    UserSchema,
)

blp = Blueprint("auth", __name__, url_prefix="/api", description="Accounts, login and the audit log")


def login_limit_key() -> str:
    """Rate-limit per address and username, so one guessed account cannot be hammered."""
    try:
        body = request.get_json(silent=True) if request.is_json else request.form
    except RecursionError:  # the limiter runs before the body checks
        body = None
    username = body.get("username") if isinstance(body, dict) else None
    # Any JSON may arrive here before the schema has looked at it: only a string is a name.
    return f"{request.remote_addr}|{username.strip()[:64] if isinstance(username, str) else ''}"


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@blp.post("/auth/register")
@blp.arguments(RegisterSchema)
@blp.response(201, UserSchema)
def register(data):
    """Register a real-name patient (the mobile number becomes the username)."""
    return accounts.register_patient(**data)


def _client() -> tuple[str, str | None]:
    return request.user_agent.string, request.remote_addr


@blp.post("/auth/login")
@limiter.limit(login_limit, key_func=login_limit_key)
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
def login(data):
    """Exchange a username and password for a bearer token and a refresh token.

    A user whose password an administrator reset gets `user.must_change_password` true and may
    only change it (`POST /api/me/password`) until he has.
    """
    user = accounts.authenticate(data["username"], data["password"])
    return sessions.open_api_session(user, *_client())


@blp.post("/auth/refresh")
@blp.arguments(RefreshSchema)
@blp.response(200, TokenSchema)
def refresh(data):
    """A new bearer token and refresh token for a refresh token (which then stops working)."""
    return sessions.refresh(data["refresh_token"])


@blp.post("/auth/logout")
@blp.response(204)
def logout():
    """End the session of this request (its bearer token, or the browser session)."""
    user = require_user()
    if g.session_id:
        sessions.revoke(user.id, g.session_id)
    session.clear()


@blp.post("/auth/logout-everywhere")
@blp.response(204)
def logout_everywhere():
    """End every session and token of the caller, on every device (sockets are closed too)."""
    sessions.revoke_all(require_user().id)
    session.clear()


@blp.post("/me/password")
@blp.arguments(PasswordChangeSchema)
@blp.response(200, TokenSchema)
def change_password(data):
    """Change the password (the current one is required). Every session and token of the user
    ends; the answer holds a new token pair for this client."""
    user = require_user()
    accounts.change_password(user, data["old_password"], data["new_password"])
    session.clear()
    return sessions.open_api_session(user, *_client())


@blp.get("/me/sessions")
@blp.response(200, SessionSchema(many=True))
def my_sessions():
    """The caller's active sessions (browsers and API tokens), the current one marked."""
    return sessions.listing(require_user().id, g.session_id)


@blp.post("/me/sessions/<int:session_id>/revoke")
@blp.response(204)
def revoke_session(session_id):
    """End one of the caller's sessions (404 for any other's)."""
    sessions.revoke(require_user().id, session_id)


@blp.post("/users/<int:user_id>/reset-password")
@roles_required(Role.ADMIN)
@blp.arguments(PasswordResetSchema)
@blp.response(200, PasswordResetResultSchema)
def reset_password(data, user_id):
    """Set a temporary password (administrators): the user's sessions end and he must choose a
    new password at his next login."""
    temporary = accounts.reset_password(require_user(), user_id, data["temporary_password"])
    return {"user": accounts.get_user(user_id), "temporary_password": temporary}


@blp.get("/me")
@blp.response(200, MeSchema)
def me():
    """The logged-in user (ID number masked), with the pharmacy or hospital a staff member works for."""
    return accounts.me(require_user())


@blp.get("/auth/me")
@blp.response(200, MeSchema)
def auth_me():
    """The same as /api/me, where clients look for it beside login."""
    return accounts.me(require_user())


@blp.patch("/me")
@blp.arguments(PreferencesSchema)
@blp.response(200, UserSchema)
def update_me(data):
    """Change the language or elder mode; remembered for the user."""
    return accounts.set_preferences(require_user(), **data)


@blp.get("/staff")
@roles_required(Role.ADMIN)
@blp.arguments(StaffQuerySchema, location="query")
@blp.response(200, UserSchema(many=True))
def list_staff(query):
    """Staff accounts (administrators)."""
    return accounts.list_staff(query["role"])


@blp.post("/staff")
@roles_required(Role.ADMIN)
@blp.arguments(StaffCreateSchema)
@blp.response(201, UserSchema)
def create_staff(data):
    """Create a doctor, pharmacist, dispatcher or administrator account (administrators)."""
    return accounts.create_staff(**data)


@blp.patch("/staff/<int:user_id>")
@roles_required(Role.ADMIN)
@blp.arguments(StaffAccessSchema)
@blp.response(200, UserSchema)
def change_staff_access(data, user_id):
    """Change a staff member's role or deactivate him; at once, sockets included (administrators)."""
    return accounts.change_access(require_user(), user_id, **data)


@blp.get("/notifications")
@blp.response(200, NotificationSchema(many=True))
def notifications():
    """The caller's latest notifications."""
    return notify.inbox(require_user().id)


@blp.post("/notifications/read")
@blp.arguments(MarkReadSchema)
@blp.response(200, MarkReadSchema)
def mark_read(data):
    """Mark the caller's notifications read."""
    notify.mark_read(require_user().id, data["ids"])
    return data


@blp.get("/audit")
@roles_required(Role.ADMIN)
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditEntrySchema(many=True))
def audit_log(query):
    """The latest audit entries: who read or changed which patient's data (administrators)."""
    patient = query["patient_id"]
    return audit.entries_for_patient(patient) if patient else audit.recent()
