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


def overview(limit: int = 50) -> Overview:
    """Counts by status, the latest reports of each status, the latest reconciliation per day."""
    query = db.select(RegulatorReport.status, db.func.count()).group_by(RegulatorReport.status)
    totals = dict.fromkeys(S, 0) | {row[0]: row[1] for row in db.session.execute(query).all()}
    return Overview(
        totals,
        reports(S.FAILED, limit),
        reports(S.PENDING, limit),
        reports(S.SENT, limit),
        reconciliation.latest_results(),
        clock.today(),
    )


def reports(status: str | None, limit: int = 50) -> list[RegulatorReport]:
    """The latest reports, newest first, of one status or all."""
    query = db.select(RegulatorReport).order_by(RegulatorReport.id.desc()).limit(limit)
    return list(db.session.execute(query.filter_by(status=status) if status else query).scalars())


def send_now() -> sender.DrainResult:
    """The administrator does not wait for the next round: everything pending goes now."""
    return sender.send_due(waiting_too=True)
