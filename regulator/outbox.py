"""The outbox: a report row for every reportable change, written in the change's own transaction.

The state machines send `core.signals.status_changed` inside the caller's transaction. The
listener adds a pending report at once (so a rollback takes it away with the change), and just
before that transaction commits, its payload is built from the records as they then stand (the
service may still set the reviewer, the validity … after the status moved). Nothing here talks
to the platform: `regulator.sender` drains the outbox later, so a crash never loses a report.
"""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import clock
from core.extensions import db
from core.signals import status_changed
from regulator import reports
from regulator.models import RegulatorReport

_PENDING_KEY = "regulator_reports"


def new_msgid() -> str:
    """Unique and kept across retries: organisation code, local time, random tail (36 characters)."""
    org = current_app.config["REGULATOR_ORG_CODE"]
    return f"{org}{clock.local_now():%Y%m%d%H%M%S}{secrets.token_hex(5).upper()}"


def on_status_changed(kind: str, record_id: int, status: str) -> None:
    """Queue the reports this change makes, in the current session's transaction."""
    for report_type in reports.report_types_for(kind, record_id, str(status)):
        row = RegulatorReport(
            msgid=new_msgid(), report_type=report_type, record_id=record_id, occurred_at=clock.now(), payload={}
        )
        db.session.add(row)
        db.session.info.setdefault(_PENDING_KEY, []).append(row)


def _listener(sender: str, record_id: int, status: str, **_extra) -> None:
    on_status_changed(sender, record_id, status)


def _fill_payloads(session: Session) -> None:
    """Before commit: give each report of this transaction its payload (rolled-back ones are gone)."""
    rows = session.info.pop(_PENDING_KEY, [])
    for row in rows:
        if row in session:
            row.payload = reports.BUILDERS[row.report_type](row.record_id)


def _forget(session: Session, previous_transaction) -> None:
    """A rollback of the whole transaction drops its reports (they were never committed)."""
    if not previous_transaction.nested:
        session.info.pop(_PENDING_KEY, None)


status_changed.connect(_listener, weak=False)
event.listen(Session, "before_commit", _fill_payloads)
event.listen(Session, "after_soft_rollback", _forget)
