"""Faults the mock platform can be told to show: down, slow, server errors, answers dropped."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, fields


@dataclass
class Faults:
    down: bool = False  # answer every report and count query with 503, storing nothing
    delay_ms: int = 0  # wait before handling a message (a slow platform)
    fail_next: int = 0  # answer the next N reports with 500, storing nothing
    drop_next: int = 0  # store the next N reports, then drop the connection without an answer


class FaultSwitch:
    """The current faults, set at start (REGULATOR_MOCK_FAULTS) or at POST /admin/faults."""

    def __init__(self, initial: dict | None = None):
        self._lock = threading.Lock()
        self._faults = Faults()
        if initial:
            self.update(initial, replace=True)

    def update(self, values: dict, replace: bool = False) -> dict:
        """Merge (or replace) the faults; unknown keys are ignored."""
        known = {f.name for f in fields(Faults)}
        with self._lock:
            base = {} if replace else asdict(self._faults)
            base.update({k: v for k, v in values.items() if k in known})
            self._faults = Faults(**base)
            return asdict(self._faults)

    def current(self) -> dict:
        with self._lock:
            return asdict(self._faults)

    def before(self) -> int | None:
        """Wait if slow; the status to answer instead of working (503 down, 500 failing), if any."""
        with self._lock:
            faults = self._faults
            failing = not faults.down and faults.fail_next > 0
            if failing:
                faults.fail_next -= 1
        if faults.delay_ms:
            time.sleep(faults.delay_ms / 1000)
        if faults.down:
            return 503
        return 500 if failing else None

    def drop_after(self) -> bool:
        """Should the answer to this (stored) report be lost? Consumes one drop_next."""
        with self._lock:
            if self._faults.drop_next > 0:
                self._faults.drop_next -= 1
                return True
            return False
