"""Who sees a prescription (DESIGN §3): the patient once signed, the prescribing doctor, the
pharmacists of the prescribing hospital (they review it), and a pharmacy's staff only once an order
for it is placed at their pharmacy. Everyone else gets a 404, and the refusal is audited.

Where a pharmacist works is the pharmacy area's knowledge; hospital never imports pharmacy, so the
composition root registers the two look-ups here (`register_pharmacy_lookups`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam
from sqlalchemy.orm import joinedload

from core import audit, rooms
from core.errors import MSG_NOT_FOUND, Forbidden, NotFound
from core.extensions import db
from core.models import Role, User
from hospital.models.prescriptions import Prescription
from hospital.models.prescriptions import PrescriptionStatus as S

PHARMACY_ROLES = (Role.PHARMACIST, Role.DISPATCHER)
LISTED = 200  # prescriptions in a list, newest first


@dataclass(frozen=True)
class Workplace:
    """Where a pharmacist or dispatcher works: his pharmacy and the hospital it belongs to (if any)."""

    pharmacy_id: int | None = None
    hospital_id: int | None = None


_lookups: dict[str, Callable] = {
    "workplace": lambda _user_id: Workplace(),
    "ordered_at": lambda _prescription_id: set(),
    "staff_of_hospital": lambda _hospital_id: [],
}


def register_pharmacy_lookups(
    workplace: Callable[[int], Workplace],
    ordered_at: Callable[[int], set[int]],
    staff_of_hospital: Callable[[int], list[int]],
) -> None:
    """workplace(user_id); ordered_at(prescription_id) -> pharmacy ids with an order for it;
    staff_of_hospital(hospital_id) -> user ids of the pharmacists who review its prescriptions."""
    _lookups.update(workplace=workplace, ordered_at=ordered_at, staff_of_hospital=staff_of_hospital)


def workplace_of(user: User) -> Workplace:
    return _lookups["workplace"](user.id) if user.role in PHARMACY_ROLES else Workplace()


def reviewing_pharmacists(hospital_id: int) -> list[int]:
    """The pharmacists told of a new signed prescription of this hospital."""
    return list(_lookups["staff_of_hospital"](hospital_id))


def review_room(hospital_id: int) -> str:
    return f"rx-review:{hospital_id}"


def _may_join_review(user: User, ident: str) -> bool:
    return user.role == Role.PHARMACIST and ident == str(workplace_of(user).hospital_id)


rooms.register_room_kind("rx-review", _may_join_review)


def reviews_for_hospital(user: User, rx: Prescription) -> bool:
    """A pharmacist of the prescribing hospital's own pharmacy: he reviews it."""
    return user.role == Role.PHARMACIST and workplace_of(user).hospital_id == rx.hospital_id


def may_see(user: User, rx: Prescription) -> bool:
    """The patient, the prescribing doctor, the hospital's pharmacists, and staff of an ordering pharmacy."""
    if rx.status == S.DRAFT:
        return user.role == Role.DOCTOR and rx.doctor_user_id == user.id
    if user.role == Role.PATIENT:
        return rx.patient_id == user.id
    if user.role == Role.DOCTOR:
        return rx.doctor_user_id == user.id
    if user.role in PHARMACY_ROLES:
        if reviews_for_hospital(user, rx):
            return True
        pharmacy_id = workplace_of(user).pharmacy_id
        return pharmacy_id is not None and pharmacy_id in _lookups["ordered_at"](rx.id)
    return False


def refuse(user: User, rx: Prescription | None, prescription_id: int) -> NotFound:
    """Record the refused look (so that snooping shows in the audit log) and return the 404."""
    audit.record(user.id, rx.patient_id if rx else None, "refused", "prescription", prescription_id, role=user.role)
    db.session.commit()
    return NotFound("prescription_not_found", MSG_NOT_FOUND)


