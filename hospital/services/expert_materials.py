"""What the panel may know of the patient: his consent, his confirmed records, and the materials
(lab results, images, documents) shared with the case."""

from __future__ import annotations

import os
from pathlib import Path

from flask_babel import lazy_gettext as _l

from core import audit, clock, notify, uploads
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from hospital.models.expert import CaseEventKind, CaseMaterial, CaseStatus, ExpertCase
from hospital.models.patients import DiagnosisStatus
from hospital.services import patients
from hospital.services.expert_machine import record_event, room_name
from hospital.services.expert_queries import case_as, role_in_case

S = CaseStatus
MATERIAL_KINDS = ("lab", "image", "document")
MATERIAL_TYPES = (uploads.PDF, uploads.PNG, uploads.JPEG)  # judged by the content's first bytes
MAX_MATERIAL_BYTES = 5 * 1024 * 1024


def set_consent(case: ExpertCase, user: User, note: str) -> None:
    case.records_consent, case.consent_note = True, (note or "").strip()[:200]
    case.consent_recorded_by_id, case.consent_recorded_at = user.id, clock.now()
    record_event(case.id, user.id, CaseEventKind.CONSENT, case.consent_note)
    audit.record(user.id, case.patient_id, "consent", "expert_case", case.id, note=case.consent_note)


def record_consent(user: User, case_id: int, note: str) -> ExpertCase:
    """The patient (or the requesting doctor on his word) agrees to share his records with the panel."""
    case = case_as(user, case_id, "patient", "requester")
    if not note.strip() and user.role != Role.PATIENT:
        raise ValidationFailed("consent_note", _l("Say how the patient gave his consent."), field="consent_note")
    set_consent(case, user, note or "patient")
    db.session.commit()
    return case


def patient_records(user: User, case: ExpertCase) -> dict | None:
    """The patient's record as the doctor's header shows it, if he consented; the read is audited.
    The clinical rules are the same: allergies that still stand (a withdrawn one is not a fact),
    confirmed diagnoses as facts, claimed ones apart so the page labels them as the patient's word;
    rejected ones are left out."""
    if not case.records_consent or role_in_case(user, case) not in ("leader", "requester", "expert", "patient"):
        return None
    diagnoses = patients.list_diagnoses(case.patient_id)
    audit.record_read(user.id, case.patient_id, "patient_records", case.id, via="expert_case")
    return {
        "diagnoses": [d for d in diagnoses if d.status == DiagnosisStatus.CONFIRMED],
        "claimed": [d for d in diagnoses if d.status == DiagnosisStatus.CLAIMED],
        "allergies": patients.list_allergies(case.patient_id),
    }


def add_material(user: User, case_id: int, kind: str, title: str, filename: str, content: bytes):
    """Share a lab result, image or document with the panel; type and size are checked."""
    case = case_as(user, case_id, "leader", "requester", "expert")
    if case.status not in (S.REQUESTED, S.SCHEDULED, S.IN_SESSION):
        raise Conflict("case_not_open", _l("Materials can be added only before the conclusion."))
    if kind not in MATERIAL_KINDS:
        raise ValidationFailed("material_kind", _l("A material is a lab result, an image or a document."), field="kind")
    file_type = uploads.detect_type(content)
    if file_type not in MATERIAL_TYPES:
        raise ValidationFailed("file_type", _l("Only PDF, PNG or JPEG files are accepted."), field="file")
    if len(content) > MAX_MATERIAL_BYTES:
        raise ValidationFailed("file_size", _l("A file must be between 1 byte and 5 MB."), field="file")
    stored = uploads.store("expert", content, file_type)
    material = CaseMaterial(
        case_id=case.id,
        kind=kind,
        title=(title or filename).strip()[:200],
        filename=os.path.basename(filename)[:200],
        stored_name=stored,
        content_type=file_type.mime,
        size=len(content),
        uploaded_by_id=user.id,
        created_at=clock.now(),
    )
    db.session.add(material)
    db.session.flush()
    record_event(case.id, user.id, CaseEventKind.MATERIAL, material.title, {"material_id": material.id})
    audit.record(user.id, case.patient_id, "create", "case_material", material.id)
    db.session.commit()
    notify.broadcast(room_name(case.id), "case.material", material_brief(material))
    return material


def material_file(user: User, case_id: int, material_id: int) -> tuple[CaseMaterial, Path]:
    """A material's file for a panel member or the patient; the read is audited."""
    case = case_as(user, case_id, "leader", "requester", "expert", "patient")
    material = db.session.get(CaseMaterial, material_id)
    if material is None or material.case_id != case.id:
        raise NotFound("material_not_found", _l("No such material."))
    audit.record_read(user.id, case.patient_id, "case_material", material.id)
    return material, uploads.upload_path("expert", material.stored_name)


def material_brief(material: CaseMaterial) -> dict:
    return {
        "case_id": material.case_id,
        "id": material.id,
        "title": material.title,
        "kind": material.kind,
        "content_type": material.content_type,
        "url": f"/api/expert-cases/{material.case_id}/materials/{material.id}",
    }


def show_material(user: User, case_id: int, material_id: int) -> dict:
    """The leader opens a material on every participant's viewer (`case.material_shown`)."""
    case = case_as(user, case_id, "leader", "requester", "expert")
    if role_in_case(user, case) != "leader":
        raise Forbidden("leader_only", _l("Only the panel leader shows a material to everyone."))
    if case.status != S.IN_SESSION:
        raise Conflict("case_not_in_session", _l("The room is not open."))
    material = db.session.get(CaseMaterial, material_id)
    if material is None or material.case_id != case.id:
        raise NotFound("material_not_found", _l("No such material."))
    record_event(case.id, user.id, CaseEventKind.MATERIAL, material.title, {"material_id": material.id, "shown": True})
    db.session.commit()
    payload = {**material_brief(material), "by": user.name, "user_id": user.id}
    notify.broadcast(room_name(case.id), "case.material_shown", payload)
    return payload
