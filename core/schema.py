"""The project's marshmallow `Schema`: every schema of the platform derives from it.

It changes one thing, how an answer is dumped. marshmallow reaches a field's value through five
calls (`Field.serialize` → `Field.get_value` → `Schema.get_attribute` → `utils.get_value` →
`utils._get_value_for_key`) before the field formats it; for a list of consultations that was a
quarter of the Python calls of the whole request. For an object that is not a mapping (an ORM
object, a row shaped by `core.rows`) and a field read by its plain attribute name, those calls
come down to `getattr(obj, name, missing)`: the dump plan does exactly that and hands the value
to the field's own `_serialize`, so every field formats its value as marshmallow would; a value
the field would print as it is (a str for a String, an int for an Integer, anything for a
Boolean) is not handed to it at all. Mappings, dotted attributes, fields that compute their value
(`Method`, `Function`, `Constant`) and fields or schemas that override how a value is reached
keep marshmallow's own path. tests/core/test_schema_dump.py holds every answer equal to
marshmallow's own.
"""

from __future__ import annotations

import typing

import marshmallow
from marshmallow import fields
from marshmallow.utils import missing


class _Step(typing.NamedTuple):
    attr_name: str  # the field's name in the schema (what marshmallow passes to _serialize)
    key: str  # the key of the answer
    attribute: str | None  # the attribute read directly, or None: marshmallow's own path
    field: fields.Field
    kept: frozenset[type] | None  # the types the field prints unchanged (None: every value)


_NONE = type(None)


def _kept_unchanged(field: fields.Field) -> frozenset[type] | None:
    """The value types whose printed form is the value itself, so the field need not be called:
    marshmallow's base `_serialize` (Boolean, Raw) returns every value as it is; a String a str;
    an Integer or Float its own number type; each of them None as None. Any other field (a
    subclass formatting on its own, as_string numbers) is always called."""
    formats = type(field)._serialize
    if formats is fields.Field._serialize:
        return None
    if formats is fields.String._serialize:
        return frozenset({str, _NONE})
    if (
        formats is fields.Number._serialize
        and type(field)._format_num is fields.Number._format_num
        and not field.as_string
        and field.num_type in (int, float)
    ):
        return frozenset({field.num_type, _NONE})
    return frozenset()


def _reads_plain_attribute(schema: marshmallow.Schema, field: fields.Field, attribute: str) -> bool:
    kind = type(field)
    return (
        field._CHECK_ATTRIBUTE
        and "." not in attribute
        and kind.serialize is fields.Field.serialize
        and kind.get_value is fields.Field.get_value
        and type(schema).get_attribute is marshmallow.Schema.get_attribute
    )


class Schema(marshmallow.Schema):
    """A marshmallow schema whose dump reads plain attributes directly (see the module)."""

    def _dump_plan(self) -> tuple[_Step, ...]:
        # dump_fields are fixed once the schema instance is built (only/exclude included).
        plan = self.__dict__.get("_plan")
        if plan is None:
            steps = []
            for attr_name, field in self.dump_fields.items():
                attribute = field.attribute if field.attribute is not None else attr_name
                direct = attribute if _reads_plain_attribute(self, field, attribute) else None
                key = field.data_key if field.data_key is not None else attr_name
                steps.append(_Step(attr_name, key, direct, field, _kept_unchanged(field)))
            plan = self.__dict__["_plan"] = tuple(steps)
        return plan

    def _serialize(self, obj: typing.Any, *, many: bool = False):
        if many and obj is not None:
            return [self._serialize(each) for each in obj]
        if hasattr(obj, "__getitem__"):  # a mapping or a sequence: marshmallow's own lookup
            return super()._serialize(obj)
        answer = self.dict_class()
        for attr_name, key, attribute, field, kept in self._dump_plan():
            if attribute is None:
                value = field.serialize(attr_name, obj, accessor=self.get_attribute)
            else:
                value = getattr(obj, attribute, missing)
                if value is missing:
                    default = field.dump_default
                    value = default() if callable(default) else default
                    if value is missing:
                        continue
                if kept is not None and type(value) not in kept:
                    value = field._serialize(value, attr_name, obj)
            if value is not missing:
                answer[key] = value
        return answer
