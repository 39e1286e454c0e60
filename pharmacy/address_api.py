"""The patient's address book: list, add, make default, remove (his own only)."""

from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_user
from core.models import Role
from pharmacy import addresses
from pharmacy.address_schemas import AddressInSchema, SavedAddressSchema

blp = Blueprint(
    "addresses", __name__, url_prefix="/api/addresses", description="The patient's delivery addresses (address book)"
)


@blp.get("")
@blp.response(200, SavedAddressSchema(many=True))
def list_addresses():
    """My saved addresses, the default first."""
    return addresses.list_addresses(require_user(Role.PATIENT))


@blp.post("")
@blp.arguments(AddressInSchema)
@blp.response(201, SavedAddressSchema)
def add_address(data):
    """Save an address. Every missing or wrong field is named at once (422, `errors.json`)."""
    make_default = data.pop("make_default")
    return addresses.add_address(require_user(Role.PATIENT), data, make_default)


@blp.post("/<int:address_id>/default")
@blp.response(200, SavedAddressSchema)
def make_default(address_id):
    """Choose this address first from now on."""
    return addresses.set_default(require_user(Role.PATIENT), address_id)


@blp.delete("/<int:address_id>")
@blp.response(204)
def remove_address(address_id):
    """Remove an address (orders keep the address they were sent to)."""
    addresses.remove_address(require_user(Role.PATIENT), address_id)
