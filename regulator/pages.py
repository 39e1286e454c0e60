"""The administrators' page of the regulator's feed: what was sent, what waits, what was refused
and why, the daily reconciliations; buttons to send again, send now and reconcile a day."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from core import clock, nav
from core.auth import current_user, page_roles
from core.models import Role
from regulator import admin, client, sender
from regulator import reconcile as reconciliation

bp = Blueprint("regulator_pages", __name__, url_prefix="/admin/regulator")

nav.add_nav(Role.ADMIN, _l("Supervision reports"), "/admin/regulator", order=55)

PROBLEM_LABELS = {
    client.UNREACHABLE: _l("The platform could not be reached; it will be tried again."),
    client.TOO_SLOW: _l("The platform did not answer in time; it will be tried again."),
}
TYPE_LABELS = {
    "consultation_start": _l("Consultation started"),
    "consultation_end": _l("Consultation ended"),
    "referral": _l("Referral to an in-person visit"),
    "prescription_signed": _l("Prescription signed"),
    "prescription_reviewed": _l("Prescription reviewed by a pharmacist"),
    "prescription_dispensed": _l("Prescription dispensed"),
    "referral_booking": _l("In-person visit booked on referral"),
}


def _form_day() -> date:
    try:
        return date.fromisoformat(request.form.get("date", ""))
    except ValueError:
        return clock.today()


@bp.get("")
@page_roles(Role.ADMIN)
def index():
    """The feed at a glance."""
    return render_template(
        "regulator/admin.html", view=admin.overview(), type_labels=TYPE_LABELS, problem_labels=PROBLEM_LABELS
    )


@bp.post("/reports/<int:report_id>/retry")
@page_roles(Role.ADMIN)
def retry(report_id: int):
    """Send a refused report again (its content rebuilt from the records)."""
    report = sender.retry(report_id, current_user().id)
    flash(gettext("The report %(msgid)s will be sent again.", msgid=report.msgid))
    return redirect(url_for("regulator_pages.index"))


@bp.post("/send")
@page_roles(Role.ADMIN)
def send_now():
    """Send everything pending now instead of at the next round."""
    result = admin.send_now()
    flash(
        gettext(
            "Sent %(sent)s, refused %(failed)s, still waiting %(waiting)s.",
            sent=len(result.sent),
            failed=len(result.failed),
            waiting=len(result.retrying),
        )
    )
    return redirect(url_for("regulator_pages.index"))


@bp.post("/reconcile")
@page_roles(Role.ADMIN)
def reconcile():
    """Compare a day's counts with the platform's and keep the result."""
    result = reconciliation.reconcile(_form_day(), current_user().id)
    flash(
        gettext("%(day)s: the counts agree with the platform.", day=result.day.isoformat())
        if result.balanced
        else gettext("%(day)s: the counts do not agree with the platform.", day=result.day.isoformat())
    )
    return redirect(url_for("regulator_pages.index"))
