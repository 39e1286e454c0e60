"""What the mock insurer's handlers share: refusals, lost races, and how a resident ID is kept."""

from __future__ import annotations

import hashlib
import hmac


class Refusal(Exception):
    """A business refusal: answered with infcode -1 and stored like any answer."""

    def __init__(self, code: str, text: str):
        super().__init__(f"[{code}] {text}")
        self.code = code
        self.err_msg = f"[{code}] {text}"


class StaleRow(Exception):
    """A conditional update found the row changed by someone else: redo from a fresh read."""


def hmac_hex(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def mask(certno: str) -> str:
    """A resident ID as the insurer shows it: first 4 and last 4 characters."""
    return certno[:4] + "*" * (len(certno) - 8) + certno[-4:]
