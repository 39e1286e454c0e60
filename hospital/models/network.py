"""The network of hospitals, their departments and the doctors who consult online."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db


class HospitalLevel(enum.StrEnum):
    PROVINCIAL = "provincial"  # the hub that runs the internet hospital
    MEMBER = "member"  # hospitals of the network whose experts join consultations


class DoctorTitle(enum.StrEnum):
    CHIEF = "chief"  # 主任医师
    ASSOCIATE_CHIEF = "associate_chief"  # 副主任医师
    ATTENDING = "attending"  # 主治医师
    RESIDENT = "resident"  # 住院医师


class Hospital(db.Model):
    __tablename__ = "hospitals"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)  # fixmedins_code style
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(160))
    level: Mapped[str] = mapped_column(String(16), default=HospitalLevel.MEMBER)
    city: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    departments: Mapped[list[Department]] = relationship(back_populates="hospital", order_by="Department.code")


class Department(db.Model):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("hospital_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    hospital: Mapped[Hospital] = relationship(back_populates="departments")


class Doctor(db.Model):
    """A doctor's professional profile; the person and login are core's User (role doctor)."""

    __tablename__ = "doctors"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    title: Mapped[str] = mapped_column(String(20))
    # The rules need 3 years of independent practice for online consultation.
    practice_since: Mapped[date] = mapped_column(Date)
    license_no: Mapped[str] = mapped_column(String(32), default="")
    specialty: Mapped[str] = mapped_column(Text, default="")

    user = relationship("User")
    hospital: Mapped[Hospital] = relationship()
    department: Mapped[Department] = relationship()
