"""Uploaded files: the type is read from the content's first bytes (never from the name or the
browser's word), and the file is stored under UPLOAD_FOLDER with a random name."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app


@dataclass(frozen=True)
class FileType:
    mime: str
    extension: str


PNG = FileType("image/png", "png")
JPEG = FileType("image/jpeg", "jpg")
WEBP = FileType("image/webp", "webp")
PDF = FileType("application/pdf", "pdf")

_MAGIC = ((b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG), (b"%PDF", PDF))


def detect_type(content: bytes) -> FileType | None:
    """The file type from its magic bytes (PNG, JPEG, WebP, PDF), or None."""
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            return kind
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    return None


def upload_path(area: str, stored_name: str) -> Path:
    """Where an area's stored file lives."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / area / stored_name


def store(area: str, content: bytes, kind: FileType, prefix: str = "") -> str:
    """Write the content under the area's folder with a random name; returns the stored name."""
    stored_name = f"{prefix}{secrets.token_hex(16)}.{kind.extension}"
    path = upload_path(area, stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return stored_name
