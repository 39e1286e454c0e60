"""The administrators' dashboard page (charts drawn by the page script from the figures), its CSV
download, and the administrator's home section (today's figures at a glance)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, g, render_template, request
from flask_babel import lazy_gettext as _l

from core import nav
from core.auth import page_roles
from core.errors import AppError, ValidationFailed
from core.models import Role
from dashboard import figures

bp = Blueprint("dashboard_pages", __name__, url_prefix="/admin")

nav.add_nav(Role.ADMIN, _l("Dashboard"), "/admin/dashboard", order=5)


def _home(user) -> dict:
    return {"figures": figures.figures_for(user)}


nav.add_home_section(Role.ADMIN, "dashboard/_home.html", _home, order=10)


def _day(name: str) -> date | None:
    value = request.args.get(name) or ""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise ValidationFailed("invalid_date", _l("Enter a date as YYYY-MM-DD."), field=name) from None


@bp.get("/dashboard")
@page_roles(Role.ADMIN)
def dashboard():
    """Today's figures, or a chosen period's, drawn as charts with their tables."""
    try:
        data, error = figures.figures_for(g.user, _day("from"), _day("to")), None
    except AppError as err:
        data, error = figures.figures_for(g.user), err
    return render_template("dashboard/dashboard.html", f=data, error=error), (error.status if error else 200)


@bp.get("/dashboard.csv")
@page_roles(Role.ADMIN)
def dashboard_csv():
    data = figures.figures_for(g.user, _day("from"), _day("to"))
    name = f"figures-{data['first']}-{data['last']}.csv"
    return Response(
        figures.csv_text(data),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
