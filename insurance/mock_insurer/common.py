"""What the mock insurer's handlers share: refusals and lost races."""

from __future__ import annotations


class Refusal(Exception):
    """A business refusal: answered with infcode -1 and stored like any answer."""

    def __init__(self, code: str, text: str):
        super().__init__(f"[{code}] {text}")
        self.err_msg = f"[{code}] {text}"


class StaleRow(Exception):
    """A conditional update found the row changed by someone else: redo from a fresh read."""
