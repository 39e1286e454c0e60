"""Account services: patient registration, staff creation, password checks, tokens, preferences."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from core import audit, clock, crypto, resident_id, sessions, signals
from core.errors import Conflict, NotFound, Unauthorized, ValidationFailed, commit_unique
from core.extensions import db
from core.models import STAFF_ROLES, Role, User

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")

_ID_ERRORS = {
    "format": _l("The resident ID must be 17 digits followed by a digit or X."),
    "birth_date": _l("The resident ID holds an impossible birth date."),
    "check_digit": _l("The resident ID's check digit is wrong; please check the number."),
}


def hash_password(password: str) -> str:
    """scrypt at the configured cost; the hash records its cost, so a check follows any cost."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_strength(password: str, field: str = "password") -> None:
    """At least 8 characters with letters and digits: a weak password is refused by name."""
    if len(password or "") < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise ValidationFailed(
            "weak_password", _l("The password needs at least 8 characters, with letters and digits."), field=field
        )


def check_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if not PHONE_RE.match(phone):
        raise ValidationFailed("invalid_phone", _l("Enter an 11-digit mainland mobile number."), field="phone")
    return phone


def parse_resident_id(number: str) -> resident_id.ResidentId:
    """Validate a resident ID or raise a 422 naming `id_number` with the exact fault."""
    try:
        return resident_id.parse(number, clock.today())
    except resident_id.InvalidResidentId as err:
        raise ValidationFailed(f"id_{err.reason}", _ID_ERRORS[err.reason], field="id_number") from None


def _set_identity(user: User, ident: resident_id.ResidentId) -> None:
    user.id_number_enc = crypto.encrypt(ident.number)
    user.id_number_hash = crypto.keyed_hash(ident.number)
    user.id_number_masked = resident_id.mask(ident.number)
    user.birth_date = ident.birth_date
    user.sex = ident.sex


def _ensure_unique(id_hash: str | None, phone: str | None, username: str) -> None:
    if id_hash and db.session.execute(db.select(User.id).filter_by(id_number_hash=id_hash)).first():
        raise Conflict("duplicate_id_number", _l("This resident ID is already registered."), field="id_number")
    if phone and db.session.execute(db.select(User.id).filter_by(phone=phone)).first():
        raise Conflict("duplicate_phone", _l("This mobile number is already registered."), field="phone")
    if db.session.execute(db.select(User.id).filter_by(username=username)).first():
        raise Conflict("duplicate_username", _l("This username is taken."), field="username")


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not 2 <= len(name) <= 64:
        raise ValidationFailed("invalid_name", _l("Enter the real name as on the ID card."), field="name")
    return name


def _save_new_user(user: User) -> User:
    db.session.add(user)
    # Two registrations may race past the checks: the unique constraints decide.
    commit_unique("duplicate", _l("This person or mobile number is already registered."))
    return user


def register_patient(name: str, id_number: str, phone: str, password: str) -> User:
    """Create a real-name patient account; the mobile number is the username."""
    name = _check_name(name)
    ident = parse_resident_id(id_number)
    phone = check_phone(phone)
    check_password_strength(password)
    _ensure_unique(crypto.keyed_hash(ident.number), phone, phone)
    user = User(username=phone, role=Role.PATIENT, name=name, phone=phone, password_hash=hash_password(password))
    _set_identity(user, ident)
    _save_new_user(user)
    audit.record(user.id, user.id, "create", "patient", user.id, fields=["name", "id_number", "phone"])
    db.session.commit()
    return user


def create_staff(
    username: str, role: str, name: str, password: str, phone: str | None = None, id_number: str | None = None
) -> User:
    """An administrator creates a doctor, pharmacist, dispatcher or administrator account."""
    if role not in STAFF_ROLES:
        raise ValidationFailed("invalid_role", _l("Choose a staff role."), field="role")
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationFailed(
            "invalid_username", _l("Use 3-32 lower-case letters, digits, dot, dash or underscore."), field="username"
        )
    name = _check_name(name)
    phone = check_phone(phone) if phone else None
    ident = parse_resident_id(id_number) if id_number else None
    check_password_strength(password)
    _ensure_unique(crypto.keyed_hash(ident.number) if ident else None, phone, username)
    user = User(username=username, role=role, name=name, phone=phone, password_hash=hash_password(password))
    if ident:
        _set_identity(user, ident)
    return _save_new_user(user)


def authenticate(username: str, password: str) -> User:
    """The user for these credentials, or a 401 that does not tell which part was wrong."""
    user = db.session.execute(db.select(User).filter_by(username=(username or "").strip())).scalar_one_or_none()
    if user is None or not user.active or not check_password_hash(user.password_hash, password or ""):
        raise Unauthorized("bad_credentials", _l("Wrong username or password."))
    return user


def user_for_token(token: str) -> User | None:
    """The active user a valid, unexpired, unrevoked bearer token belongs to."""
    return sessions.for_token(token)[1]


