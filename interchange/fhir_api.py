"""The FHIR R4B read API under /fhir: CapabilityStatement, reads, search by patient and
Patient/$everything. JSON only (application/fhir+json); errors are OperationOutcomes."""

from __future__ import annotations

from fhir.resources.R4B.resource import Resource
from flask import Blueprint, Response, request

from core.auth import require_user
from core.errors import AppError
from interchange import fhir_build as build
from interchange import fhir_records as records

bp = Blueprint("fhir", __name__, url_prefix="/fhir")

FHIR_JSON = "application/fhir+json; charset=utf-8"
# An AppError's status as an OperationOutcome issue code (the FHIR value set issue-type).
_ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 409: "conflict"}


def _base() -> str:
    return request.url_root.rstrip("/") + bp.url_prefix


def fhir_response(resource: Resource, status: int = 200) -> Response:
    return Response(resource.model_dump_json(exclude_none=True), status=status, content_type=FHIR_JSON)


@bp.errorhandler(AppError)
def _outcome(err: AppError) -> Response:
    """Every refusal or bad request of the FHIR API as an OperationOutcome (what FHIR clients read)."""
    code = _ISSUE_CODES.get(err.status, "processing")
    return fhir_response(build.operation_outcome(code, err.render_message()), err.status)


@bp.get("/metadata")
def metadata() -> Response:
    """What this server serves; open to anyone, like every FHIR server's capability statement."""
    return fhir_response(build.capability_statement(_base(), records.SERVED))


@bp.get("/<resource_type>/<resource_id>")
def read(resource_type: str, resource_id: str) -> Response:
    user = require_user()
    return fhir_response(records.read(user, resource_type, resource_id))


@bp.get("/<resource_type>")
def search(resource_type: str) -> Response:
    user = require_user()
    patient_id = records.patient_of_search(user, request.args.get("patient") or request.args.get("subject"))
    dates = records.date_bounds(resource_type, request.args.getlist(records.DATE_PARAMS.get(resource_type, "date")))
    tokens = records.token_filters(resource_type, request.args.to_dict(flat=False))
    return fhir_response(build.bundle(_base(), records.search(user, resource_type, patient_id, dates, tokens)))


@bp.get("/Patient/<int:patient_id>/$everything")
def everything(patient_id: int) -> Response:
    user = require_user()
    matches, included = records.everything(user, patient_id)
    return fhir_response(build.bundle(_base(), matches, included))
