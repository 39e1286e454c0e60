"""Faults a stand-in service can be told to show while it runs (slow, failing, answers lost), so
that the hospital's retries, time-outs and reconciliation are tested against real failures.

Each service names its own settings (a dataclass) and what they do to a message; the switch
holds the current settings for every thread of the service and hands out the "next N" counters
one at a time, so that two concurrent messages never both take the last one."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, fields
from dataclasses import replace as copy_of
from typing import Any, ClassVar, Generic, TypeVar

Settings = TypeVar("Settings")


class FaultSwitch(Generic[Settings]):
    """The current faults of one service instance, set at start or by its admin endpoint."""

    kind: ClassVar[type]  # the service's dataclass of fault settings, all with defaults

    def __init__(self, initial: dict | None = None):
        self._lock = threading.Lock()
        self._faults: Settings = self.kind()
        if initial:
            self.update(initial, replace=True)

    def update(self, values: dict[str, Any], replace: bool = False) -> dict:
        """Merge the given faults into the current ones (or reset the others); unknown keys are ignored."""
        known = {f.name for f in fields(self.kind)}
        with self._lock:
            base = {} if replace else asdict(self._faults)
            base.update({k: v for k, v in values.items() if k in known})
            self._faults = self.kind(**base)
            return asdict(self._faults)

    def current(self) -> dict:
        """The faults as the admin endpoint shows them."""
        with self._lock:
            return asdict(self._faults)

    def settings(self) -> Settings:
        """A copy of the current faults, for one message."""
        with self._lock:
            return copy_of(self._faults)

    def take(self, counter: str) -> bool:
        """Use up one of a "next N messages" counter (e.g. fail_next); False when none is left."""
        with self._lock:
            left = getattr(self._faults, counter)
            if left <= 0:
                return False
            self._faults = copy_of(self._faults, **{counter: left - 1})
            return True


def pause(ms: int) -> None:
    """Be slow: hold the message for `ms` milliseconds (nothing when 0)."""
    if ms:
        time.sleep(ms / 1000)
