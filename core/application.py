"""The Flask class of the platform: Flask with one change, in how it readies a hook or a view.

Flask passes every before- and after-request hook, teardown and view through `ensure_sync` on
every request, and that asks `inspect.iscoroutinefunction` again each time: about nine Python
calls a function, some ninety a REST read with our eight hooks (a twentieth of the read's
calls). Whether a function is a coroutine function does not change, so the answer is kept per
function. Flask's documentation names `ensure_sync` as the method to override for this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

_MOST_REMEMBERED = 4096  # hooks and views are a few hundred; a caller minting new ones is not kept


class Application(Flask):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._ready: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._ready[func]
        except KeyError:
            ready = super().ensure_sync(func)
            if len(self._ready) < _MOST_REMEMBERED:
                self._ready[func] = ready
            return ready
        except TypeError:  # an unhashable callable: asked anew, as Flask does
            return super().ensure_sync(func)
