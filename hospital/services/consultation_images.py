"""Images in the consultation chat: checked by content and size, stored, posted as a message."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from core import audit, uploads
from core.errors import MSG_NOT_FOUND, NotFound, ValidationFailed
from core.extensions import db
from core.models import User
from hospital.models.consultations import ConsultationAttachment, MessageKind
from hospital.services import chat
from hospital.services import consultation_access as access

IMAGE_TYPES = (uploads.PNG, uploads.JPEG, uploads.WEBP)
DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024


def add_image(user: User, consultation_id: int, data: bytes, filename: str = "", client_id: str | None = None):
    """Store an image (type by magic bytes, size limited) under UPLOAD_FOLDER and post it in the chat."""
    consultation = access.participant(user, consultation_id)
    existing = chat.stored_with_client_id(consultation.id, user.id, (client_id or "")[:64] or None)
    if existing is not None:
        return chat.message_dict(existing), False
    chat.check_can_write(user, consultation)
    limit = current_app.config.get("CONSULTATION_IMAGE_MAX_BYTES", DEFAULT_MAX_IMAGE_BYTES)
    if not data or len(data) > limit:
        raise ValidationFailed(
            "image_too_large", _l("An image may be at most %(mb)s MB."), field="file", mb=limit // (1024 * 1024)
        )
    kind = uploads.detect_type(data)
    if kind not in IMAGE_TYPES:
        raise ValidationFailed("image_type", _l("Only PNG, JPEG or WebP images can be sent."), field="file")
    mime = kind.mime
    stored = uploads.store("consultations", data, kind, prefix=f"{consultation.id}/")
    attachment = ConsultationAttachment(
        consultation_id=consultation.id,
        uploader_id=user.id,
        stored_name=stored,
        original_name=(filename or "")[:200],
        mime=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    db.session.add(attachment)
    db.session.flush()
    return chat.store_and_broadcast(
        user, consultation, MessageKind.IMAGE, "", (client_id or "")[:64] or None, attachment.id
    )


def attachment_file(user: User, consultation_id: int, attachment_id: int) -> tuple[Path, str]:
    """The stored file of an attachment, for the consultation's participants (and queue viewers)."""
    consultation = access.get_consultation_for(user, consultation_id)
    attachment = db.session.get(ConsultationAttachment, attachment_id)
    if attachment is None or attachment.consultation_id != consultation.id:
        raise NotFound("attachment_not_found", MSG_NOT_FOUND)
    audit.record_read(user.id, consultation.patient_id, "consultation_attachment", attachment.id)
    return uploads.upload_path("consultations", attachment.stored_name), attachment.mime
