"""Faults the mock platform can be told to show: down, slow, server errors, answers dropped."""

from __future__ import annotations

from dataclasses import dataclass

from standins import faults


@dataclass
class Faults:
    down: bool = False  # answer every report and count query with 503, storing nothing
    delay_ms: int = 0  # wait before handling a message (a slow platform)
    fail_next: int = 0  # answer the next N reports with 500, storing nothing
    drop_next: int = 0  # store the next N reports, then drop the connection without an answer


class FaultSwitch(faults.FaultSwitch[Faults]):
    """The current faults, set at start (REGULATOR_MOCK_FAULTS) or at POST /admin/faults."""

    kind = Faults

    def before(self) -> int | None:
        """Wait if slow; the status to answer instead of working (503 down, 500 failing), if any."""
        now = self.settings()
        failing = not now.down and self.take("fail_next")
        faults.pause(now.delay_ms)
        if now.down:
            return 503
        return 500 if failing else None

    def drop_after(self) -> bool:
        """Should the answer to this (stored) report be lost? Consumes one drop_next."""
        return self.take("drop_next")
