"""Schemas of expert consultations: cases, invitations, materials, the room's record, opinions."""

from __future__ import annotations

from marshmallow import EXCLUDE, fields, validate

from core.fields import BoundedInt
from core.schema import Schema
from core.schemas import LocalDateTime
from hospital.services import expert


class CaseRequestSchema(Schema):
    patient_phone = fields.Str(required=True, metadata={"description": "The patient's mobile number (username)"})
    title = fields.Str(required=True, validate=validate.Length(min=2, max=200))
    summary = fields.Str(required=True, validate=validate.Length(min=2, max=5000))
    questions = fields.List(fields.Str(validate=validate.Length(max=500)), load_default=list)
    expert_ids = fields.List(BoundedInt(), required=True, metadata={"description": "Doctor ids of invited experts"})
    leader_id = BoundedInt(required=True, metadata={"description": "Doctor id of the panel leader"})
    scheduled_at = fields.AwareDateTime(load_default=None, allow_none=True)
    urgent = fields.Bool(load_default=False)
    urgent_department_ids = fields.List(
        BoundedInt(), load_default=list, metadata={"description": "Urgent: invite the on-duty doctors of these"}
    )
    records_consent = fields.Bool(load_default=False, metadata={"description": "The patient agreed to share records"})
    consent_note = fields.Str(load_default="", validate=validate.Length(max=200))
    mode = fields.Str(
        load_default="consultation",
        validate=validate.OneOf(["consultation", "lecture"]),
        metadata={"description": "consultation (a panel) or lecture (a training session)"},
    )
    presenter_ids = fields.List(
        BoundedInt(), load_default=list, metadata={"description": "Lecture: doctor ids of the one or two presenters"}
    )
    audience_hospital_ids = fields.List(
        BoundedInt(), load_default=list, metadata={"description": "Lecture: invite these hospitals' doctors to watch"}
    )


class CaseQuerySchema(Schema):
    status = fields.Str(load_default=None)


class PanelMemberSchema(Schema):
    user_id = BoundedInt()
    doctor_id = BoundedInt()
    name = fields.Str()
    role = fields.Str(metadata={"description": "leader, requester or expert"})
    invitation = fields.Str(metadata={"description": "invited, accepted or declined"})
    hospital = fields.Str()
    department = fields.Str()
    title = fields.Str()


def _member(doctor, role: str, invitation: str, decline_reason: str = "") -> dict:
    return {
        "decline_reason": decline_reason,
        "user_id": doctor.user_id,
        "doctor_id": doctor.id,
        "name": doctor.user.name,
        "role": role,
        "invitation": invitation,
        "hospital": doctor.hospital.name_zh,
        "department": doctor.department.name_zh,
        "title": doctor.title,
    }


def panel_of(case) -> list[dict]:
    """The requesting doctor, the leader and every invited expert."""
    members = [_member(case.requesting_doctor, "requester", "accepted")]
    for invitation in case.invitations:
        role = "leader" if invitation.doctor_id == case.leader_id else "expert"
        members.append(_member(invitation.doctor, role, invitation.status, invitation.decline_reason or ""))
    return members


class ConclusionSchema(Schema):
    diagnosis = fields.Str()
    treatment_advice = fields.Str()
    answers = fields.List(fields.Dict())
    signed_by_id = BoundedInt()
    signed_at = LocalDateTime()
    content_digest = fields.Str()
    signature = fields.Str()
    public_key = fields.Str()
    valid = fields.Method("_valid", metadata={"description": "The signature verifies over the stored content"})

    def _valid(self, obj) -> bool:
        return expert.verify_conclusion(obj.case)


class CaseSchema(Schema):
    id = BoundedInt()
    title = fields.Str()
    summary = fields.Str()
    questions = fields.List(fields.Str())
    status = fields.Str()
    urgent = fields.Bool()
    mode = fields.Str(metadata={"description": "consultation or lecture"})
    presenter_user_ids = fields.List(BoundedInt(), metadata={"description": "Lecture: the presenters' user ids"})
    audience_hospital_ids = fields.List(BoundedInt())
    patient_id = BoundedInt()
    patient_name = fields.Str(attribute="patient.name")
    hospital_id = BoundedInt()
    hospital_name = fields.Str(attribute="hospital.name_zh")
    requesting_doctor_id = BoundedInt()
    leader_id = BoundedInt()
    scheduled_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()
    started_at = LocalDateTime(allow_none=True)
    concluded_at = LocalDateTime(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)
    records_consent = fields.Bool()
    stage_user_ids = fields.List(BoundedInt())
    hand_queue = fields.List(BoundedInt())
    panel = fields.Method("_panel", metadata={"description": "Requesting doctor, leader and invited experts"})
    conclusion = fields.Nested(ConclusionSchema, allow_none=True)

    def _panel(self, obj) -> list[dict]:
        return PanelMemberSchema(many=True).dump(panel_of(obj))


