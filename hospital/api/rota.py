"""API of the rota: shifts (reading is public so patients see the next shifts; changes are admin's)."""

from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_user, roles_required
from core.models import Role
from hospital.schemas.rota import MyShiftQuerySchema, MyShiftSchema, ShiftQuerySchema, ShiftSchema, ShiftUpdateSchema
from hospital.services import rota

blp = Blueprint("rota", __name__, url_prefix="/api", description="Shift rotas of the online doctors")


@blp.get("/shifts")
@blp.arguments(ShiftQuerySchema, location="query")
@blp.response(200, ShiftSchema(many=True))
def list_shifts(query):
    """Shifts by department, doctor and days (`from`, `to`); `upcoming=true` for the next ones."""
    return rota.list_shifts(query["department"], query["doctor"], query["start"], query["end"], query["upcoming"])


@blp.get("/me/shifts")
@roles_required(Role.DOCTOR)
@blp.arguments(MyShiftQuerySchema, location="query")
@blp.response(200, MyShiftSchema(many=True))
def my_shifts(query):
    """The calling doctor's own shifts, days `from`..`to` (default this week and the next; at most 62 days)."""
    return rota.doctor_shifts(require_user().id, query["start"], query["end"])


@blp.post("/shifts")
@roles_required(Role.ADMIN)
@blp.arguments(ShiftSchema)
@blp.response(201, ShiftSchema)
def add_shift(data):
    """Put a doctor on a shift (administrators): 3 years of practice, no overlapping shift."""
    return rota.add_shift(data["doctor_id"], data["day"], data["kind"], data["capacity"])


@blp.patch("/shifts/<int:shift_id>")
@roles_required(Role.ADMIN)
@blp.arguments(ShiftUpdateSchema)
@blp.response(200, ShiftSchema)
def update_shift(data, shift_id):
    """Change a shift's capacity (administrators)."""
    return rota.update_shift(shift_id, data["capacity"])


@blp.delete("/shifts/<int:shift_id>")
@roles_required(Role.ADMIN)
@blp.response(204)
def remove_shift(shift_id):
    """Remove a shift that has not started (administrators)."""
    rota.remove_shift(shift_id)
