"""Drain the outbox: send each due report, retry with backoff, give up only on a refusal.

Runs every 30 seconds from the one process that runs periodic work (core.tasks) and as
`flask regulator send`. Two drains at once are harmless: a report keeps its message id across
every try, and the platform stores a message id once and answers a repeat with the same receipt;
our status changes are conditional updates, so the first answer recorded stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from core import audit, clock, tasks
from core.errors import Conflict, NotFound
from core.extensions import db
from core.transitions import conditional_move
from regulator import client, reports
from regulator.models import RegulatorReport
from regulator.models import ReportStatus as S

TRANSITIONS: dict[str, set[str]] = {
    S.PENDING: {S.PENDING, S.SENT, S.FAILED},  # pending → pending: a failed try, retried later
    S.FAILED: {S.PENDING},  # an administrator sends it again
    S.SENT: set(),
}


def move_to(report: RegulatorReport, status: str, **values) -> bool:
    """The only status change of a report: checked, and conditional on the status read, so that
    of two drains sending the same report only one records the answer. Says whether it won."""
    if status not in TRANSITIONS[report.status]:
        raise Conflict("illegal_transition", _l("This report cannot be sent again now."))
    return conditional_move(report, status, **values)


def envelope(report: RegulatorReport) -> dict:
    """The message as the platform receives it (the same every time this report is sent)."""
    return {
        "msgid": report.msgid,
        "org_code": current_app.config["REGULATOR_ORG_CODE"],
        "report_type": report.report_type,
        "occurred_at": reports.iso(report.occurred_at),
        "data": report.payload,
    }


def _backoff(attempts: int) -> timedelta:
    base, cap = current_app.config["REGULATOR_BACKOFF"], current_app.config["REGULATOR_BACKOFF_CAP"]
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


@dataclass
class DrainResult:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)


def _due(limit: int, waiting_too: bool) -> list[RegulatorReport]:
    query = db.select(RegulatorReport).where(RegulatorReport.status == S.PENDING)
    if not waiting_too:
        query = query.where(RegulatorReport.next_attempt_at <= clock.now())
    return list(db.session.execute(query.order_by(RegulatorReport.id).limit(limit)).scalars())


def _record(report: RegulatorReport, outcome: client.Outcome, attempts: int) -> None:
    now = clock.now()
    if outcome.kind == "accepted":
        move_to(report, S.SENT, attempts=attempts, sent_at=now, receipt_no=outcome.receipt_no, last_error="")
    elif outcome.kind == "rejected":
        move_to(report, S.FAILED, attempts=attempts, last_error=outcome.error, error_field=outcome.field)
    else:
        move_to(
            report, S.PENDING, attempts=attempts, last_error=outcome.error, next_attempt_at=now + _backoff(attempts)
        )


def send_one(report: RegulatorReport) -> client.Outcome:
    """Send one report and record the outcome (the HTTP call holds no transaction open)."""
    message, attempts = envelope(report), report.attempts + 1
    db.session.commit()  # end the read: nothing stays locked while the platform answers
    outcome = client.deliver(message)
    try:
        _record(report, outcome, attempts)
    except Conflict:  # another drain recorded this report's answer first: its answer stands
        db.session.rollback()
        return outcome
    db.session.commit()
    return outcome


def send_due(limit: int = 200, waiting_too: bool = False) -> DrainResult:
    """Send what is due (with `waiting_too`, also what waits out its backoff), oldest first; stop
    at the first try that could not reach the platform (the rest would fail the same way)."""
    result = DrainResult()
    for report in _due(limit, waiting_too):
        msgid = report.msgid
        outcome = send_one(report)
        if outcome.kind == "accepted":
            result.sent.append(msgid)
        elif outcome.kind == "rejected":
            result.failed.append(msgid)
        else:
            result.retrying.append(msgid)
            break
    return result


def retry(report_id: int, actor_id: int | None = None) -> RegulatorReport:
    """An administrator sends a refused report again: its payload is built anew from the records
    (someone may have corrected them), under the same message id (the platform stored nothing)."""
    report = db.session.get(RegulatorReport, report_id)
    if report is None:
        raise NotFound("report_not_found", _l("No such report."))
    if report.status != S.FAILED:  # pending ones go by themselves; sent ones are done
        raise Conflict("illegal_transition", _l("This report cannot be sent again now."))
    payload = reports.BUILDERS[report.report_type](report.record_id)
    if not move_to(report, S.PENDING, payload=payload, next_attempt_at=clock.now(), error_field=""):
        db.session.rollback()
        raise Conflict("illegal_transition", _l("This report cannot be sent again now."))
    audit.record(actor_id, None, "resend", "regulator_report", report.id, msgid=report.msgid)
    db.session.commit()
    return report


@tasks.every(30)
def send_reports() -> None:
    """The periodic drain (one process runs it; see core.tasks)."""
    send_due()
