"""Remote multi-expert consultations, one name for callers: the modules below each do one thing.

- expert_machine: the transition table, move_to(), the case's events, opening/cancelling/closing
- expert_invitations: the request and the panel's answers
- expert_materials: consent, the patient's records, shared materials
- expert_room: presence, chat, raised hands and the stage
- expert_conclusion: opinions, the signed conclusion, the report's case
- expert_lecture: lecture mode (presenters, audience) and the stage's limit in each mode
- expert_record: who was in the room and on stage when; attendance per hospital
- expert_queries: roles in a case, what each person may see, lists and activity
"""

from __future__ import annotations

from hospital.models.expert import ExpertCase
from hospital.services.expert_conclusion import (
    add_opinion,
    conclude,
    conclusion_content,
    conclusion_payload,
    edit_opinion,
    list_opinions,
    opinion_payload,
    report_case,
    verify_conclusion,
    writes_opinions,
)
from hospital.services.expert_invitations import CaseRequest, answer_invitation, request_case
from hospital.services.expert_lecture import is_lecture, stage_limit
from hospital.services.expert_machine import (
    TRANSITIONS,
    brief,
    cancel_case,
    close_case,
    move_to,
    open_due_cases,
    room_name,
    start_session,
)
from hospital.services.expert_materials import (
    MATERIAL_KINDS,
    add_material,
    material_brief,
    material_file,
    patient_records,
    record_consent,
    show_material,
)
from hospital.services.expert_queries import (
    MSG_NOT_FOUND,
    activity,
    events_for,
    get_case_for,
    list_cases_for,
    list_materials,
    participant_user_ids,
    role_in_case,
    upcoming_cases_for,
)
from hospital.services.expert_record import attendance, attendance_of
from hospital.services.expert_room import (
    may_join_room,
    media_links,
    move_floor,
    post_message,
    raise_hand,
    record_presence,
    stage_state,
)

__all__ = [
    "MATERIAL_KINDS",
    "MSG_NOT_FOUND",
    "TRANSITIONS",
    "CaseRequest",
    "ExpertCase",
    "activity",
    "add_material",
    "add_opinion",
    "writes_opinions",
    "attendance",
    "attendance_of",
    "conclusion_payload",
    "edit_opinion",
    "is_lecture",
    "material_brief",
    "opinion_payload",
    "show_material",
    "stage_limit",
    "answer_invitation",
    "brief",
    "cancel_case",
    "close_case",
    "conclude",
    "conclusion_content",
    "events_for",
    "get_case_for",
    "list_cases_for",
    "list_materials",
    "list_opinions",
    "material_file",
    "may_join_room",
    "media_links",
    "move_floor",
    "move_to",
    "open_due_cases",
    "participant_user_ids",
    "patient_records",
    "post_message",
    "raise_hand",
    "record_consent",
    "record_presence",
    "report_case",
    "request_case",
    "role_in_case",
    "room_name",
    "stage_state",
    "start_session",
    "upcoming_cases_for",
    "verify_conclusion",
]
