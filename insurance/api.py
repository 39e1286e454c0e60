"""Insurance API: the patient's e-voucher and pre-settlement, the administrators' ledger views."""

from __future__ import annotations

from flask_smorest import Blueprint

from core import clock
from core.auth import require_user, roles_required
from core.models import Role
from insurance import admin, reconciliation, vouchers
from insurance.schemas import (
    EVoucherSchema,
    InsuranceDayQuerySchema,
    InsuranceSettlementSchema,
    InsuredPersonSchema,
    MockFaultsSchema,
    PresettleSchema,
    ReconciliationSchema,
    SettlementResolutionSchema,
    SettlementSplitSchema,
    VoucherTokenSchema,
)

blp = Blueprint(
    "insurance",
    __name__,
    url_prefix="/api/insurance",
    description="Medical-insurance e-voucher: verify, pre-settle, reconcile (amounts in fen)",
)


@blp.post("/vouchers")
@blp.response(201, EVoucherSchema)
def issue_voucher():
    """Show my e-voucher: a fresh, single-use token for the logged-in patient (stands in for the phone app)."""
    return vouchers.issue_for(require_user(Role.PATIENT))


@blp.post("/vouchers/verify")
@blp.arguments(VoucherTokenSchema)
@blp.response(200, InsuredPersonSchema)
def verify_voucher(data):
    """Who the voucher belongs to (it must be the patient's own): scheme, balance, chronic filings."""
    return vouchers.verify_for(require_user(Role.PATIENT), data["token"])


@blp.post("/presettle")
@blp.arguments(PresettleSchema)
@blp.response(200, SettlementSplitSchema)
def presettle(data):
    """The split of an approved prescription: fund, personal account, cash, each line's class. Charges nothing."""
    return vouchers.presettle_prescription(require_user(Role.PATIENT), data["prescription_id"], data["token"])


@blp.get("/reconciliation")
@roles_required(Role.ADMIN)
@blp.arguments(InsuranceDayQuerySchema, location="query")
@blp.response(200, ReconciliationSchema)
def reconcile(query):
    """Our ledger against the insurer's for a day (3201 totals, 3202 detail), every difference listed."""
    return reconciliation.reconcile(query["date"] or clock.today())


@blp.get("/settlements")
@roles_required(Role.ADMIN)
@blp.arguments(InsuranceDayQuerySchema, location="query")
@blp.response(200, InsuranceSettlementSchema(many=True))
def settlements(query):
    """The day's settlements on our ledger (administrators)."""
    return admin.day_settlements(query["date"] or clock.today())


@blp.post("/resolve")
@roles_required(Role.ADMIN)
@blp.response(200, SettlementResolutionSchema(many=True))
def resolve():
    """Ask the insurer about every settlement whose outcome is unknown; never charges again."""
    return admin.resolve()


@blp.get("/mock/faults")
@roles_required(Role.ADMIN)
@blp.response(200, MockFaultsSchema)
def get_faults():
    """The mock insurer's current faults."""
    return admin.set_faults({})


@blp.post("/mock/faults")
@roles_required(Role.ADMIN)
@blp.arguments(MockFaultsSchema)
@blp.response(200, MockFaultsSchema)
def set_faults(data):
    """Make the mock insurer slow, failing, or losing answers after charging (administrators, demo)."""
    return admin.set_faults(data)
