"""Timed slots (分时段) at network hospital departments and bookings of them: an in-person visit
on referral, or lab tests ordered online. A slot never takes more bookings than its capacity,
also under concurrency: places are taken by one conditional UPDATE (… WHERE booked < capacity)
and the table's CHECK (booked <= capacity) stands behind it."""

from __future__ import annotations

import io
import secrets
from datetime import date, datetime, time, timedelta

import qrcode
import qrcode.image.svg
from flask import current_app
from flask_babel import lazy_gettext as _l

from chronic import care
from chronic.models import Booking, BookingStatus, LabOrder, LabOrderStatus, Referral, SlotPurpose, VisitSlot
from core import audit, clock
from core.errors import MSG_NOT_FOUND, Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.models import Role, User
from core.signals import status_changed
from core.transitions import conditional_move
from hospital.services import network
from hospital.services import patients as hospital_patients

SLOT_MINUTES = 30
BOOK_AHEAD_DAYS = 14
TRANSITIONS = {BookingStatus.BOOKED: {BookingStatus.CANCELLED}}


# --- publishing slots ---------------------------------------------------------------------------


def _may_publish(actor: User, department_id: int) -> bool:
    doctor = care.doctor_of(actor)
    return actor.role == Role.ADMIN or (doctor is not None and doctor.department_id == department_id)


def publish_slots(
    actor: User, department_id: int, day: date, first: time, count: int, capacity: int, purpose: str = SlotPurpose.VISIT
) -> list[VisitSlot]:
    """Publish `count` consecutive 30-minute slots from `first` on `day` (an administrator or a
    doctor of the department); a slot already published at a time is left as it is."""
    network.get_department(department_id)
    if not _may_publish(actor, department_id):
        raise Forbidden("role_refused", _l("Only an administrator or a doctor of the department may publish slots."))
    if purpose not in set(SlotPurpose):
        raise ValidationFailed("slot_purpose", _l("Choose a visit or lab tests."), field="purpose")
    if not 1 <= capacity <= 100:
        raise ValidationFailed("slot_capacity", _l("Capacity must be between 1 and 100."), field="capacity")
    if not 1 <= count <= 32:
        raise ValidationFailed("slot_count", _l("Publish between 1 and 32 slots at a time."), field="count")
    if day < clock.today():
        raise ValidationFailed("slot_past", _l("Slots cannot be published for a past day."), field="day")
    starts = datetime.combine(day, first, tzinfo=clock.local_tz())
    created = []
    for index in range(count):
        begin = (starts + timedelta(minutes=SLOT_MINUTES * index)).astimezone(clock.now().tzinfo)
        exists = db.session.execute(
            db.select(VisitSlot.id).filter_by(department_id=department_id, purpose=purpose, starts_at=begin)
        ).first()
        if exists is None:
            slot = VisitSlot(
                department_id=department_id,
                purpose=purpose,
                starts_at=begin,
                ends_at=begin + timedelta(minutes=SLOT_MINUTES),
                capacity=capacity,
                booked=0,
            )
            db.session.add(slot)
            created.append(slot)
    audit.record(actor.id, None, "publish", "slots", department_id, day=day.isoformat(), count=len(created))
    db.session.commit()
    return created


def lab_departments() -> list:
    """The laboratories that publish lab slots."""
    query = db.select(VisitSlot.department_id).filter_by(purpose=SlotPurpose.LAB).distinct()
    return [network.get_department(i) for i in db.session.execute(query).scalars()]


def open_slots(department_id: int, purpose: str = SlotPurpose.VISIT) -> list[VisitSlot]:
    """Upcoming slots of a department within two weeks, full ones included (shown as full)."""
    now = clock.now()
    query = db.select(VisitSlot).where(
        VisitSlot.department_id == department_id,
        VisitSlot.purpose == purpose,
        VisitSlot.starts_at > now,
        VisitSlot.starts_at < now + timedelta(days=BOOK_AHEAD_DAYS),
    )
    return list(db.session.execute(query.order_by(VisitSlot.starts_at)).scalars())


# --- where a referral sends the patient ----------------------------------------------------------


