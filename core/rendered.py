"""Documents rendered once and kept: a signed paper never changes, so its PDF is drawn on the
first download and later downloads send the stored bytes (the same file, byte for byte).

The caller names the file after what is printed on it (a digest of its content or of the columns
that can still change it), so that a change gives a new name and a stale file is never served.
Files are written to a temporary name and renamed: another process never reads half a file, and
two processes drawing the same paper at once both end with a whole one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import Response, current_app, request

from core.uploads import upload_path


def once(area: str, name: str, render: Callable[[], bytes]) -> bytes:
    """The stored file `area/name`, or `render()` stored under that name and returned."""
    return stored(area, name, render).read_bytes()


def stored(area: str, name: str, render: Callable[[], bytes]) -> Path:
    """The path of the stored file `area/name`, rendered and stored first if it is not there yet
    (to send it from the file system: conditional requests, sendfile, a proxy's X-Accel-Redirect)."""
    path = upload_path(area, name)
    if path.exists():
        return path
    content = render()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(content)
    os.chmod(temporary, 0o644)  # mkstemp's 0600 would keep a proxy sending it (X-Accel) out
    os.replace(temporary, path)
    return path


def send(path: Path, mimetype: str, download_name: str, etag: str) -> Response:
    """A stored file as the answer: its entity tag (the name says what is printed, so the tag
    changes with the content) lets a repeated download be a 304 without the bytes. Private: it is
    a patient's paper, for his browser's cache only. Behind nginx (STORED_FILES_ACCEL set to its
    internal location for UPLOAD_FOLDER), nginx sends the file itself (X-Accel-Redirect)."""
    accel = current_app.config.get("STORED_FILES_ACCEL")
    if accel:
        relative = path.relative_to(current_app.config["UPLOAD_FOLDER"]).as_posix()
        response = Response(mimetype=mimetype, headers={"X-Accel-Redirect": f"{accel.rstrip('/')}/{relative}"})
    else:
        response = Response(path.read_bytes(), mimetype=mimetype)  # a few dozen kB: no file handle kept
    response.headers["Content-Disposition"] = f'inline; filename="{download_name}"'
    response.set_etag(etag)
    response = response.make_conditional(request)
    if response.status_code == 304:  # nothing to send: nginx would follow the redirect and send it
        response.headers.pop("X-Accel-Redirect", None)
    response.cache_control.public = False
    response.cache_control.private = True
    return response
