"""Who works where: pharmacists and dispatchers belong to one pharmacy each."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from hospital.services import network
from hospital.services.prescription_access import Workplace
from pharmacy.models import Courier, Order, Pharmacy, PharmacyStaff

PHARMACY_ROLES = (Role.PHARMACIST, Role.DISPATCHER)


def list_pharmacies() -> list[Pharmacy]:
    """Active pharmacies, the provincial hospital's first."""
    query = db.select(Pharmacy).where(Pharmacy.active.is_(True)).order_by(Pharmacy.id)
    return list(db.session.execute(query).scalars())


def get_pharmacy(pharmacy_id: int) -> Pharmacy:
    pharmacy = db.session.get(Pharmacy, pharmacy_id)
    if pharmacy is None or not pharmacy.active:
        raise NotFound("pharmacy_not_found", _l("No such pharmacy."), field="pharmacy_id")
    return pharmacy


def pharmacy_id_of(user: User) -> int | None:
    """The pharmacy a staff member works for (None for everyone else)."""
    if user.role not in PHARMACY_ROLES:
        return None
    row = db.session.execute(db.select(PharmacyStaff.pharmacy_id).filter_by(user_id=user.id)).first()
    return row[0] if row else None


def require_pharmacy(user: User) -> int:
    """The acting staff member's pharmacy, or 403 when he is not assigned to one."""
    pharmacy_id = pharmacy_id_of(user)
    if pharmacy_id is None:
        raise Forbidden("not_pharmacy_staff", _l("You are not assigned to a pharmacy."))
    return pharmacy_id


def assign_staff(user: User, pharmacy_id: int) -> PharmacyStaff:
    """Put a pharmacist or dispatcher on a pharmacy's staff (moves him if already elsewhere)."""
    if user.role not in PHARMACY_ROLES:
        raise ValidationFailed("invalid_role", _l("Only pharmacists and dispatchers work for a pharmacy."))
    get_pharmacy(pharmacy_id)
    row = db.session.execute(db.select(PharmacyStaff).filter_by(user_id=user.id)).scalar_one_or_none()
    if row is None:
        row = PharmacyStaff(user_id=user.id, pharmacy_id=pharmacy_id)
        db.session.add(row)
    row.pharmacy_id = pharmacy_id
    db.session.commit()
    return row


def staff_user_ids(pharmacy_id: int) -> list[int]:
    query = db.select(PharmacyStaff.user_id).filter_by(pharmacy_id=pharmacy_id)
    return [row[0] for row in db.session.execute(query)]


def list_couriers(pharmacy_id: int) -> list[Courier]:
    query = db.select(Courier).filter_by(pharmacy_id=pharmacy_id, active=True).order_by(Courier.id)
    return list(db.session.execute(query).scalars())


# --- where staff work, for hospital's prescription access and /api/me (registered in app.py) ---


def workplace(user_id: int) -> Workplace:
    """The staff member's pharmacy and the hospital it belongs to (empty when unassigned)."""
    row = db.session.execute(
        db.select(Pharmacy.id, Pharmacy.hospital_id)
        .join(PharmacyStaff, PharmacyStaff.pharmacy_id == Pharmacy.id)
        .where(PharmacyStaff.user_id == user_id)
    ).first()
    return Workplace(row[0], row[1]) if row else Workplace()


def workplace_description(user: User) -> dict | None:
    """For /api/me: which pharmacy (and hospital) a pharmacist or dispatcher works for."""
    pharmacy_id = pharmacy_id_of(user)
    if pharmacy_id is None:
        return None
    pharmacy = db.session.get(Pharmacy, pharmacy_id)
    hospital = network.get_hospital(pharmacy.hospital_id) if pharmacy.hospital_id else None
    return {
        "pharmacy_id": pharmacy.id,
        "pharmacy_name": pharmacy.name_zh,
        "hospital_id": hospital.id if hospital else None,
        "hospital_name": hospital.name_zh if hospital else None,
    }


def pharmacies_ordering(prescription_id: int) -> set[int]:
    """Pharmacies where an order for the prescription has been placed."""
    query = db.select(Order.pharmacy_id).where(Order.prescription_id == prescription_id)
    return set(db.session.execute(query).scalars())


def hospital_pharmacists(hospital_id: int) -> list[int]:
    """Active pharmacists of the hospital's own pharmacies: they review its prescriptions."""
    query = (
        db.select(User.id)
        .join(PharmacyStaff, PharmacyStaff.user_id == User.id)
        .join(Pharmacy, Pharmacy.id == PharmacyStaff.pharmacy_id)
        .where(Pharmacy.hospital_id == hospital_id, User.role == Role.PHARMACIST, User.active.is_(True))
    )
    return list(db.session.execute(query).scalars())