def destination_of(consultation) -> int:
    """The department the referral sends him to: the doctor's choice, else the consultation's own."""
    row = db.session.execute(db.select(Referral).filter_by(consultation_id=consultation.id)).scalar_one_or_none()
    return row.department_id if row else consultation.department_id


def choose_destination(doctor_user: User, consultation_id: int, department_id: int) -> Referral:
    """The referring doctor chooses the network hospital department the patient should visit."""
    doctor = care.doctor_of(doctor_user)
    consultation = care.get_consultation(consultation_id)
    if doctor is None or consultation is None or consultation.doctor_id != doctor.id:
        raise NotFound("consultation_not_found", MSG_NOT_FOUND)
    if not care.is_referred(consultation):
        raise Conflict("not_referred", _l("Only a consultation referred to an in-person visit has a destination."))
    network.get_department(department_id)
    row = db.session.execute(db.select(Referral).filter_by(consultation_id=consultation_id)).scalar_one_or_none()
    if row is None:
        row = Referral(consultation_id=consultation_id, department_id=department_id, chosen_by_id=doctor_user.id)
        db.session.add(row)
    row.department_id = department_id
    audit.record(
        doctor_user.id,
        consultation.patient_id,
        "refer_to",
        "consultation",
        consultation_id,
        department_id=department_id,
    )
    db.session.commit()
    return row


def referral_for(patient: User, consultation_id: int):
    """His referred consultation and the department to book (404 when not his, 409 when not referred)."""
    hospital_patients.require_patient(patient)
    consultation = care.consultation_of_patient(patient.id, consultation_id)
    if not care.is_referred(consultation):
        raise Conflict("not_referred", _l("This consultation did not end with a referral to an in-person visit."))
    return consultation, network.get_department(destination_of(consultation))


# --- booking ------------------------------------------------------------------------------------


