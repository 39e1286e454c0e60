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

from core import audit, rooms, rows
from core.errors import MSG_NOT_FOUND, Forbidden, NotFound
from core.extensions import db
from core.models import Role, User
from core.rows import Shown, labelled
from hospital.models.prescriptions import Prescription, PrescriptionItem
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


class PrescriptionShown(Shown):
    """A prescription as its answer prints it (rows), with the model's own properties: one rule
    each for its total, its validity and its status as of now. The integrity check derives the
    signed content from it as from the object (the same fields)."""

    total_fen = Prescription.total_fen
    past_validity = Prescription.past_validity
    effective_status = Prescription.effective_status


_rx = Prescription.__table__
_patient = User.__table__.alias("patient")
_doctor_user = User.__table__.alias("doctor_user")
_reviewer = User.__table__.alias("reviewer")
# A prescription with the people its answer prints (and the patient's masked id number, which
# its signed content holds), and its items (a second statement, by the read ids): rows, not ORM
# objects with three people and the items joined, whose loading cost several times the
# statements (see core.rows). Built once.
_SHOWN = (
    db.select(
        *_rx.c,
        *labelled([_patient.c.id, _patient.c.name, _patient.c.id_number_masked], "patient"),
        *labelled([_doctor_user.c.id, _doctor_user.c.name], "doctor_user"),
        *labelled([_reviewer.c.id, _reviewer.c.name], "reviewer"),
    )
    .join(_patient, _patient.c.id == _rx.c.patient_id)
    .join(_doctor_user, _doctor_user.c.id == _rx.c.doctor_user_id)
    .outerjoin(_reviewer, _reviewer.c.id == _rx.c.reviewer_user_id)
)
_ONE = _SHOWN.where(_rx.c.id == bindparam("prescription_id"))
_LISTED = _SHOWN.order_by(_rx.c.id.desc()).limit(LISTED)
_ITEMS_OF = rows.children_of(PrescriptionItem.prescription_id, PrescriptionItem.position)


def get_prescription_for(user: User, prescription_id: int) -> PrescriptionShown:
    """A prescription the user may see, as its answer prints it (rows, with its items); a 404
    otherwise, so its existence does not leak; the read audited."""
    rx = next(iter(_with_items(rows.read(_ONE, {"prescription_id": prescription_id}))), None)
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
def _listed_for(role: str, by_status: bool, by_consultation: bool) -> Select:
    """A patient's own (signed or later), a doctor's written prescriptions (`:user_id`) or the
    signed ones of a pharmacist's hospital (`:hospital_id`), newest first, in one status
    (`:status`) and of one consultation (`:consultation_id`) when asked."""
    if role == Role.PATIENT:
        query = _LISTED.where(_rx.c.patient_id == bindparam("user_id"), _rx.c.status != S.DRAFT)
    elif role == Role.DOCTOR:
        query = _LISTED.where(_rx.c.doctor_user_id == bindparam("user_id"))
    else:  # a pharmacist: his hospital's (outside pharmacies see orders, not prescription lists)
        query = _LISTED.where(_rx.c.hospital_id == bindparam("hospital_id"), _rx.c.status != S.DRAFT)
    if by_status:
        query = query.where(_rx.c.status == bindparam("status"))
    if by_consultation:
        query = query.where(_rx.c.consultation_id == bindparam("consultation_id"))
    return query


def _with_items(found) -> list[PrescriptionShown]:
    """The rows as prescriptions, each with its items in order."""
    return rows.with_children(rows.shaped(found, PrescriptionShown), "items", _ITEMS_OF, "prescription_id")


def list_for(user: User, status: str | None = None, consultation_id: int | None = None) -> list[PrescriptionShown]:
    """A patient's own, a doctor's written ones, the signed ones of a pharmacist's hospital: as
    the list prints them (rows)."""
    if user.role not in (Role.PATIENT, Role.DOCTOR, Role.PHARMACIST):
        raise Forbidden("role_refused", _l("Your role may not do this."))
    params = {"user_id": user.id, "status": status, "consultation_id": consultation_id}
    if user.role == Role.PHARMACIST:
        params["hospital_id"] = workplace_of(user).hospital_id
    listed = []
    if params.get("hospital_id", user.id) is not None:  # a pharmacist of no hospital lists none
        listed = _with_items(rows.read(_listed_for(user.role, bool(status), bool(consultation_id)), params))
    audit.record_reads(user.id, sorted({rx.patient_id for rx in listed}), "prescription_list")
    return listed


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
