"""The patient's address book: addresses entered once, one of them the default, chosen with one tap.

A new address is checked whole: every missing or wrong field is named at once, in words, so an
elderly patient corrects the form in one go. A patient reaches only his own addresses (404 for
anyone else's, so their existence does not leak).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from core import audit
from core.errors import MSG_NOT_FOUND, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from pharmacy.models import SavedAddress

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
FIELDS = ("recipient", "mobile", "province", "city", "district", "detail")
MAX_ADDRESSES = 20
MESSAGES = {
    "recipient": _l("Enter the recipient's name (2 to 64 characters)."),
    "mobile": _l("Enter an 11-digit mainland mobile number starting with 1."),
    "province": _l("Enter the province."),
    "city": _l("Enter the city."),
    "district": _l("Enter the district or county."),
    "detail": _l("Enter the street, building and room (5 to 200 characters)."),
}
LIMITS = {"recipient": (2, 64), "province": (2, 20), "city": (2, 20), "district": (2, 20), "detail": (5, 200)}


class AddressInvalid(ValidationFailed):
    """A new address with one or more fields wrong; `fields` names each with what to do."""

    def __init__(self, problems: dict):
        self.fields = problems
        super().__init__("invalid_address", _l("Please correct the address."), field=next(iter(problems)))


def problems_of(values: dict) -> dict:
    """Every field that is missing or wrong, with a sentence saying what to enter."""
    found = {}
    for name in FIELDS:
        value = values.get(name, "")
        if name == "mobile":
            wrong = not MOBILE_RE.match(value)
        else:
            low, high = LIMITS[name]
            wrong = not low <= len(value) <= high
        if wrong:
            found[name] = MESSAGES[name]
    return found


def clean(data: dict) -> dict:
    """The address's fields, trimmed; AddressInvalid naming every wrong one."""
    values = {name: str(data.get(name) or "").strip() for name in FIELDS}
    values["mobile"] = values["mobile"].replace(" ", "").replace("-", "")
    problems = problems_of(values)
    if problems:
        raise AddressInvalid(problems)
    return values


def _patient(user: User) -> User:
    if user.role != Role.PATIENT:
        raise NotFound("address_not_found", MSG_NOT_FOUND)
    return user


def list_addresses(user: User) -> list[SavedAddress]:
    """The patient's addresses, the default first."""
    query = (
        db.select(SavedAddress)
        .filter_by(patient_id=_patient(user).id)
        .order_by(SavedAddress.is_default.desc(), SavedAddress.id.desc())
    )
    return list(db.session.execute(query).scalars())


def get_address(user: User, address_id: int) -> SavedAddress:
    """One of the patient's own addresses (404 for anyone else's)."""
    address = db.session.get(SavedAddress, address_id)
    if address is None or address.patient_id != _patient(user).id:
        raise NotFound("address_not_found", MSG_NOT_FOUND)
    return address


def default_address(user: User) -> SavedAddress | None:
    found = list_addresses(user) if user.role == Role.PATIENT else []
    return found[0] if found else None


def _make_default(user: User, address: SavedAddress) -> None:
    for other in list_addresses(user):
        other.is_default = other.id == address.id


def add_address(user: User, data: dict, make_default: bool = False) -> SavedAddress:
    """Save a new address; the first one (or one asked for) becomes the default."""
    values = clean(data)
    existing = list_addresses(user)
    if len(existing) >= MAX_ADDRESSES:
        raise ValidationFailed("too_many_addresses", _l("Your address book is full; remove an address first."))
    address = SavedAddress(patient_id=user.id, **values)
    db.session.add(address)
    db.session.flush()
    if make_default or not existing:
        _make_default(user, address)
    audit.record(user.id, user.id, "create", "address", address.id)
    db.session.commit()
    return address


def set_default(user: User, address_id: int) -> SavedAddress:
    """Make one of the patient's addresses the one chosen first."""
    address = get_address(user, address_id)
    _make_default(user, address)
    audit.record(user.id, user.id, "update", "address", address.id, default=True)
    db.session.commit()
    return address


def remove_address(user: User, address_id: int) -> None:
    """Remove an address (orders keep their own copy); the newest left becomes the default."""
    address = get_address(user, address_id)
    was_default = address.is_default
    db.session.delete(address)
    audit.record(user.id, user.id, "delete", "address", address_id)
    db.session.flush()
    rest = list_addresses(user)
    if was_default and rest:
        _make_default(user, rest[0])
    db.session.commit()


def as_order_address(user: User, address_id: int) -> dict:
    """The fields of one of the patient's addresses, as an order takes them."""
    address = get_address(user, address_id)
    return {name: getattr(address, name) for name in FIELDS}
