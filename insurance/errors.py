"""What the insurer's answers mean to a person: domain errors with reasons and messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import AppError, Conflict, Forbidden, NotFound, UpstreamUnavailable, ValidationFailed
from insurance.gateway import InsurerRefused, InsurerUnreachable


class SettlementUnknown(UpstreamUnavailable):
    """The insurer did not confirm a charge: it is checked later, never charged again."""

    default_reason = "settlement_unknown"


class SettlementInProgress(Conflict):
    default_reason = "settlement_in_progress"


MSG_UNKNOWN = _l(
    "The insurer has not confirmed this payment yet. We are checking with it; do not pay again. "
    "The order will update by itself."
)
MSG_IN_PROGRESS = _l("This payment is being processed. Please wait a moment.")
MSG_UNREACHABLE = _l("The insurer cannot be reached right now. Nothing was charged; please try again in a minute.")

_REFUSALS = {
    "voucher_expired": (
        ValidationFailed,
        _l("The voucher has expired. Refresh it on your phone and try again."),
        "token",
    ),
    "voucher_forged": (ValidationFailed, _l("This is not a valid medical-insurance voucher."), "token"),
    "voucher_malformed": (ValidationFailed, _l("This is not a valid medical-insurance voucher."), "token"),
    "voucher_used": (
        ValidationFailed,
        _l("This voucher has already been used. Refresh it on your phone and try again."),
        "token",
    ),
    "voucher_not_yours": (Forbidden, _l("This voucher belongs to someone else."), "token"),
    "not_insured": (NotFound, _l("The insurer has no record of this person's insurance."), None),
    "order_already_settled": (Conflict, _l("The insurer already holds a payment for this order."), None),
    "unavailable": (
        UpstreamUnavailable,
        _l("The insurer is busy and refused the request. Nothing was charged; please try again."),
        None,
    ),
}


def refusal_error(refusal: InsurerRefused) -> AppError:
    """The domain error for an insurer's refusal (its own text when we have no better one)."""
    cls, message, field = _REFUSALS.get(refusal.code, (None, None, None))
    if cls is None:
        return ValidationFailed(
            refusal.code, _l("The insurer refused: %(detail)s. Nothing was charged."), detail=refusal.text
        )
    reason = "insurer_unavailable" if refusal.code == "unavailable" else refusal.code
    return cls(reason, message, field=field)


def unreachable_error(_err: InsurerUnreachable | None = None) -> AppError:
    return UpstreamUnavailable("insurer_unreachable", MSG_UNREACHABLE)
