"""Images are stored as re-encoded pixels: whatever rode along in the file is gone."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core import uploads
from core.errors import ValidationFailed

HTML = b"<html><script>alert(document.cookie)</script></html>"


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt,kind", [("PNG", uploads.PNG), ("JPEG", uploads.JPEG), ("WEBP", uploads.WEBP)])
def test_an_image_with_html_appended_is_stored_clean(app, fmt, kind):
    dirty = _image(fmt) + HTML
    assert uploads.detect_type(dirty) == kind
    stored = uploads.store("test", dirty, kind).split("/")[-1]
    kept = uploads.upload_path("test", stored).read_bytes()
    assert b"<script" not in kept and b"<html" not in kept
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == fmt and image.size == (40, 30)


def test_a_file_that_only_starts_like_a_png_is_refused(app):
    fake = b"\x89PNG\r\n\x1a\n" + HTML
    with pytest.raises(ValidationFailed) as err:
        uploads.store("test", fake, uploads.PNG)
    assert err.value.field == "file" and err.value.status == 422
