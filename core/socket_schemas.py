"""Schemas of Socket.IO event payloads, and the acknowledgement of one that does not fit.

Every event validates its payload here before anything else runs; a payload of the wrong shape
is acknowledged with the same error body as an HTTP 422 (`core.errors.error_body` plus the
webargs-style `errors.json` naming each field), so a client handles both the same way.
"""

from __future__ import annotations

import re

from flask_babel import gettext
from marshmallow import EXCLUDE, ValidationError, fields, validate

from core.errors import AppError, error_body
from core.schema import Schema

# The largest id the database stores (a signed 64-bit integer); beyond it nothing can exist.
MAX_ID = 2**63 - 1
MAX_ROOM = 80  # "consultation:<id>" and the like; a longer name is no room of ours
MAX_TEXT = 2000
MAX_CLIENT_ID = 64


def Id(**kwargs) -> fields.Integer:  # noqa: N802 (a field factory, read like a field class)
    """A positive database id within the 64-bit range (strict: "12" is not an id)."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def Counter(**kwargs) -> fields.Integer:  # noqa: N802
    """A sequence number or position: 0 up to the 64-bit range."""
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_ID), **kwargs)


_ROOM_NAME = re.compile(r"^[a-z][a-z0-9_-]*:[A-Za-z0-9_-]+$")


def _check_room(name: str) -> None:
    """A room is "kind:id"; a numeric id must fit the database (a huge one names no room)."""
    if not _ROOM_NAME.match(name):
        raise ValidationError("A room is named kind:id.")
    ident = name.partition(":")[2]
    if ident.isdigit() and int(ident) > MAX_ID:
        raise ValidationError(f"A room id is at most {MAX_ID}.")


def Room(**kwargs) -> fields.String:  # noqa: N802
    return fields.String(validate=[validate.Length(min=3, max=MAX_ROOM), _check_room], **kwargs)


class PayloadSchema(Schema):
    """An event's payload, judged on the keys its handler reads: other keys are dropped, not
    refused (room kinds and pages add keys of their own that only some handlers read)."""

    class Meta:
        unknown = EXCLUDE


class RoomSchema(PayloadSchema):
    """`join` / `leave`: a room name "kind:id"; kinds add their own keys (since, after)."""

    room = Room(required=True)
    since = Counter(load_default=None, allow_none=True)
    after = Counter(load_default=None, allow_none=True)


class ChatTargetSchema(PayloadSchema):
    """The room of a chat event: "room", or a kind's id key (consultation_id, case_id)."""

    room = Room()
    consultation_id = Id()
    case_id = Id()


class MessageSchema(ChatTargetSchema):
    text = fields.String(required=True, validate=validate.Length(max=MAX_TEXT))
    client_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_CLIENT_ID))


class TypingSchema(ChatTargetSchema):
    typing = fields.Boolean(load_default=True)


class ReadSchema(PayloadSchema):
    consultation_id = Id(required=True)
    seq = Counter(required=True)


class SignalSchema(PayloadSchema):
    room = Room(required=True)
    to = fields.Raw(required=True)  # a socket id or a user id; checked against the room's presence
    kind = fields.String(required=True, validate=validate.OneOf(["offer", "answer", "candidate"]))
    data = fields.Raw(load_default=None)


class CaseHandSchema(PayloadSchema):
    case_id = Id(required=True)
    raised = fields.Boolean(load_default=True)


class CaseFloorSchema(PayloadSchema):
    case_id = Id(required=True)
    user_id = Id(required=True)
    action = fields.String(load_default="give", validate=validate.OneOf(["give", "take"]))


class CaseShowSchema(PayloadSchema):
    case_id = Id(required=True)
    material_id = Id(required=True)


def load(schema: Schema, data) -> dict:
    """The payload as the schema reads it; raises InvalidPayload (a 422 acknowledgement)."""
    if not isinstance(data, dict):
        raise InvalidPayload({"_schema": ["Invalid input type."]})
    try:
        return schema.load(data)
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        raise InvalidPayload(messages) from None


class InvalidPayload(Exception):
    """A socket payload of the wrong shape, with marshmallow's messages per field."""

    def __init__(self, messages: dict):
        super().__init__("invalid payload")
        self.messages = messages


def invalid_ack(err: InvalidPayload) -> dict:
    """The acknowledgement of a payload of the wrong shape: the HTTP 422 body."""
    body = error_body(422, gettext("The request contains invalid data."), "invalid_payload")
    body["errors"] = {"json": err.messages}
    return {"ok": False, "error": "invalid_payload", **body}


def error_ack(err: AppError) -> dict:
    """The acknowledgement of a refused action: the HTTP error body of the same AppError."""
    body = error_body(err.status, err.render_message(), err.reason, err.field)
    return {"ok": False, "error": err.reason, **body}


def refused_ack(reason: str, status: int = 403, message: str | None = None) -> dict:
    """A refusal without an AppError (not in the room, not signed in)."""
    return {"ok": False, "error": reason, **error_body(status, message or reason, reason)}
