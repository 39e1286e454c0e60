"""The dashboard's API: the day's or a period's figures, for administrators."""

from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_user
from core.models import Role
from dashboard import figures
from dashboard.schemas import FiguresSchema, PeriodQuerySchema

blp = Blueprint("statistics", __name__, url_prefix="/api", description="Figures of the day or a period")


@blp.get("/statistics")
@blp.arguments(PeriodQuerySchema, location="query")
@blp.response(200, FiguresSchema)
def get_statistics(query):
    """Consultations, waiting times, doctors on duty against the queue, prescriptions and reviews,
    orders and settlements, delivery times, for the local days `from`..`to` (today by default)."""
    return figures.figures_for(require_user(Role.ADMIN), query["from_"], query["to"])
