"""Lecture mode (training sessions for the network hospitals' staff): one or two presenters hold the
stage, up to LECTURE_VIEWERS_MAX viewers watch, ask by chat or by hand, and may be brought up by
the host (the case's leader). The stage's rules of both modes are read here, so that the room and
the media layer (which issues publish credentials to the stage) see one stage."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import ValidationFailed
from hospital.models.expert import (
    LECTURE_PRESENTERS_MAX,
    LECTURE_STAGE_MAX,
    LECTURE_VIEWERS_MAX,
    CaseMode,
    ExpertCase,
)
from hospital.models.network import Doctor
from hospital.services import media, network

MODES = tuple(CaseMode)


def is_lecture(case: ExpertCase) -> bool:
    return case.mode == CaseMode.LECTURE


def stage_limit(case: ExpertCase) -> int:
    """How many may hold the stage: a lecture's presenters plus guests, else the media's capacity."""
    return LECTURE_STAGE_MAX if is_lecture(case) else media.stage_capacity()


def opening_stage(case: ExpertCase) -> list[int]:
    """Who is on stage when the room opens: a lecture's presenters, a consultation's leader."""
    if is_lecture(case) and case.presenter_user_ids:
        return list(case.presenter_user_ids)
    return [case.leader.user_id]


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValidationFailed("case_mode", _l("A room is a consultation or a lecture."), field="mode")
    return mode


def presenters(presenter_ids: list[int]) -> list[Doctor]:
    """A lecture's presenters (doctor ids): one or two."""
    unique = list(dict.fromkeys(presenter_ids))
    if not 1 <= len(unique) <= LECTURE_PRESENTERS_MAX:
        raise ValidationFailed(
            "presenters_count",
            _l("A lecture has one or two presenters."),
            field="presenter_ids",
        )
    return [network.get_doctor(i) for i in unique]


def audience(hospital_ids: list[int], invited: list[Doctor], skip: set[int]) -> list[Doctor]:
    """The viewers: the invited doctors and every doctor of the chosen hospitals, at most
    LECTURE_VIEWERS_MAX (the doctors in `skip`, the requester, host and presenters, not counted)."""
    for hospital_id in hospital_ids:
        network.get_hospital(hospital_id)  # 404 for a hospital that does not exist
    viewers = {d.id: d for d in invited if d.id not in skip}
    for hospital_id in dict.fromkeys(hospital_ids):
        viewers.update({d.id: d for d in network.list_doctors(hospital_id=hospital_id) if d.id not in skip})
    if len(viewers) > LECTURE_VIEWERS_MAX:
        raise ValidationFailed(
            "too_many_viewers",
            _l("A lecture has at most %(n)s viewers; this choice has %(count)s."),
            field="audience_hospital_ids",
            n=LECTURE_VIEWERS_MAX,
            count=len(viewers),
        )
    return list(viewers.values())
