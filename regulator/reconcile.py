"""The daily reconciliation: our count of each report type for a local day against the platform's."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app

from core import audit, clock
from core.extensions import db
from regulator import client, reports
from regulator.models import RegulatorReconciliation, RegulatorReport


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as a UTC range [start, end)."""
    start = datetime.combine(day, time(), tzinfo=clock.local_tz())
    return start, start + timedelta(days=1)


def our_counts(day: date) -> dict[str, int]:
    """Every report we owe the platform for events of that day, whatever its sending state."""
    start, end = day_bounds(day)
    query = (
        db.select(RegulatorReport.report_type, db.func.count())
        .where(RegulatorReport.occurred_at >= start, RegulatorReport.occurred_at < end)
        .group_by(RegulatorReport.report_type)
    )
    return {row[0]: row[1] for row in db.session.execute(query).all()}


def reconcile(day: date, actor_id: int | None = None) -> RegulatorReconciliation:
    """Compare and record the result (balanced only when every type's counts are equal)."""
    ours = our_counts(day)
    db.session.commit()  # no transaction held while the platform answers
    try:
        theirs = client.day_counts(current_app.config["REGULATOR_ORG_CODE"], day)
        error = ""
    except client.PlatformUnreachable as unreachable:
        theirs, error = {}, str(unreachable)
    types = [t for t in reports.REPORT_TYPES if t in ours or t in theirs] + sorted(
        set(ours) | set(theirs) - set(reports.REPORT_TYPES)
    )
    counts = {t: {"ours": ours.get(t, 0), "theirs": theirs.get(t, 0)} for t in types}
    balanced = not error and all(c["ours"] == c["theirs"] for c in counts.values())
    result = RegulatorReconciliation(day=day, balanced=balanced, counts=counts, error=error, checked_at=clock.now())
    db.session.add(result)
    audit.record(actor_id, None, "reconcile", "regulator_day", day.isoformat(), balanced=balanced)
    db.session.commit()
    return result


def latest_results(limit: int = 14) -> list[RegulatorReconciliation]:
    """The latest result per day, newest day first."""
    newest = db.select(db.func.max(RegulatorReconciliation.id)).group_by(RegulatorReconciliation.day)
    query = (
        db.select(RegulatorReconciliation)
        .where(RegulatorReconciliation.id.in_(newest))
        .order_by(RegulatorReconciliation.day.desc())
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())
