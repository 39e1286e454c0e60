"""What the administrators' page shows: reports sent, pending and refused, and the reconciliations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core import clock
from core.extensions import db
from regulator import reconcile as reconciliation
from regulator import sender
from regulator.models import RegulatorReconciliation, RegulatorReport
from regulator.models import ReportStatus as S


@dataclass(frozen=True)
class Overview:
    totals: dict[str, int]
    failed: list[RegulatorReport]
    pending: list[RegulatorReport]
    sent: list[RegulatorReport]
    reconciliations: list[RegulatorReconciliation]
    today: date


def _latest(status: str, limit: int) -> list[RegulatorReport]:
    query = db.select(RegulatorReport).filter_by(status=status).order_by(RegulatorReport.id.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def overview(limit: int = 50) -> Overview:
    """Counts by status, the latest reports of each status, the latest reconciliation per day."""
    query = db.select(RegulatorReport.status, db.func.count()).group_by(RegulatorReport.status)
    totals = dict.fromkeys(S, 0) | {row[0]: row[1] for row in db.session.execute(query).all()}
    return Overview(
        totals,
        _latest(S.FAILED, limit),
        _latest(S.PENDING, limit),
        _latest(S.SENT, limit),
        reconciliation.latest_results(),
        clock.today(),
    )


def send_now() -> sender.DrainResult:
    """The administrator does not wait for the next round: everything pending goes now."""
    return sender.send_due(waiting_too=True)
