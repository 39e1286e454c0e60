"""The patient's checkout: what the payment page shows and how it reaches the insurer's page.

One call builds the whole page: the prescription and its price, the address book with one
address chosen, and, once the patient authorised his e-voucher on the insurer's page, the split
the insurer pre-settles (fund / personal account / cash) before he confirms. A problem with the
authorisation (expired, forged, someone else's) is kept for the page to say in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import AppError
from core.models import User
from hospital.services import prescriptions as rx_service
from insurance import vouchers
from pharmacy import addresses, orders
from pharmacy.models import Pharmacy, SavedAddress


@dataclass(frozen=True)
class Awaiting:
    """An approved prescription not paid yet (plain data for the pages)."""

    id: int
    code: str
    first_drug_zh: str
    first_drug_en: str
    items: int
    valid_until: datetime | None


@dataclass(frozen=True)
class Checkout:
    payable: object
    pharmacy: Pharmacy
    drug_total_fen: int
    delivery_fee_fen: int
    addresses: list[SavedAddress]
    chosen: SavedAddress | None
    voucher_token: str | None
    quote: orders.Quote | None
    problem: AppError | None

    @property
    def amount_fen(self) -> int:
        return self.drug_total_fen + self.delivery_fee_fen


def _chosen(book: list[SavedAddress], address_id: int | None) -> SavedAddress | None:
    return next((a for a in book if a.id == address_id), book[0] if book else None)


def checkout(
    user: User, prescription_id: int, address_id: int | None = None, token: str | None = None, self_pay: bool = False
) -> Checkout:
    """The payment page of one of the patient's approved prescriptions (404/409 otherwise):
    with an authorised voucher (or self-pay), the pre-settled split too."""
    payable = rx_service.payable_prescription(prescription_id, user.id)
    pharmacy = orders.default_pharmacy_for(payable.hospital_id)
    fee = orders.delivery_fee(pharmacy, any(line.cold_chain for line in payable.lines))
    book = addresses.list_addresses(user)
    quote, problem = None, None
    if token or self_pay:
        try:
            quote = orders.quote(user, prescription_id, None if self_pay else token, pharmacy.id)
        except AppError as err:
            problem = err
    return Checkout(
        payable=payable,
        pharmacy=pharmacy,
        drug_total_fen=sum(line.total_fen for line in payable.lines),
        delivery_fee_fen=fee,
        addresses=book,
        chosen=_chosen(book, address_id),
        voucher_token=token if quote and not self_pay else None,
        quote=quote,
        problem=problem,
    )


def authorisation_url(user: User, prescription_id: int, return_url: str, lang: str) -> str:
    """The insurer's page where the patient authorises paying this prescription with his e-voucher."""
    payable = rx_service.payable_prescription(prescription_id, user.id)
    pharmacy = orders.default_pharmacy_for(payable.hospital_id)
    fee = orders.delivery_fee(pharmacy, any(line.cold_chain for line in payable.lines))
    amount = sum(line.total_fen for line in payable.lines) + fee
    return vouchers.authorisation_url_for(user, amount, return_url, state=str(prescription_id), lang=lang)


def awaiting_payment(user: User) -> list[Awaiting]:
    """The patient's approved prescriptions still within their validity, to pay from his orders page."""
    rows = [rx for rx in rx_service.list_for(user, status="approved") if not rx_service.is_past_validity(rx)]
    return [
        Awaiting(
            rx.id,
            rx.code,
            rx.items[0].name_zh if rx.items else "",
            rx.items[0].name_en if rx.items else "",
            len(rx.items),
            rx.valid_until,
        )
        for rx in rows
    ]