def change_password(user: User, old_password: str, new_password: str) -> None:
    """The user changes his password (the old one is required); every session of his ends."""
    if not check_password_hash(user.password_hash, old_password or ""):
        raise ValidationFailed("wrong_password", _l("The current password is wrong."), field="old_password")
    check_password_strength(new_password, field="new_password")
    if check_password_hash(user.password_hash, new_password):
        raise ValidationFailed(
            "same_password", _l("Choose a password different from the current one."), field="new_password"
        )
    _set_password(user, new_password, must_change=False)
    audit.record(user.id, user.id if user.role == Role.PATIENT else None, "update", "password", user.id)
    db.session.commit()
    sessions.revoke_all(user.id)


def reset_password(admin: User, user_id: int, temporary_password: str | None = None) -> str:
    """An administrator sets a temporary password; the user must change it at his next login.
    Returns the temporary password (generated when none is given) to hand to the user."""
    user = get_user(user_id)
    temporary = temporary_password or _temporary_password()
    check_password_strength(temporary, field="temporary_password")
    _set_password(user, temporary, must_change=True)
    audit.record(admin.id, user.id if user.role == Role.PATIENT else None, "reset", "password", user.id)
    db.session.commit()
    sessions.revoke_all(user.id)
    return temporary


def _temporary_password() -> str:
    """Letters and digits a person can read out: 10 characters with both kinds."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(6)) + f"{secrets.randbelow(10_000):04d}"


def _set_password(user: User, password: str, must_change: bool) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.password_changed_at = clock.now()


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", _l("No such user."))
    return user


def set_preferences(user: User, locale: str | None = None, elder_mode: bool | None = None) -> User:
    """Remember the language and elder mode per user."""
    if locale is not None:
        if locale not in current_app.config["LANGUAGES"]:
            raise ValidationFailed("invalid_locale", _l("Unknown language."), field="locale")
        user.locale = locale
    if elder_mode is not None:
        user.elder_mode = bool(elder_mode)
    db.session.commit()
    return user


def list_staff(role: str | None = None) -> list[User]:
    query = db.select(User).where(User.role.in_([r.value for r in STAFF_ROLES])).order_by(User.id)
    if role:
        query = query.where(User.role == role)
    return list(db.session.execute(query).scalars())


def set_active(user_id: int, active: bool) -> User:
    user = get_user(user_id)
    user.active = active
    db.session.commit()
    signals.user_access_changed.send(user.id, role=user.role, active=user.active)
    if not active:  # a deactivated user keeps no session, and his sockets are closed
        sessions.revoke_all(user.id)
    return user


# Roles an administrator may give an existing staff account here (a doctor needs his department
# and title, so doctors are created on the Doctors page, not made from another role).
ASSIGNABLE_ROLES = (Role.PHARMACIST, Role.DISPATCHER, Role.ADMIN)


def change_access(admin: User, user_id: int, role: str | None = None, active: bool | None = None) -> User:
    """An administrator changes a staff member's role or (de)activates him. Takes effect at once:
    his next request is served with the new role, his sockets leave every room the new role may
    not be in (core.signals.user_access_changed), and a deactivated user loses every session."""
    user = get_user(user_id)
    field = "active" if active is not None else "role"
    if user.id == admin.id:
        message = _l("Another administrator must change your own role or access.")
        raise Conflict("own_account", message, field=field)
    if not user.is_staff:
        raise ValidationFailed("not_staff", _l("Only staff accounts have a role to change."), field="user_id")
    if role is not None and role != user.role and role not in ASSIGNABLE_ROLES:
        message = _l("Choose a pharmacist, dispatcher or administrator role.")
        raise ValidationFailed("invalid_role", message, field="role")
    before = (user.role, user.active)
    user.role = role or user.role
    user.active = user.active if active is None else bool(active)
    if (user.role, user.active) == before:
        return user
    if before == (Role.ADMIN, True) and not _another_active_admin(user.id):
        # the hospital must never be left without someone who can manage its staff
        db.session.rollback()
        raise Conflict(
            "last_admin", _l("The last active administrator cannot be deactivated or given another role."), field=field
        )
    audit.record(admin.id, None, "update", "access", user.id, role=user.role, active=user.active, was=before[0])
    db.session.commit()
    signals.user_access_changed.send(user.id, role=user.role, active=user.active)
    if not user.active:
        sessions.revoke_all(user.id)
    return user


def _another_active_admin(user_id: int) -> bool:
    query = db.select(User.id).where(User.role == Role.ADMIN, User.active.is_(True), User.id != user_id).limit(1)
    return db.session.execute(query).first() is not None


def get_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def get_by_username(username: str) -> User | None:
    return db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()


# Where a staff member works (a pharmacy, a hospital), told by the domains that know it; core
# names no domain, so the composition root registers the providers.
_workplace_providers: list[Callable[[User], dict | None]] = []


def register_workplace_provider(provider: Callable[[User], dict | None]) -> None:
    if provider not in _workplace_providers:
        _workplace_providers.append(provider)


def workplace_of(user: User) -> dict | None:
    """The first provider's answer for this user (None for patients and the unassigned)."""
    for provider in _workplace_providers:
        found = provider(user)
        if found:
            return found
    return None


def me(user: User) -> User:
    """The logged-in user with his workplace, for /api/me."""
    user.workplace = workplace_of(user)
    return user
