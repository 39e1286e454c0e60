"""The administrators' insurance page: the day's settlements and the reconciliation."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from core import clock, nav
from core.auth import page_roles
from core.extensions import csrf
from core.models import Role
from insurance import admin
from insurance.gateway import in_process_insurer
from insurance.mock_insurer import pages as mock_insurer_pages

bp = Blueprint("insurance_pages", __name__, url_prefix="/admin/insurance")

# The insurer's authorisation page, served here when the insurer runs in this process. It is the
# insurer's form, not ours: the sealed request it carries is what guards it, not our CSRF token.
csrf.exempt(mock_insurer_pages.bp)


@mock_insurer_pages.bp.record_once
def _serve_in_process_insurer(state) -> None:
    """The page finds the in-process insurer (built on first use) when the gateway is in-process."""
    if state.app.config.get("INSURANCE_GATEWAY", "in-process") == "in-process":
        state.app.extensions["mock_insurer_provider"] = lambda: in_process_insurer(state.app)


nav.add_nav(Role.ADMIN, _l("Medical insurance"), "/admin/insurance", order=50)

STATUS_LABELS = {
    "pending": _l("Pending"),
    "settled": _l("Settled"),
    "failed": _l("Failed"),
    "unknown": _l("Unknown (being checked)"),
    "reversing": _l("Refunding"),
    "reversed": _l("Refunded"),
}
DIFFERENCE_LABELS = {
    "missing_at_insurer": _l("Missing at the insurer"),
    "missing_here": _l("Missing in our ledger"),
    "amount_mismatch": _l("Amounts differ"),
    "status_mismatch": _l("Status differs"),
    "unresolved": _l("Outcome still unknown here"),
}


def yuan(fen: int | None) -> str:
    """Fen shown as yuan with two decimals."""
    return "" if fen is None else f"{fen / 100:,.2f}"


def _day() -> date:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return clock.today()


@bp.get("")
@page_roles(Role.ADMIN)
def index():
    """The day's settlements and the reconciliation with the insurer."""
    view = admin.overview(_day())
    return render_template(
        "insurance/admin.html", view=view, yuan=yuan, status_labels=STATUS_LABELS, difference_labels=DIFFERENCE_LABELS
    )


@bp.post("/resolve")
@page_roles(Role.ADMIN)
def resolve():
    """Resolve unknown settlements, then show the page again."""
    results = admin.resolve()
    flash(gettext("%(count)s unknown settlements checked with the insurer.", count=len(results)))
    return redirect(url_for("insurance_pages.index", date=request.form.get("date") or None))
