"""Faults the mock insurer can be told to show: slowness, refusal, answers lost after charging."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field, fields


class SimulatedTimeout(Exception):
    """The work is done and committed, but the answer never reaches the caller."""

    def __init__(self, response: dict, hang_ms: int):
        super().__init__("answer lost after the work was committed")
        self.response = response
        self.hang_ms = hang_ms


@dataclass
class Faults:
    delay_ms: int = 0  # wait before handling a message
    delay_after_ms: int = 0  # wait after the work is committed, before answering
    fail: bool = False  # refuse every message (infcode -1), recording nothing
    fail_next: int = 0  # refuse only the next N messages
    timeout_after_charge: bool = False  # writes commit, then their answer is lost
    hang_ms: int = 10_000  # how long the HTTP server holds a lost answer before giving up
    infnos: list[str] = field(default_factory=list)  # the transactions hit; empty: all national ones
    uninsured: list[str] = field(default_factory=list)  # resident IDs refused as not insured; "*": everyone

    def hits(self, infno: str) -> bool:
        return not infno.startswith("M") and (not self.infnos or infno in self.infnos)


class FaultSwitch:
    """The current faults of one insurer instance, changed by config or the admin endpoint."""

    def __init__(self, initial: dict | None = None):
        self._lock = threading.Lock()
        self._faults = Faults()
        if initial:
            self.update(initial, replace=True)

    def update(self, values: dict, replace: bool = False) -> dict:
        """Set faults (merge, or replace all); unknown keys are ignored."""
        known = {f.name for f in fields(Faults)}
        with self._lock:
            base = {} if replace else asdict(self._faults)
            base.update({k: v for k, v in values.items() if k in known})
            self._faults = Faults(**base)
            return asdict(self._faults)

    def uninsured(self, certno: str) -> bool:
        """Is this resident to be treated as not insured (the mock otherwise insures everyone)?"""
        refused = self.current()["uninsured"]
        return "*" in refused or certno.strip().upper() in {c.strip().upper() for c in refused}

    def current(self) -> dict:
        with self._lock:
            return asdict(self._faults)

    def before(self, infno: str) -> str | None:
        """Delay, then an error text when this message must fail (consuming one fail_next)."""
        with self._lock:
            faults = self._faults
            failing = faults.hits(infno) and (faults.fail or faults.fail_next > 0)
            if failing and not faults.fail:
                faults.fail_next -= 1
        if faults.hits(infno) and faults.delay_ms:
            time.sleep(faults.delay_ms / 1000)
        return "[unavailable] 医保中心系统繁忙，请稍后再试 (injected fault)" if failing else None

    def after(self, infno: str, response: dict, is_write: bool) -> None:
        """Delay the answer, or lose it (SimulatedTimeout) when a write is set to time out."""
        faults = self.current()
        if not Faults(**faults).hits(infno):
            return
        if faults["delay_after_ms"]:
            time.sleep(faults["delay_after_ms"] / 1000)
        if is_write and faults["timeout_after_charge"]:
            raise SimulatedTimeout(response, faults["hang_ms"])
