"""Who may read or record a patient's clinical background (diagnoses, allergies, medications):
the patient himself, and the doctors of his consultations. Refusals are a 404, and audited."""

from __future__ import annotations

from core import audit
from core.errors import MSG_NOT_FOUND, NotFound
from core.extensions import db
from core.models import Role, User
from hospital.models.consultations import Consultation
from hospital.services import consultation_access


def may_read_patient(user: User, patient_id: int) -> bool:
    """The patient, or a doctor who can see one of the patient's consultations (his own, his queue's)."""
    if user.role == Role.PATIENT:
        return user.id == patient_id
    if user.role != Role.DOCTOR:
        return False
    query = db.select(Consultation).where(Consultation.patient_id == patient_id).order_by(Consultation.id.desc())
    return any(consultation_access.can_view(user, c) for c in db.session.execute(query.limit(50)).scalars())


def refused(user: User, patient_id: int | None, object_type: str, object_id=None) -> NotFound:
    """Audit a refused look at someone's clinical data and return the 404 to raise.

    The refusal is written in a transaction of its own: whatever the request had pending is rolled
    back first (a failed flush would otherwise poison the commit). An id that names nobody is kept
    in the detail, not in the patient column, whose foreign key would refuse it."""
    db.session.rollback()
    detail = {"role": user.role}
    if patient_id is not None and db.session.get(User, patient_id) is None:
        detail["claimed_patient_id"] = patient_id
        patient_id = None
    audit.record(user.id, patient_id, "refused", object_type, object_id, **detail)
    db.session.commit()
    return NotFound("patient_not_found", MSG_NOT_FOUND)


def require_reader(user: User, patient_id: int, object_type: str) -> None:
    if not may_read_patient(user, patient_id):
        raise refused(user, patient_id, object_type)


def require_treating_doctor(doctor_user: User, consultation_id: int, patient_id: int) -> Consultation:
    """The doctor's accepted consultation with this patient: where clinical decisions are made."""
    consultation = consultation_access.require_accepted_by(doctor_user, consultation_id)
    if consultation.patient_id != patient_id:
        raise refused(doctor_user, patient_id, "consultation", consultation_id)
    return consultation
