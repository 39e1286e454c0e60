"""The audit log helper every domain calls when it reads or changes a patient's data."""

from __future__ import annotations

from flask import has_request_context, request

from core.extensions import db
from core.models import AuditEntry


def record(
    actor_id: int | None,
    patient_id: int | None,
    action: str,
    object_type: str,
    object_id: int | str | None = None,
    **detail,
) -> AuditEntry:
    """Add an audit entry to the current transaction (it commits with the change it records).

    For reads, call `record_read`, which commits on its own.
    """
    entry = AuditEntry(
        actor_id=actor_id,
        patient_id=patient_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        detail=detail or None,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


_INSERT = AuditEntry.__table__.insert()


def append(
    connection, actor_id: int | None, patient_id: int | None, action: str, object_type: str, object_id, at
) -> None:
    """Write an entry on `connection`'s transaction with one prebuilt INSERT (no ORM object): for
    the hot path of chat messages, where the unit of work costs more than the row."""
    connection.execute(
        _INSERT,
        {
            "at": at,
            "actor_id": actor_id,
            "patient_id": patient_id,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id) if object_id is not None else None,
            "detail": None,
            "ip": request.remote_addr if has_request_context() else None,
        },
    )


def record_read(actor_id: int | None, patient_id: int | None, object_type: str, object_id=None, **detail) -> None:
    """Record that someone read a patient's data, and commit it."""
    record(actor_id, patient_id, "read", object_type, object_id, **detail)
    db.session.commit()


def entries_for_patient(patient_id: int, limit: int = 200) -> list[AuditEntry]:
    query = db.select(AuditEntry).filter_by(patient_id=patient_id).order_by(AuditEntry.id.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def recent(limit: int = 200) -> list[AuditEntry]:
    return list(db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).scalars())
