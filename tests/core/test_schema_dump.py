"""core.schema.Schema dumps by its own plan (a plain attribute read directly, a value a field
prints as it is not handed to the field): every answer must be the one marshmallow's own dump
gives, field for field, for objects, shaped rows and mappings alike."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from types import SimpleNamespace

import marshmallow
import pytest
from marshmallow import fields
from marshmallow.utils import get_value

from core.fields import BoundedInt
from core.schema import Schema
from core.schemas import LocalDateTime
from tests.conftest import DEMO_PASSWORD


@pytest.fixture
def marshmallows_own(monkeypatch):
    """Within the fixture's use, every project schema dumps by marshmallow's own _serialize."""

    def use() -> None:
        monkeypatch.setattr(Schema, "_serialize", marshmallow.Schema._serialize)

    return use


class Colour(enum.StrEnum):
    RED = "red"


class Inner(Schema):
    code = fields.Str()
    weight = fields.Float()


class Everything(Schema):
    name = fields.Str()
    label = fields.Str(attribute="title", data_key="label_key")
    number = BoundedInt()
    counted = fields.Integer()
    as_text = fields.Integer(as_string=True, attribute="tally")
    flag = fields.Boolean()
    raw = fields.Raw()
    colour = fields.Str()  # a StrEnum: not a plain str, so the field prints it
    enum = fields.Enum(Colour, attribute="hue")
    when = LocalDateTime()
    day = fields.Date()
    inner = fields.Nested(Inner)
    inners = fields.List(fields.Nested(Inner))
    codes = fields.List(fields.Str())
    dotted = fields.Str(attribute="inner.code")
    method = fields.Method("_shout")
    function = fields.Function(lambda obj: len(get_value(obj, "codes") or []))
    absent = fields.Str()  # no such attribute: left out
    defaulted = fields.Str(attribute="nowhere", dump_default="fallback")
    called_default = fields.Integer(attribute="elsewhere", dump_default=lambda: 7)
    decimal = fields.Decimal(as_string=True)

    def _shout(self, obj):
        return (get_value(obj, "name") or "").upper()


def _objects():
    inner = SimpleNamespace(code="I10", weight=1.5)
    full = {
        "name": "张三",
        "title": "主任医师",
        "tally": 1,
        "hue": Colour.RED,
        "number": 2**40,
        "counted": True,  # a bool where an int is printed: the field must turn it into 1
        "flag": 1,
        "raw": {"a": [1, 2]},
        "colour": Colour.RED,
        "when": dt.datetime(2026, 12, 2, 8, 30, tzinfo=dt.UTC),
        "day": dt.date(2026, 12, 2),
        "inner": inner,
        "inners": [inner, SimpleNamespace(code=None, weight=2)],
        "codes": ["a", "b"],
        "decimal": decimal.Decimal("1.50"),
    }
    empty = dict.fromkeys(full)
    yield SimpleNamespace(**full)
    yield SimpleNamespace(**{**empty, "inner": None, "inners": [], "codes": None, "name": None})
    yield full  # a mapping takes marshmallow's own lookup


def test_every_kind_of_field_dumps_as_marshmallow_does(marshmallows_own):
    schema = Everything()
    ours = [schema.dump(obj) for obj in _objects()]
    listed = Everything(many=True).dump(list(_objects()))
    only = Everything(only=("name", "inner", "method")).dump(next(_objects()))
    marshmallows_own()
    theirs = [Everything().dump(obj) for obj in _objects()]
    assert ours == theirs and listed == theirs
    assert only == Everything(only=("name", "inner", "method")).dump(next(_objects()))
    assert ours[0]["as_text"] == "1" and ours[0]["counted"] == 1 and type(ours[0]["counted"]) is int
    assert ours[0]["colour"] == "red" and type(ours[0]["colour"]) is str
    assert "absent" not in ours[0] and ours[0]["defaulted"] == "fallback" and ours[0]["called_default"] == 7


ROLES = {"patient": "13800000004", "doctor": "doc28", "pharmacist": "pharm01", "dispatcher": "disp01", "admin": "admin"}


def _get_routes(app) -> list[str]:
    """Every GET of the API that takes no path argument (lists, profiles, references)."""
    return sorted(
        {
            rule.rule
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/")
            and "GET" in rule.methods
            and not rule.arguments
            and rule.rule not in CHANGES_WITH_EVERY_READ
        }
    )


# The audit log grows with every read (the reads of this test too): two reads never match.
CHANGES_WITH_EVERY_READ = {"/api/audit"}


def _answers(client, headers: dict, paths: list[str]) -> dict[str, bytes]:
    return {path: client.get(path, headers=headers).get_data() for path in paths}


@pytest.mark.parametrize("role", ROLES)
def test_every_answer_of_the_api_is_marshmallows_own(demo_app, demo_client, marshmallows_own, role):
    login = demo_client.post("/api/auth/login", json={"username": ROLES[role], "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {login.get_json()['token']}"}
    paths = _get_routes(demo_app)
    listed = _answers(demo_client, headers, paths)  # once first: opening the inbox marks it read
    for path in ("/api/consultations", "/api/prescriptions", "/api/orders"):  # and their single reads
        answer = demo_client.get(path, headers=headers)
        if answer.status_code == 200:
            paths += [f"{path}/{entry['id']}" for entry in answer.get_json()[:5]]
    ours = _answers(demo_client, headers, paths)
    marshmallows_own()
    theirs = _answers(demo_client, headers, paths)
    assert len(ours) > 20 and sum(len(body) for body in ours.values()) > 5_000
    assert listed.keys() <= ours.keys()
    for path in paths:
        assert ours[path] == theirs[path], path
