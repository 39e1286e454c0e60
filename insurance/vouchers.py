"""Patient-facing services: show my e-voucher (demo), verify a voucher, pre-settle a prescription."""

from __future__ import annotations

from dataclasses import replace

from flask_babel import lazy_gettext as _l

from core import audit, crypto
from core.errors import Forbidden, NotFound
from core.models import User
from insurance import settlement
from insurance.claims import InsuredPerson, Split, Voucher, build_claim
from insurance.gateway import AuthorisationRequest, NotSupported, get_gateway


def certno_of(user: User) -> str:
    """The patient's resident ID (decrypted only to talk to the insurer)."""
    if not user.id_number_enc:
        raise NotFound("no_identity", _l("Your account has no resident ID to look up insurance with."))
    return crypto.decrypt(user.id_number_enc)


def issue_for(user: User) -> Voucher:
    """What the patient's insurance app would show: a fresh voucher for the logged-in patient."""
    try:
        return settlement._gateway_call(get_gateway().issue_voucher, certno_of(user), user.name)
    except NotSupported:
        raise NotFound(
            "voucher_app_only", _l("Open the national medical-insurance app on your phone to show your e-voucher.")
        ) from None


def verify_for(user: User, token: str) -> InsuredPerson:
    """Who a voucher belongs to; refused unless it is the patient's own."""
    person = settlement._gateway_call(get_gateway().verify_voucher, token, certno_of(user))
    audit.record_read(user.id, user.id, "insured_person", person.psn_no)
    return person


def presettle_prescription(user: User, prescription_id: int, token: str | None) -> Split:
    """The split for one of the patient's approved prescriptions (self-pay without a voucher)."""
    if user.role != "patient":
        raise Forbidden("role_refused", _l("Only the patient can pay for his prescription."))
    claim = build_claim(prescription_id, user)
    claim = replace(claim, voucher_token=token or None, certno=claim.certno or certno_of(user))
    audit.record_read(user.id, user.id, "presettlement", prescription_id)  # commits: nothing held while calling out
    return settlement.presettle(claim)


def authorisation_url_for(user: User, amount_fen: int, return_url: str, state: str = "", lang: str = "zh") -> str:
    """The insurer's page where the patient confirms paying `amount_fen` with his e-voucher; it
    sends him back to `return_url` with `ec_token` (and `state`)."""
    request = AuthorisationRequest(certno_of(user), user.name, amount_fen, return_url, state, lang)
    try:
        return settlement._gateway_call(get_gateway().authorisation_url, request)
    except NotSupported:
        raise NotFound(
            "voucher_app_only", _l("Open the national medical-insurance app on your phone to show your e-voucher.")
        ) from None
