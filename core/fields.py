"""One bounded integer type for every id and counter the outside world sends us.

The databases store 64-bit integers; a bigger number in a path, a query or a body used to
reach the driver and come back as a 500 (SQLite: OverflowError, PostgreSQL: out of range).
Paths use `BoundedIntConverter` (registered as Flask's `int`, so `<int:id>` is bounded: a
number beyond the range matches no route, a 404); queries and bodies use `BoundedInt`, whose
range error is a 422 naming the field.
"""

from __future__ import annotations

from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` limited to what a BIGINT column holds; beyond it the route does not match (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(
            map,
            fixed_digits=fixed_digits,
            min=INT64_MIN if min is None and signed else (0 if min is None else min),
            max=INT64_MAX if max is None else max,
            signed=signed,
        )


class BoundedInt(fields.Integer):
    """An integer in the database's 64-bit range (422 naming the field beyond it)."""

    def __init__(self, *args, **kwargs):
        bounds = validate.Range(min=INT64_MIN, max=INT64_MAX)
        extra = kwargs.pop("validate", None)
        chain = [bounds] + (list(extra) if isinstance(extra, list | tuple) else [extra] if extra else [])
        super().__init__(*args, validate=chain, **kwargs)
