"""Schemas shared by every domain: aware local times, users with masked identity, errors."""

from __future__ import annotations

from flask import g
from marshmallow import fields, validate

from core import clock, notify
from core.fields import BoundedInt
from core.schema import Schema


class LocalDateTime(fields.DateTime):
    """Serialises aware datetimes as ISO 8601 in the hospital's time zone (with offset)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else clock.to_local(value).isoformat()


class UserSchema(Schema):
    """A user as others may see him: the resident ID number is always masked."""

    id = BoundedInt(dump_only=True)
    username = fields.Str()
    role = fields.Str()
    name = fields.Str()
    phone = fields.Str(allow_none=True)
    id_number = fields.Str(attribute="id_number_masked", dump_only=True, allow_none=True)
    birth_date = fields.Date(allow_none=True)
    sex = fields.Str(allow_none=True)
    locale = fields.Str(allow_none=True)
    elder_mode = fields.Bool()
    active = fields.Bool()
    must_change_password = fields.Bool(dump_only=True, metadata={"description": "Choose a new password first"})


class MeSchema(UserSchema):
    """The logged-in user, with where a staff member works."""

    workplace = fields.Dict(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "A pharmacist's or dispatcher's pharmacy_id, pharmacy_name, hospital_id, hospital_name"
        },
    )


class RegisterSchema(Schema):
    name = fields.Str(required=True, metadata={"description": "Real name as on the resident ID card"})
    id_number = fields.Str(required=True, metadata={"description": "18-digit resident ID (GB 11643)"})
    phone = fields.Str(required=True, metadata={"description": "Mainland mobile number; the username"})
    password = fields.Str(required=True, load_only=True)


class LoginSchema(Schema):
    username = fields.Str(required=True, metadata={"description": "Mobile number (patients) or staff username"})
    password = fields.Str(required=True, load_only=True)


class TokenSchema(Schema):
    token = fields.Str(metadata={"description": "Bearer token for the Authorization header"})
    expires_at = LocalDateTime()
    refresh_token = fields.Str(metadata={"description": "Exchange at /api/auth/refresh for a new pair (once)"})
    refresh_expires_at = LocalDateTime()
    user = fields.Nested(UserSchema)


class RefreshSchema(Schema):
    refresh_token = fields.Str(required=True, validate=validate.Length(max=200))


class PasswordChangeSchema(Schema):
    old_password = fields.Str(required=True, load_only=True, validate=validate.Length(max=200))
    new_password = fields.Str(required=True, load_only=True, validate=validate.Length(max=200))


class PasswordResetSchema(Schema):
    temporary_password = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "Leave out to have one generated"},
    )


class PasswordResetResultSchema(Schema):
    user = fields.Nested(UserSchema)
    temporary_password = fields.Str(metadata={"description": "Hand to the user; he must change it at login"})


class SessionSchema(Schema):
    """One of the user's logins: a browser session or an API token."""

    id = BoundedInt(dump_only=True)
    kind = fields.Str(dump_only=True, metadata={"description": "browser or api"})
    created_at = LocalDateTime(dump_only=True)
    last_seen_at = LocalDateTime(dump_only=True)
    expires_at = LocalDateTime(dump_only=True)
    user_agent = fields.Str(dump_only=True, allow_none=True)
    ip = fields.Str(dump_only=True, allow_none=True)
    current = fields.Bool(dump_only=True, metadata={"description": "The session of this request"})


class PreferencesSchema(Schema):
    locale = fields.Str(metadata={"description": "zh or en"})
    elder_mode = fields.Bool()


class StaffCreateSchema(Schema):
    username = fields.Str(required=True)
    role = fields.Str(required=True, metadata={"description": "doctor, pharmacist, dispatcher or admin"})
    name = fields.Str(required=True)
    password = fields.Str(required=True, load_only=True)
    phone = fields.Str(load_default=None, allow_none=True)
    id_number = fields.Str(load_default=None, allow_none=True)


class StaffAccessSchema(Schema):
    role = fields.Str(load_default=None, metadata={"description": "pharmacist, dispatcher or admin"})
    active = fields.Bool(load_default=None, metadata={"description": "false: deactivated, every session ends"})


class StaffQuerySchema(Schema):
    role = fields.Str(load_default=None)


class NotificationSchema(Schema):
    id = BoundedInt()
    event = fields.Str()
    payload = fields.Dict()
    created_at = LocalDateTime()
    read = fields.Bool()
    notice = fields.Function(
        lambda n: notify.readable(n.event, n.payload or {}, getattr(g.get("user"), "role", None)).as_dict(),
        metadata={"description": "The notification in words, in the caller's language, with its link."},
    )


class MarkReadSchema(Schema):
    ids = fields.List(BoundedInt(), required=True)


class AuditQuerySchema(Schema):
    patient_id = BoundedInt(load_default=None, metadata={"description": "Only this patient's entries"})


class AuditEntrySchema(Schema):
    id = BoundedInt()
    at = LocalDateTime()
    actor_id = BoundedInt(allow_none=True)
    patient_id = BoundedInt(allow_none=True)
    action = fields.Str()
    object_type = fields.Str()
    object_id = fields.Str(allow_none=True)
    detail = fields.Dict(allow_none=True)
