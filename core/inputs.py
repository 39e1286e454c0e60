"""Limits on what a request body may be, checked before anything parses it.

A JSON body is at most MAX_JSON_BYTES (413 beyond) and nested at most MAX_JSON_DEPTH deep (422
beyond): Python's JSON parser and encoder recurse, so a body of ten thousand brackets raised a
RecursionError (a 500) in whatever touched it first (webargs, the idempotency fingerprint).
The depth is counted on the raw bytes with the strings taken out, without parsing.
"""

from __future__ import annotations

import re
from itertools import accumulate

from flask import request
from flask_babel import lazy_gettext as _l

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
