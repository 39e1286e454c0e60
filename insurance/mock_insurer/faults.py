"""Faults the mock insurer can be told to show: slowness, refusal, answers lost after charging."""

from __future__ import annotations

from dataclasses import dataclass, field

from standins import faults

REFUSAL = "[unavailable] 医保中心系统繁忙，请稍后再试 (injected fault)"


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


class FaultSwitch(faults.FaultSwitch[Faults]):
    """The current faults of one insurer instance, changed by config or the admin endpoint."""

    kind = Faults

    def uninsured(self, certno: str) -> bool:
        """Is this resident to be treated as not insured (the mock otherwise insures everyone)?"""
        refused = self.settings().uninsured
        return "*" in refused or certno.strip().upper() in {c.strip().upper() for c in refused}

    def before(self, infno: str) -> str | None:
        """Delay, then an error text when this message must fail (consuming one fail_next)."""
        now = self.settings()
        if not now.hits(infno):
            return None
        failing = now.fail or self.take("fail_next")
        faults.pause(now.delay_ms)
        return REFUSAL if failing else None

    def after(self, infno: str, response: dict, is_write: bool) -> None:
        """Delay the answer, or lose it (SimulatedTimeout) when a write is set to time out."""
        now = self.settings()
        if not now.hits(infno):
            return
        faults.pause(now.delay_after_ms)
        if is_write and now.timeout_after_charge:
            raise SimulatedTimeout(response, now.hang_ms)
