"""API of the drug catalogue: search as you type."""

from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import roles_required
from core.models import Role
from hospital.api.remembered import remembered
from hospital.models.formulary import Drug
from hospital.schemas.formulary import DrugQuerySchema, DrugSchema
from hospital.services import formulary

blp = Blueprint("formulary", __name__, url_prefix="/api", description="The drug catalogue")


@blp.get("/drugs")
@roles_required(Role.DOCTOR, Role.PHARMACIST, Role.ADMIN)
@remembered(Drug)
@blp.arguments(DrugQuerySchema, location="query")
@blp.response(200, DrugSchema(many=True))
def search_drugs(query):
    """Drugs matching `q`: Chinese name, generic name, pinyin or pinyin initials (`aldp` → 氨氯地平)."""
    return formulary.search_drugs(query["q"], query["limit"])


@blp.get("/drugs/<code>")
@roles_required(Role.DOCTOR, Role.PHARMACIST, Role.ADMIN)
@blp.response(200, DrugSchema)
def get_drug(code):
    return formulary.get_drug(code)
