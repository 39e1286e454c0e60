"""What a consultation's answer prints, loaded with it: the loader options that the lists, the
queue and the single read share, so that serialising a consultation issues no statement of its
own (before: two to four lazy loads per consultation, 13–15 statements for a doctor's lists)."""

from __future__ import annotations

from functools import cache

from sqlalchemy.orm import joinedload

from hospital.models.consultations import Consultation
from hospital.models.network import Doctor


@cache
def shown(patient: bool = True) -> tuple:
    """Loader options for what ConsultationSchema prints: the department, the doctor's name, the
    diagnosis, and the patient's name unless the reader is the patient (he is in the session
    already). Who decided a diagnosis and its in-person visit stay lazy: most rows have neither,
    and a select-in loader costs more than a lazy load that never fires. Built once: building
    loader options costs more than using them."""
    return (
        joinedload(Consultation.department),
        joinedload(Consultation.doctor).joinedload(Doctor.user),
        joinedload(Consultation.diagnosis),
        *([joinedload(Consultation.patient)] if patient else []),
    )
