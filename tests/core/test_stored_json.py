"""JSON columns are written by orjson (issue #13: a paid order writes three of them) and hold
what Python's encoder let them hold, no more; the field-encryption key is derived once per
DATA_KEY, and apps with different keys still cannot read each other's fields."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import text

from core import crypto
from core.extensions import db
from core.json_provider import stored_text, stored_value
from core.models import Notification, User


def test_a_value_reads_back_as_it_was_written():
    value = {"text": "血压 130/80", "n": 3, "ok": True, "none": None, "list": [1, 2.5, "三"], "nested": {"a": []}}
    written = stored_text(value)
    assert stored_value(written) == value == json.loads(written)
    assert "血压" in written  # text outside ASCII is kept as itself: the same JSON value
    assert stored_value(json.dumps(value)) == value  # what Python's encoder wrote reads alike


def test_keys_that_are_not_strings_are_written_as_pythons_encoder_wrote_them():
    assert stored_value(stored_text({2: "a", True: "b", None: "c"})) == {"2": "a", "true": "b", "null": "c"}
    assert stored_value(stored_text({"big": 2**63 + 5})) == {"big": 2**63 + 5}  # within 64 bits: exact


def test_an_integer_orjson_would_read_back_as_a_float_is_refused():
    with pytest.raises(TypeError):
        stored_text({"big": 2**64 + 1})


def test_rows_pythons_encoder_wrote_are_read_whatever_orjson_reads():
    assert stored_value(json.dumps({"s": "\ud800"})) == {"s": "\ud800"}  # an escaped lone surrogate
    assert stored_value(stored_text({"s": "\ud800"})) == {"s": "\ud800"}
    assert math.isnan(stored_value('{"x": NaN}')["x"])
    assert stored_value(stored_text({"x": float("nan")})) == {"x": None}  # orjson writes JSON's null


@dataclass
class _Thing:
    name: str


@pytest.mark.parametrize("refused", [datetime.now(UTC), _Thing("x"), object(), {(1, 2): "tuple key"}])
def test_what_pythons_encoder_refused_is_refused(refused):
    with pytest.raises(TypeError):
        json.dumps({"v": refused})
    with pytest.raises(TypeError):
        stored_text({"v": refused})


def test_a_json_column_is_stored_by_the_engines_serializer(demo_app):
    """On SQLite (the text as stored is read back raw; PostgreSQL's json type hands psycopg the
    same serializer through SQLAlchemy's dialect)."""
    with demo_app.app_context():
        user = db.session.execute(db.select(User).limit(1)).scalar_one()
        row = Notification(user_id=user.id, event="test.json", payload={"text": "续方已支付", "id": 7})
        db.session.add(row)
        db.session.commit()
        stored = db.session.execute(text("SELECT payload FROM notifications WHERE id = :id"), {"id": row.id}).scalar()
        assert stored == '{"text":"续方已支付","id":7}'  # orjson's text: compact, UTF-8
        db.session.expire_all()
        assert db.session.get(Notification, row.id).payload == {"text": "续方已支付", "id": 7}


def _app_with_key(key: str) -> Flask:
    app = Flask(__name__)
    app.config["DATA_KEY"] = key
    return app


def test_each_data_key_encrypts_for_itself_and_is_derived_once():
    first, second = _app_with_key("key-one"), _app_with_key("key-two")
    with first.app_context():
        token = crypto.encrypt("350102199001011234")
        hashed = crypto.keyed_hash("350102199001011234")
        assert crypto._fernet() is crypto._fernet()  # made once for this key
        assert crypto.decrypt(token) == "350102199001011234"
    with second.app_context():
        assert crypto.keyed_hash("350102199001011234") != hashed
        with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidToken
            crypto.decrypt(token)
    with first.app_context():
        assert crypto.decrypt(token) == "350102199001011234"