@cache
def shown(patients: bool = True) -> tuple:
    """Loader options for what PrescriptionSchema prints: the people (the patient's own reads have
    him in the session already) and the items, joined: one statement for a prescription or a
    list, instead of a statement per row and person. Built once (building them costs)."""
    people = (joinedload(Prescription.doctor_user), joinedload(Prescription.reviewer))
    return (*people, *([joinedload(Prescription.patient)] if patients else []), joinedload(Prescription.items))


@cache
def _one_shown(patients: bool) -> Select:
    """One prescription (`:prescription_id`) with what its answer prints; built once, with a
    bound parameter (building it cost about as much as running it)."""
    query = db.select(Prescription).where(Prescription.id == bindparam("prescription_id"))
    return query.options(*shown(patients))


def get_prescription_for(user: User, prescription_id: int) -> Prescription:
    """A prescription the user may see (404 otherwise, so its existence does not leak); audited."""
    query = _one_shown(user.role != Role.PATIENT)
    rx = db.session.execute(query, {"prescription_id": prescription_id}).unique().scalar()
    if rx is None or not may_see(user, rx):
        raise refuse(user, rx, prescription_id)
    audit.record_read(user.id, rx.patient_id, "prescription", rx.id)
    return rx


def require_reviewer(user: User, prescription_id: int) -> Prescription:
    """A signed-or-later prescription of the pharmacist's own hospital (404 and audited otherwise)."""
    rx = db.session.get(Prescription, prescription_id)
    if rx is None or rx.status == S.DRAFT or not reviews_for_hospital(user, rx):
        raise refuse(user, rx, prescription_id)
    return rx


def _visible_to_pharmacy_staff(user: User, query):
    place = workplace_of(user)
    if user.role == Role.PHARMACIST and place.hospital_id is not None:
        return query.where(Prescription.hospital_id == place.hospital_id)
    return query.where(Prescription.id.in_([]))  # outside pharmacies see orders, not prescription lists


@cache
def _listed_for(role: str) -> Select:
    """A patient's own (signed or later) or a doctor's written prescriptions (`:user_id`), newest
    first, with what the list prints; built once per role."""
    query = db.select(Prescription).order_by(Prescription.id.desc()).limit(LISTED)
    query = query.options(*shown(role != Role.PATIENT))
    if role == Role.PATIENT:
        return query.where(Prescription.patient_id == bindparam("user_id"), Prescription.status != S.DRAFT)
    return query.where(Prescription.doctor_user_id == bindparam("user_id"))


def list_for(user: User, status: str | None = None, consultation_id: int | None = None) -> list[Prescription]:
    """A patient's own, a doctor's written ones, the signed ones of a pharmacist's hospital."""
    if user.role in (Role.PATIENT, Role.DOCTOR):
        query = _listed_for(user.role)
    elif user.role == Role.PHARMACIST:
        query = db.select(Prescription).order_by(Prescription.id.desc()).limit(LISTED).options(*shown())
        query = _visible_to_pharmacy_staff(user, query.where(Prescription.status != S.DRAFT))
    else:
        raise Forbidden("role_refused", _l("Your role may not do this."))
    if status:
        query = query.where(Prescription.status == status)
    if consultation_id:
        query = query.where(Prescription.consultation_id == consultation_id)
    rows = list(db.session.execute(query, {"user_id": user.id}).unique().scalars())
    audit.record_reads(user.id, sorted({rx.patient_id for rx in rows}), "prescription_list")
    return rows


def review_queue(pharmacist: User | None = None) -> list[Prescription]:
    """Signed prescriptions waiting for review, oldest first: of the pharmacist's hospital only
    (without a pharmacist: every hospital's, for periodic work)."""
    query = db.select(Prescription).where(Prescription.status == S.SIGNED).order_by(Prescription.signed_at)
    if pharmacist is not None:
        query = _visible_to_pharmacy_staff(pharmacist, query)
    return list(db.session.execute(query).scalars())


def review_queue_for(pharmacist: User) -> tuple[list[Prescription], str]:
    """The pharmacist's queue and the live room of his hospital's queue."""
    return review_queue(pharmacist), review_room(workplace_of(pharmacist).hospital_id or 0)
