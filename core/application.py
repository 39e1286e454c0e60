"""The Flask class of the platform: Flask with two changes, in how it readies a hook or a view
and in when a route's URL builder is written.

Flask passes every before- and after-request hook, teardown and view through `ensure_sync` on
every request, and that asks `inspect.iscoroutinefunction` again each time: about nine Python
calls a function, some ninety a REST read with our eight hooks (a twentieth of the read's
calls). Whether a function is a coroutine function does not change, so the answer is kept per
function. Flask's documentation names `ensure_sync` as the method to override for this.

werkzeug writes, compiles and loads two Python functions for every route as it is added (to build
its URLs for `url_for`): three quarters of what adding our ~280 routes costs, a fifth of a second
for every process and every test that builds an app, while a process builds URLs for a few dozen
routes at most. `Route` writes them when a URL of the route is first built; the functions are the
same ones (werkzeug's own code writes them), so the URLs are too (test). Flask names
`url_rule_class` as the place for a Rule of one's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

_MOST_REMEMBERED = 4096  # hooks and views are a few hundred; a caller minting new ones is not kept


class Route(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        write_builder = super()._compile_builder
        name = "_build_unknown" if append_unknown else "_build"

        def build_first(rule: Route, **values: Any) -> tuple[str, str]:
            builder = write_builder(append_unknown).__get__(rule, None)
            setattr(rule, name, builder)  # later URLs of this route go straight to it
            return builder(**values)

        return build_first


class Application(Flask):
    url_rule_class = Route

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
