"""How the audit log names hospital's objects and verbs, and which page an administrator opens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import audit

audit.describe_actions(
    {
        "refer": _l("referred offline"),
        "renew": _l("asked to renew"),
        "keep": _l("kept"),
        "claim": _l("claimed"),
        "confirm": _l("confirmed"),
        "reject": _l("rejected"),
        "upload": _l("uploaded"),
        "stable": _l("marked stable"),
        "refused": _l("was refused"),
        "reset": _l("reset"),
    }
)
for object_type, label, link in (
    ("consultation", _l("consultation"), None),
    ("consultation_queue", _l("consultation queue"), None),
    ("consultation_list", _l("consultation list"), None),
    ("consultation_message", _l("chat message"), None),
    ("consultation_messages", _l("chat"), None),
    ("consultation_attachment", _l("chat attachment"), None),
    ("call_session", _l("call"), None),
    ("call_sessions", _l("calls"), None),
    ("medical_record", _l("medical record"), None),
    ("confirmed_diagnosis", _l("confirmed diagnosis"), None),
    ("patient", _l("patient"), None),
    ("patient_history", _l("patient history"), None),
    ("patient_records", _l("patient records"), None),
    ("name", _l("name"), None),
    ("phone", _l("mobile number"), None),
    ("id_number", _l("resident ID number"), None),
    ("medicines", _l("medicines"), None),
    ("prescription", _l("prescription"), None),
    ("prescription_list", _l("prescription list"), None),
    ("prescription_verify", _l("prescription check"), None),
    ("expert_case", _l("expert case"), "/expert-cases/{id}"),
    ("expert_report", _l("expert report"), "/expert-cases/{id}"),
    ("case_material", _l("case material"), None),
    ("case_opinion", _l("expert opinion"), "/expert-cases/{id}"),
    ("case_opinions", _l("expert opinions"), "/expert-cases/{id}"),
    ("case_conclusion", _l("expert conclusion"), "/expert-cases/{id}"),
    ("prescription_review", _l("prescription review"), None),
    ("diagnosis", _l("diagnosis"), None),
    ("diagnosis_record", _l("in-person record photo"), None),
    ("allergy", _l("allergy"), None),
    ("clinical_record", _l("clinical record"), None),
    ("active_medications", _l("medicines in supply"), None),
    ("in_person_visit", _l("in-person visit"), None),
    ("address", _l("address"), None),
    ("password", _l("password"), None),
):
    audit.describe_object(object_type, label, link)
