"""Schemas of the address book API."""

from __future__ import annotations

from marshmallow import fields

from core.schema import Schema


class AddressInSchema(Schema):
    """A new address; every field is checked together and each wrong one named in `errors.json`."""

    recipient = fields.Str(load_default="", metadata={"description": "Who receives the parcel (2-64 characters)"})
    mobile = fields.Str(load_default="", metadata={"description": "11-digit mainland mobile number, 1xxxxxxxxxx"})
    province = fields.Str(load_default="")
    city = fields.Str(load_default="")
    district = fields.Str(load_default="")
    detail = fields.Str(load_default="", metadata={"description": "Street, building and room (5-200 characters)"})
    make_default = fields.Bool(load_default=False, metadata={"description": "Choose it first from now on"})


class SavedAddressSchema(Schema):
    id = fields.Int()
    recipient = fields.Str()
    mobile = fields.Str()
    province = fields.Str()
    city = fields.Str()
    district = fields.Str()
    detail = fields.Str()
    is_default = fields.Bool()
