"""The network: hospitals, departments and doctors, managed by administrators."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlalchemy.orm import contains_eager, selectinload

from core import accounts, clock
from core.errors import NotFound, ValidationFailed, commit_unique
from core.extensions import db
from core.models import Role, User
from hospital.models.network import Department, Doctor, DoctorTitle, Hospital, HospitalLevel
from hospital.services import duty

MIN_PRACTICE_YEARS = 3


def list_hospitals(level: str | None = None, q: str | None = None) -> list[Hospital]:
    query = db.select(Hospital).order_by(Hospital.level.desc(), Hospital.code)
    if level:
        query = query.where(Hospital.level == level)
    if q:
        query = query.where(Hospital.name_zh.contains(q) | Hospital.name_en.ilike(f"%{q}%"))
    return list(db.session.execute(query).scalars())


def get_hospital(hospital_id: int) -> Hospital:
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None:
        raise NotFound("hospital_not_found", _l("No such hospital."))
    return hospital


def create_hospital(
    code: str, name_zh: str, name_en: str, level: str = HospitalLevel.MEMBER, city: str = ""
) -> Hospital:
    if level not in list(HospitalLevel):
        raise ValidationFailed("invalid_level", _l("Level must be provincial or member."), field="level")
    hospital = Hospital(code=code.strip(), name_zh=name_zh.strip(), name_en=name_en.strip(), level=level, city=city)
    db.session.add(hospital)
    commit_unique("duplicate_code", _l("A hospital with this code exists."), field="code")
    return hospital


def update_hospital(hospital_id: int, **changes) -> Hospital:
    hospital = get_hospital(hospital_id)
    for name in ("name_zh", "name_en", "city", "active", "level"):
        if changes.get(name) is not None:
            setattr(hospital, name, changes[name])
    db.session.commit()
    return hospital


def list_departments(hospital_id: int | None = None) -> list[Department]:
    query = db.select(Department).where(Department.active.is_(True)).order_by(Department.hospital_id, Department.code)
    if hospital_id:
        query = query.where(Department.hospital_id == hospital_id)
    return list(db.session.execute(query).scalars())


def online_departments() -> list[Department]:
    """The departments patients consult online: those of the provincial hub that runs the service."""
    query = (
        db.select(Department)
        .join(Hospital, Hospital.id == Department.hospital_id)
        .where(Department.active.is_(True), Hospital.level == HospitalLevel.PROVINCIAL)
        .order_by(Department.code)
    )
    return list(db.session.execute(query).scalars())


# The department that usually follows up a chronic condition, by ICD-10 code prefix (longest first).
_DEPARTMENT_BY_ICD10 = (
    ("E78", "CARD"),
    ("M10", "RHEU"),
    ("I", "CARD"),
    ("E", "ENDO"),
    ("J", "RESP"),
    ("K", "GAST"),
    ("N", "NEPH"),
    ("G", "NEUR"),
    ("F", "PSYC"),
    ("M", "RHEU"),
    ("C", "ONCO"),
    ("L", "DERM"),
)


def suggested_department(icd10: str, departments: list[Department]) -> Department | None:
    """The department among `departments` that follows up this diagnosis, if one fits."""
    by_code = {d.code: d for d in departments}
    for prefix, code in _DEPARTMENT_BY_ICD10:
        if icd10.upper().startswith(prefix) and code in by_code:
            return by_code[code]
    return None


def get_department(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound("department_not_found", _l("No such department."), field="department_id")
    return department


def create_department(hospital_id: int, code: str, name_zh: str, name_en: str) -> Department:
    get_hospital(hospital_id)
    department = Department(
        hospital_id=hospital_id, code=code.strip(), name_zh=name_zh.strip(), name_en=name_en.strip()
    )
    db.session.add(department)
    commit_unique("duplicate_code", _l("This hospital already has a department with this code."), field="code")
    return department


def years_of_practice(doctor: Doctor, on: date | None = None) -> int:
    on = on or clock.today()
    since = doctor.practice_since
    return on.year - since.year - ((on.month, on.day) < (since.month, since.day))


def may_consult_online(doctor: Doctor) -> bool:
    """The rules allow online consultation only after 3 years of independent practice."""
    return years_of_practice(doctor) >= MIN_PRACTICE_YEARS


def create_doctor(
    username: str,
    name: str,
    password: str,
    hospital_id: int,
    department_id: int,
    title: str,
    practice_since: date,
    phone: str | None = None,
    license_no: str = "",
    specialty: str = "",
) -> Doctor:
    """Create the doctor's account and professional profile in one step (administrators)."""
    department = get_department(department_id)
    if department.hospital_id != hospital_id:
        raise ValidationFailed(
            "department_mismatch", _l("The department is not in that hospital."), field="department_id"
        )
    if title not in list(DoctorTitle):
        raise ValidationFailed("invalid_title", _l("Unknown professional title."), field="title")
    if practice_since > clock.today():
        raise ValidationFailed("invalid_date", _l("The practice start date is in the future."), field="practice_since")
    user = accounts.create_staff(username, Role.DOCTOR, name, password, phone)
    doctor = Doctor(
        user_id=user.id,
        hospital_id=hospital_id,
        department_id=department_id,
        title=title,
        practice_since=practice_since,
        license_no=license_no,
        specialty=specialty,
    )
    db.session.add(doctor)
    db.session.commit()
    return doctor


