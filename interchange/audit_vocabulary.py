"""How the audit log names the FHIR API's reads (one object type per resource type)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import audit

for object_type, label in (
    ("fhir_patient", _l("patient (FHIR)")),
    ("fhir_condition", _l("diagnoses (FHIR)")),
    ("fhir_allergyintolerance", _l("allergies (FHIR)")),
    ("fhir_medicationrequest", _l("prescription lines (FHIR)")),
    ("fhir_medicationdispense", _l("medicines handed out (FHIR)")),
    ("fhir_encounter", _l("consultations (FHIR)")),
    ("fhir_observation", _l("readings and lab results (FHIR)")),
    ("fhir_appointment", _l("booked visits (FHIR)")),
    ("fhir_practitioner", _l("doctor (FHIR)")),
    ("fhir_practitionerrole", _l("doctor's post (FHIR)")),
    ("fhir_organization", _l("hospital (FHIR)")),
    ("fhir_everything", _l("whole record (FHIR)")),
    ("record_pdf", _l("readable record (PDF)")),
    ("retention_consultation_media", _l("consultation dialogue and calls past retention")),
    ("retention_prescriptions", _l("prescriptions past retention")),
    ("retention_special_prescriptions", _l("special-class prescriptions past retention")),
    ("retention_medical_records", _l("medical records past retention")),
):
    audit.describe_object(object_type, label)
audit.describe_actions({"purge": _l("purged")})
