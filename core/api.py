"""Accounts API: register, log in and out, who am I, staff accounts, notifications, audit log."""

from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint

from core import accounts, audit, notify
from core.auth import bearer_token, require_user, roles_required
from core.extensions import limiter
from core.models import Role
from core.schemas import (
    AuditEntrySchema,
    AuditQuerySchema,
    LoginSchema,
    MarkReadSchema,
    NotificationSchema,
    PreferencesSchema,
    RegisterSchema,
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


@blp.post("/auth/login")
@limiter.limit(login_limit, key_func=login_limit_key)
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
def login(data):
    """Exchange a username and password for a bearer token."""
    user = accounts.authenticate(data["username"], data["password"])
    token, row = accounts.issue_token(user)
    return {"token": token, "expires_at": row.expires_at, "user": user}


@blp.post("/auth/logout")
@blp.response(204)
def logout():
    """Revoke the bearer token used for this request."""
    require_user()
    token = bearer_token()
    if token:
        accounts.revoke_token(token)


@blp.get("/me")
@blp.response(200, UserSchema)
def me():
    """The logged-in user (ID number masked)."""
    return require_user()


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
