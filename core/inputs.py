"""Limits on what a request body may be, checked before anything parses it.

A JSON body is at most MAX_JSON_BYTES (413 beyond) and nested at most MAX_JSON_DEPTH deep (422
beyond): Python's JSON parser and encoder recurse, so a body of ten thousand brackets raised a
RecursionError (a 500) in whatever touched it first (webargs, the idempotency fingerprint).
The depth is counted on the raw bytes with the strings taken out, without parsing.

Arguments (`@blp.arguments(SomeSchema)`) are parsed with one instance per schema class.
"""

from __future__ import annotations

import re
from itertools import accumulate

from flask import request
from flask_babel import lazy_gettext as _l
from flask_smorest.arguments import ArgumentsMixin
from marshmallow import Schema
from webargs.flaskparser import FlaskParser

from core.errors import AppError, ValidationFailed

MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[^\[\]{}]")
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class PayloadTooLarge(AppError):
    status = 413
    default_reason = "payload_too_large"


def json_depth(raw: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (strings do not count)."""
    brackets = _BRACKETS.sub(b"", _STRING.sub(b"", raw))
    return max(accumulate(_STEP[c] for c in brackets), default=0)


def check_json_body() -> None:
    """before_request: refuse a JSON body that is too big or too deeply nested."""
    if request.method in _BODILESS or not request.is_json:  # the method first: is_json parses a header
        return
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise PayloadTooLarge("payload_too_large", _l("The request body is too large."))
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise PayloadTooLarge("payload_too_large", _l("The request body is too large."))
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise ValidationFailed("too_deeply_nested", _l("The request body is nested too deeply."), field="_schema")


class SchemaReusingParser(FlaskParser):
    """webargs' Flask parser, loading with one instance per schema class. flask-smorest hands it
    the class given to `@blp.arguments(SomeSchema)`, and webargs built an instance of it for
    every request (about 15 µs for a list's two query fields); loading keeps no state in the
    schema, so one instance serves every request, as flask-smorest's response schemas do."""

    def parse(self, argmap, req=None, **kwargs):
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            argmap = _schemas.get(argmap) or _schemas.setdefault(argmap, argmap())
        return super().parse(argmap, req, **kwargs)


_schemas: dict[type, Schema] = {}


def reuse_argument_schemas() -> None:
    """Make flask-smorest's one shared parser a SchemaReusingParser. Its views were decorated at
    import with that very instance, so it is changed in place (same state, one method more)."""
    parser = ArgumentsMixin.ARGUMENTS_PARSER
    if type(parser) is FlaskParser:
        parser.__class__ = SchemaReusingParser
