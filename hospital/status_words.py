"""Words for a prescription's status and an allergy's severity, said the same way on the pages and in
the patient's readable record (English msgids; Chinese in the catalogs)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from hospital.models.patients import AllergySeverity as A
from hospital.models.prescriptions import PrescriptionStatus as S

PRESCRIPTION_STATUS = {
    S.DRAFT: _l("Draft"),
    S.SIGNED: _l("Waiting for pharmacist review"),
    S.APPROVED: _l("Approved"),
    S.REJECTED: _l("Rejected"),
    S.SUPERSEDED: _l("Superseded by a revised version"),
    S.PAID: _l("Paid"),
    S.DISPENSED: _l("Dispensed"),
    S.EXPIRED: _l("Expired"),
    S.REFUNDED: _l("Refunded"),
}
ALLERGY_SEVERITY = {
    A.MILD: _l("mild"),
    A.MODERATE: _l("moderate"),
    A.SEVERE: _l("severe"),
    A.ANAPHYLAXIS: _l("anaphylaxis"),
}
