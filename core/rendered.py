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

from core.uploads import upload_path


def once(area: str, name: str, render: Callable[[], bytes]) -> bytes:
    """The stored file `area/name`, or `render()` stored under that name and returned."""
    path = upload_path(area, name)
    if path.exists():
        return path.read_bytes()
    content = render()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(content)
    os.replace(temporary, path)
    return content