def update_doctor(doctor_id: int, **changes) -> Doctor:
    doctor = get_doctor(doctor_id)
    if changes.get("department_id"):
        department = get_department(changes["department_id"])
        doctor.department_id, doctor.hospital_id = department.id, department.hospital_id
    for name in ("title", "practice_since", "license_no", "specialty"):
        if changes.get(name) is not None:
            setattr(doctor, name, changes[name])
    db.session.commit()
    return doctor


def get_doctor(doctor_id: int) -> Doctor:
    doctor = db.session.get(Doctor, doctor_id)
    if doctor is None:
        raise NotFound("doctor_not_found", _l("No such doctor."))
    return doctor


# Built once: asked on most of a doctor's requests (who he is as a doctor), and building the
# statement and its cache key cost about as much as running it.
_DOCTOR_OF_USER = db.select(Doctor).where(Doctor.user_id == bindparam("user_id"))


def doctor_for_user(user_id: int) -> Doctor | None:
    return db.session.execute(_DOCTOR_OF_USER, {"user_id": user_id}).scalar_one_or_none()


def doctor_id_of_user(user_id: int):
    """The user's doctor id as a scalar subquery (NULL when he has no doctor's profile), for
    queries that need only the id: one statement instead of loading the profile first."""
    return db.select(Doctor.id).where(Doctor.user_id == user_id).scalar_subquery()


def list_doctors(
    department_id: int | None = None,
    hospital_id: int | None = None,
    on_duty: bool | None = None,
    title: str | None = None,
    q: str | None = None,
) -> list[Doctor]:
    """Doctors of the network, filtered; `on_duty=True` keeps those on a shift right now."""
    query = db.select(Doctor).join(User, User.id == Doctor.user_id).where(User.active.is_(True)).order_by(Doctor.id)
    # what the list shows, loaded with it: three statements in all instead of one per doctor
    query = query.options(contains_eager(Doctor.user), selectinload(Doctor.hospital), selectinload(Doctor.department))
    if department_id:
        query = query.where(Doctor.department_id == department_id)
    if hospital_id:
        query = query.where(Doctor.hospital_id == hospital_id)
    if title:
        query = query.where(Doctor.title == title)
    if q:
        query = query.where(User.name.contains(q))
    if on_duty is not None:  # filtered in SQL: only those doctors are loaded and printed
        on_duty_ids = duty.on_duty_doctor_ids(clock.now())
        query = query.where(Doctor.id.in_(on_duty_ids) if on_duty else Doctor.id.not_in(on_duty_ids))
    return list(db.session.execute(query).scalars())