class AnswerSchema(Schema):
    accept = fields.Bool(required=True)
    reason = fields.Str(load_default="", validate=validate.Length(max=200))


class InvitationSchema(Schema):
    id = BoundedInt()
    case_id = BoundedInt()
    doctor_id = BoundedInt()
    status = fields.Str()
    answered_at = LocalDateTime(allow_none=True)


class ConsentSchema(Schema):
    consent_note = fields.Str(load_default="", validate=validate.Length(max=200))


class MaterialUploadSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    kind = fields.Str(required=True, validate=validate.OneOf(list(expert.MATERIAL_KINDS)))
    title = fields.Str(load_default="", validate=validate.Length(max=200))
    file = fields.Raw(load_default=None, metadata={"type": "string", "format": "binary"})


class MaterialFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class MaterialSchema(Schema):
    id = BoundedInt()
    case_id = BoundedInt()
    kind = fields.Str()
    title = fields.Str()
    filename = fields.Str()
    content_type = fields.Str()
    size = BoundedInt()
    uploaded_by_id = BoundedInt()
    created_at = LocalDateTime()


class EventSchema(Schema):
    id = BoundedInt()
    at = LocalDateTime()
    user_id = BoundedInt(allow_none=True)
    user_name = fields.Str(attribute="user.name", allow_none=True)
    kind = fields.Str()
    text = fields.Str()
    data = fields.Dict(allow_none=True)


class EventQuerySchema(Schema):
    after = BoundedInt(load_default=0, metadata={"description": "Only events after this id"})
    kind = fields.Str(load_default=None)


class OpinionCreateSchema(Schema):
    text = fields.Str(required=True, validate=validate.Length(min=2, max=5000))


class OpinionSchema(Schema):
    id = BoundedInt()
    case_id = BoundedInt()
    doctor_id = BoundedInt()
    user_id = BoundedInt(attribute="doctor.user_id")
    expert_name = fields.Str(attribute="doctor.user.name")
    hospital = fields.Str(attribute="doctor.hospital.name_zh")
    text = fields.Str()
    created_at = LocalDateTime()
    edited_at = LocalDateTime(allow_none=True)


class MaterialShownSchema(Schema):
    case_id = BoundedInt()
    id = BoundedInt()
    title = fields.Str()
    kind = fields.Str()
    content_type = fields.Str()
    url = fields.Str()
    by = fields.Str()
    user_id = BoundedInt()


class SpanSchema(Schema):
    start = LocalDateTime(data_key="from", attribute="from")
    end = LocalDateTime(data_key="to", attribute="to", allow_none=True)


class AttendeeSchema(Schema):
    user_id = BoundedInt()
    name = fields.Str()
    role = fields.Str(metadata={"description": "leader, requester, expert (or removed)"})
    presenter = fields.Bool()
    hospital_id = BoundedInt(allow_none=True)
    hospital = fields.Str()
    first_join = LocalDateTime(allow_none=True)
    last_leave = LocalDateTime(allow_none=True, metadata={"description": "None while still in the room"})
    present = fields.Bool()
    seconds_in_room = BoundedInt()
    seconds_on_stage = BoundedInt()
    intervals = fields.List(fields.Nested(SpanSchema), metadata={"description": "Stays in the room"})
    stage = fields.List(fields.Nested(SpanSchema), metadata={"description": "Stretches on the stage"})


class HospitalAttendanceSchema(Schema):
    hospital_id = BoundedInt(allow_none=True)
    hospital = fields.Str()
    expected = BoundedInt()
    attended = BoundedInt()


class AttendanceSchema(Schema):
    case_id = BoundedInt()
    mode = fields.Str()
    participants = fields.List(fields.Nested(AttendeeSchema))
    by_hospital = fields.List(fields.Nested(HospitalAttendanceSchema))


class ConclusionCreateSchema(Schema):
    diagnosis = fields.Str(required=True, validate=validate.Length(min=2, max=5000))
    treatment_advice = fields.Str(required=True, validate=validate.Length(min=2, max=5000))
    answers = fields.List(fields.Str(), load_default=list, metadata={"description": "One answer per question"})


class ActivitySchema(Schema):
    by_status = fields.Dict(keys=fields.Str(), values=BoundedInt())
    by_kind = fields.Dict(keys=fields.Str(), values=BoundedInt())
    cases = fields.Method("_cases")

    def _cases(self, obj) -> list[dict]:
        return [
            {
                "id": r["case"].id,
                "title": r["case"].title,
                "status": r["case"].status,
                "hospital": r["case"].hospital.name_zh,
                "invited": r["invited"],
                "accepted": r["accepted"],
                "counts": r["counts"],
            }
            for r in obj["cases"]
        ]
