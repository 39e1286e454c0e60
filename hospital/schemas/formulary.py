"""Schemas of the drug catalogue."""

from __future__ import annotations

from marshmallow import fields, validate

from core.fields import BoundedInt
from core.schema import Schema


class DrugQuerySchema(Schema):
    q = fields.Str(load_default=None, metadata={"description": "Chinese name, generic name, pinyin or initials (aldp)"})
    limit = BoundedInt(load_default=20, validate=validate.Range(min=1, max=50))


class DrugSchema(Schema):
    code = fields.Str()
    name_zh = fields.Str()
    name_zh_full = fields.Str()
    generic_en = fields.Str()
    pinyin = fields.Str()
    pinyin_initials = fields.Str()
    strength = fields.Str()
    form_zh = fields.Str()
    form_en = fields.Str()
    route = fields.Str()
    package_desc = fields.Str()
    package_unit_zh = fields.Str()
    package_unit_en = fields.Str()
    dose_unit = fields.Str()
    units_per_package = fields.Float(metadata={"description": "Amount of dose_unit in one package"})
    price_fen = BoundedInt(metadata={"description": "Price of one package in fen"})
    insurance_class = fields.Str(metadata={"description": "A, B or C"})
    max_daily_dose = fields.Float(allow_none=True)
    cold_chain = fields.Bool()
    special_control = fields.Str(allow_none=True, metadata={"description": "narcotic/psychotropic/toxic/radioactive"})
    antimicrobial = fields.Bool()
    classes = fields.List(fields.Str())
    ingredients = fields.List(fields.Str())
    allergen_groups = fields.List(fields.Str())
    default_frequency = fields.Str()
    default_dose = fields.Float(allow_none=True)
