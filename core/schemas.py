"""Schemas shared by every domain: aware local times, users with masked identity, errors."""

from __future__ import annotations

from marshmallow import Schema, fields

from core import clock
from core.fields import BoundedInt


class LocalDateTime(fields.DateTime):
    """Serialises aware datetimes as ISO 8601 in the hospital's time zone (with offset)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else clock.to_local(value).isoformat()


class UserSchema(Schema):
    """A user as others may see him: the resident ID number is always masked."""

    id = fields.Int(dump_only=True)
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


class RegisterSchema(Schema):
    name = fields.Str(required=True, metadata={"description": "Real name as on the resident ID card"})
    id_number = fields.Str(required=True, metadata={"description": "18-digit resident ID (GB 11643)"})
    phone = fields.Str(required=True, metadata={"description": "Mainland mobile number; the username"})
    password = fields.Str(required=True, load_only=True)


class LoginSchema(Schema):
    username = fields.Str(required=True, metadata={"description": "Mobile number (patients) or staff username"})
    password = fields.Str(required=True, load_only=True)


class TokenSchema(Schema):
    token = fields.Str()
    expires_at = LocalDateTime()
    user = fields.Nested(UserSchema)


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


class StaffQuerySchema(Schema):
    role = fields.Str(load_default=None)


class NotificationSchema(Schema):
    id = BoundedInt()
    event = fields.Str()
    payload = fields.Dict()
    created_at = LocalDateTime()
    read = fields.Bool()


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
