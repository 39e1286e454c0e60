"""Uploaded files: the type is read from the content's first bytes (never from the name or the
browser's word), and the file is stored under UPLOAD_FOLDER with a random name.

Images are decoded and encoded again (Pillow) before they are stored: what is kept is only the
pixels, so bytes appended to or hidden in a file (HTML after a PNG's end, a script in a comment,
EXIF with the patient's location) never reach anyone who opens it later.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import ValidationFailed


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


IMAGE_TYPES = {PNG: "PNG", JPEG: "JPEG", WEBP: "WEBP"}
MAX_IMAGE_PIXELS = 40_000_000  # far beyond any photo of a lab result; refuses decompression bombs


def _unreadable() -> ValidationFailed:
    return ValidationFailed(
        "image_unreadable", _l("This image cannot be read; send a PNG, JPEG or WebP photo."), field="file"
    )


def reencode_image(content: bytes, kind: FileType) -> bytes:
    """The image's pixels only, encoded afresh in its own format (422 when it does not decode)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise _unreadable()
                image.load()
                clean = ImageOps.exif_transpose(image)  # keep the photo upright, drop the EXIF
        if kind == JPEG and clean.mode not in ("RGB", "L"):
            clean = clean.convert("RGB")
        out = io.BytesIO()
        clean.save(out, format=IMAGE_TYPES[kind], **({"quality": 90} if kind != PNG else {}))
        return out.getvalue()
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        raise _unreadable() from None


def upload_path(area: str, stored_name: str) -> Path:
    """Where an area's stored file lives."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / area / stored_name


def store(area: str, content: bytes, kind: FileType, prefix: str = "") -> str:
    """Write the content under the area's folder with a random name; returns the stored name."""
    if kind in IMAGE_TYPES:
        content = reencode_image(content, kind)
    stored_name = f"{prefix}{secrets.token_hex(16)}.{kind.extension}"
    path = upload_path(area, stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return stored_name