def _take_place(slot_id: int) -> None:
    """One place more, only while one is free: the database decides, not a read before."""
    result = db.session.execute(
        db.update(VisitSlot)
        .where(VisitSlot.id == slot_id, VisitSlot.booked < VisitSlot.capacity)
        .values(booked=VisitSlot.booked + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("slot_full", _l("This time is fully booked. Please choose another time."))


def _free_place(slot_id: int) -> None:
    db.session.execute(
        db.update(VisitSlot)
        .where(VisitSlot.id == slot_id, VisitSlot.booked > 0)
        .values(booked=VisitSlot.booked - 1)
        .execution_options(synchronize_session=False)
    )


def _bookable_slot(slot_id: int, department_id: int | None, purpose: str) -> VisitSlot:
    slot = db.session.get(VisitSlot, slot_id)
    wrong_department = department_id is not None and slot is not None and slot.department_id != department_id
    if slot is None or wrong_department or slot.purpose != purpose:
        raise ValidationFailed("slot_not_offered", _l("Choose one of the times offered."), field="slot_id")
    if slot.starts_at <= clock.now():
        raise ValidationFailed("slot_past", _l("This time has passed. Please choose a later one."), field="slot_id")
    return slot


def _active_booking(**by) -> Booking | None:
    query = db.select(Booking).filter_by(status=BookingStatus.BOOKED, **by)
    return db.session.execute(query).scalars().first()


def _book(patient: User, slot: VisitSlot, **link) -> Booking:
    _take_place(slot.id)
    return _book_taken(patient, slot, **link)


def book_referral(patient: User, consultation_id: int, slot_id: int) -> Booking:
    """Book a timed in-person visit for his referral; one active booking per referral."""
    consultation, department = referral_for(patient, consultation_id)
    slot = _bookable_slot(slot_id, department.id, SlotPurpose.VISIT)
    if _active_booking(consultation_id=consultation.id) is not None:
        raise Conflict(
            "already_booked", _l("This referral is already booked. Cancel that booking to choose another time.")
        )
    return _book(patient, slot, consultation_id=consultation.id)


def book(patient: User, slot_id: int, consultation_id: int | None = None, lab_order_id: int | None = None) -> Booking:
    """Book a slot for a referral or for ordered lab tests (exactly one of them)."""
    if consultation_id:
        return book_referral(patient, consultation_id, slot_id)
    if lab_order_id:
        return book_lab(patient, lab_order_id, slot_id)
    raise ValidationFailed(
        "booking_for", _l("Say what the booking is for: a referral or lab tests."), field="consultation_id"
    )


def book_lab(patient: User, lab_order_id: int, slot_id: int) -> Booking:
    """Book a timed slot at a network hospital's laboratory for tests ordered online."""
    hospital_patients.require_patient(patient)
    order = db.session.get(LabOrder, lab_order_id)
    if order is None or order.patient_id != patient.id:
        raise NotFound("lab_order_not_found", MSG_NOT_FOUND, field="lab_order_id")
    if order.status != LabOrderStatus.ORDERED:
        raise Conflict("lab_order_booked", _l("These tests are already booked or done."))
    slot = _bookable_slot(slot_id, None, SlotPurpose.LAB)
    _take_place(slot.id)
    if not conditional_move(order, LabOrderStatus.BOOKED):
        db.session.rollback()
        raise Conflict("lab_order_booked", _l("These tests are already booked or done."))
    return _book_taken(patient, slot, lab_order_id=lab_order_id)


def _book_taken(patient: User, slot: VisitSlot, **link) -> Booking:
    booking = Booking(slot_id=slot.id, patient_id=patient.id, code=secrets.token_hex(8).upper(), **link)
    db.session.add(booking)
    db.session.flush()
    status_changed.send("booking", record_id=booking.id, status=BookingStatus.BOOKED)
    audit.record(patient.id, patient.id, "book", "booking", booking.id, slot_id=slot.id, **link)
    db.session.commit()
    return booking


def move_to(booking: Booking, status: str, **values) -> None:
    """The only status change of a booking: checked and conditional."""
    if status not in TRANSITIONS.get(booking.status, set()):
        raise Conflict("illegal_transition", _l("This booking is already cancelled."))
    if not conditional_move(booking, status, **values):
        db.session.rollback()
        raise Conflict("illegal_transition", _l("This booking is already cancelled."))
    status_changed.send("booking", record_id=booking.id, status=status)


def get_booking(actor: User, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or not care.may_see(actor, booking.patient_id):
        raise NotFound("booking_not_found", MSG_NOT_FOUND)
    audit.record_read(actor.id, booking.patient_id, "booking", booking.id)
    return booking


def cancel(patient: User, booking_id: int) -> Booking:
    """The patient cancels before the time; the place is free again (a lab order can be rebooked)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.patient_id != patient.id:
        raise NotFound("booking_not_found", MSG_NOT_FOUND)
    if booking.slot.starts_at <= clock.now() and booking.status == BookingStatus.BOOKED:
        raise Conflict("booking_started", _l("This time has already begun; it can no longer be cancelled."))
    move_to(booking, BookingStatus.CANCELLED, cancelled_at=clock.now())
    _free_place(booking.slot_id)
    if booking.lab_order_id:
        db.session.execute(
            db.update(LabOrder)
            .where(LabOrder.id == booking.lab_order_id, LabOrder.status == LabOrderStatus.BOOKED)
            .values(status=LabOrderStatus.ORDERED)
        )
    audit.record(patient.id, patient.id, "cancel", "booking", booking.id)
    db.session.commit()
    return booking


def bookings_of(patient: User) -> list[Booking]:
    query = db.select(Booking).filter_by(patient_id=patient.id).order_by(Booking.id.desc()).limit(50)
    rows = list(db.session.execute(query).scalars())
    audit.record_read(patient.id, patient.id, "bookings", None)
    return rows


def verify_url(booking: Booking) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/api/chronic/bookings/verify/{booking.code}"


def qr_svg(booking: Booking) -> bytes:
    """The confirmation's QR code (SVG), scanned at the hospital's desk."""
    image = qrcode.make(verify_url(booking), image_factory=qrcode.image.svg.SvgPathImage, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def verify(code: str) -> dict:
    """What the desk's scanner sees: the booking's time, department and state, no patient identity."""
    booking = db.session.execute(db.select(Booking).filter_by(code=code.upper())).scalar_one_or_none()
    if booking is None:
        raise NotFound("booking_not_found", _l("No booking with this code."))
    return {
        "code": booking.code,
        "status": booking.status,
        "starts_at": booking.slot.starts_at,
        "department": booking.slot.department.name_zh,
        "hospital": booking.slot.department.hospital.name_zh,
    }
