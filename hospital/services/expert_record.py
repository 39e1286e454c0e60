"""The room's record of people: when each participant was in the room (first socket joined .. last
socket left, one interval per stay) and on the stage, and the attendance per hospital that a
lecture reports. Kept as intervals so that the report reads them without replaying events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from core import clock
from core.extensions import db
from core.models import User
from hospital.models.expert import AttendanceInterval, ExpertCase, IntervalKind
from hospital.models.network import Doctor
from hospital.services.expert_queries import case_as, participant_user_ids, role_in_case_of

K = IntervalKind


def _open(case_id: int, user_id: int, kind: str) -> AttendanceInterval | None:
    query = db.select(AttendanceInterval).filter_by(case_id=case_id, user_id=user_id, kind=kind, ended_at=None)
    return db.session.execute(query.order_by(AttendanceInterval.id.desc())).scalars().first()


def open_interval(case_id: int, user_id: int, kind: str, at: datetime | None = None) -> None:
    """Start a stretch (in the room / on stage) unless one is running already; the caller commits."""
    if _open(case_id, user_id, kind) is None:
        db.session.add(AttendanceInterval(case_id=case_id, user_id=user_id, kind=kind, started_at=at or clock.now()))


def close_interval(case_id: int, user_id: int, kind: str, at: datetime | None = None) -> None:
    """End the running stretch, if any; the caller commits."""
    row = _open(case_id, user_id, kind)
    if row is not None:
        row.ended_at = at or clock.now()


def set_stage(case: ExpertCase, stage: Iterable[int]) -> None:
    """The one place the stage changes: who left it and who came up get their stage intervals."""
    before, after = list(case.stage_user_ids or []), list(dict.fromkeys(stage))
    now = clock.now()
    for user_id in set(before) - set(after):
        close_interval(case.id, user_id, K.STAGE, now)
    for user_id in after:
        if user_id not in before:
            open_interval(case.id, user_id, K.STAGE, now)
    case.stage_user_ids = after


def _span(row: AttendanceInterval) -> dict:
    return {"from": row.started_at, "to": row.ended_at}


def _seconds(rows: list[AttendanceInterval], now: datetime) -> int:
    return int(sum(((r.ended_at or now) - r.started_at).total_seconds() for r in rows))


def _doctors_by_user(user_ids: set[int]) -> dict[int, Doctor]:
    if not user_ids:
        return {}
    rows = db.session.execute(db.select(Doctor).where(Doctor.user_id.in_(user_ids))).scalars()
    return {d.user_id: d for d in rows}


def attendance_of(case: ExpertCase, roles: dict[int, str]) -> dict:
    """Each participant's stays in the room and on stage, and who attended from each hospital.

    `roles` maps the participants' user ids to their part in the case; everyone with a recorded
    interval is listed too (a participant removed from the case keeps his record)."""
    rows = list(
        db.session.execute(
            db.select(AttendanceInterval).filter_by(case_id=case.id).order_by(AttendanceInterval.id)
        ).scalars()
    )
    user_ids = set(roles) | {r.user_id for r in rows}
    doctors = _doctors_by_user(user_ids)
    users = {u.id: u for u in db.session.execute(db.select(User).where(User.id.in_(user_ids))).scalars()}
    now, people = clock.now(), []
    for user_id in sorted(user_ids, key=lambda u: (u not in case.presenter_user_ids, users[u].name, u)):
        room = [r for r in rows if r.user_id == user_id and r.kind == K.ROOM]
        stage = [r for r in rows if r.user_id == user_id and r.kind == K.STAGE]
        doctor = doctors.get(user_id)
        people.append(
            {
                "user_id": user_id,
                "name": users[user_id].name,
                "role": roles.get(user_id, "removed"),
                "presenter": user_id in (case.presenter_user_ids or []),
                "hospital_id": doctor.hospital_id if doctor else None,
                "hospital": doctor.hospital.name_zh if doctor else "",
                "first_join": room[0].started_at if room else None,
                "last_leave": None if not room or room[-1].ended_at is None else max(r.ended_at for r in room),
                "present": any(r.ended_at is None for r in room),
                "seconds_in_room": _seconds(room, now),
                "seconds_on_stage": _seconds(stage, now),
                "intervals": [_span(r) for r in room],
                "stage": [_span(r) for r in stage],
            }
        )
    return {"case_id": case.id, "mode": case.mode, "participants": people, "by_hospital": by_hospital(people)}


def by_hospital(people: list[dict]) -> list[dict]:
    """Per hospital: how many of its people were expected (participants) and how many came."""
    table: dict[int | None, dict] = {}
    for person in people:
        row = table.setdefault(
            person["hospital_id"],
            {"hospital_id": person["hospital_id"], "hospital": person["hospital"], "expected": 0, "attended": 0},
        )
        row["expected"] += 1
        row["attended"] += 1 if person["intervals"] else 0
    return sorted(table.values(), key=lambda r: (-r["attended"], r["hospital"]))


def attendance(user: User, case_id: int) -> dict:
    """The room's record of people (participants panel, report): for the panel and administrators."""
    case = case_as(user, case_id, "leader", "requester", "expert", "admin")
    return attendance_of(case, {uid: role_in_case_of(uid, case) for uid in participant_user_ids(case)})
