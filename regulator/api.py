"""The regulator's feed for administrators' tools: reports by status, send now, send a refused
report again, reconcile a day and read the results."""

from __future__ import annotations

from flask_smorest import Blueprint

from core import clock
from core.auth import current_user, roles_required
from core.models import Role
from regulator import admin, sender
from regulator import reconcile as reconciliation
from regulator.schemas import (
    RegulatorDrainSchema,
    RegulatorReconcileInputSchema,
    RegulatorReconciliationSchema,
    RegulatorReportQuerySchema,
    RegulatorReportSchema,
)

blp = Blueprint(
    "regulator",
    __name__,
    url_prefix="/api/regulator",
    description="Reports to the provincial supervision platform (administrators)",
)


@blp.get("/reports")
@roles_required(Role.ADMIN)
@blp.arguments(RegulatorReportQuerySchema, location="query")
@blp.response(200, RegulatorReportSchema(many=True))
def list_reports(query):
    """The latest reports, newest first, optionally of one status (pending, sent, failed)."""
    return admin.reports(query["status"], query["limit"])


@blp.post("/reports/send")
@roles_required(Role.ADMIN)
@blp.response(200, RegulatorDrainSchema)
def send_now():
    """Send every pending report now (message ids of those sent, refused, and left to retry)."""
    return admin.send_now()


@blp.post("/reports/<int:report_id>/retry")
@roles_required(Role.ADMIN)
@blp.response(200, RegulatorReportSchema)
def retry(report_id: int):
    """Send a refused report again: its data rebuilt from the records, under its message id."""
    return sender.retry(report_id, current_user().id)


@blp.get("/reconciliations")
@roles_required(Role.ADMIN)
@blp.response(200, RegulatorReconciliationSchema(many=True))
def reconciliations():
    """The latest reconciliation of each day, newest day first."""
    return reconciliation.latest_results()


@blp.post("/reconciliations")
@roles_required(Role.ADMIN)
@blp.arguments(RegulatorReconcileInputSchema)
@blp.response(201, RegulatorReconciliationSchema)
def reconcile(data):
    """Compare a day's counts per report type with the platform's and keep the result."""
    return reconciliation.reconcile(data["date"] or clock.today(), current_user().id)
