"""Periodic work of the server process (shift-end handover, opening scheduled expert rooms).

Domains register a task with `every(seconds)`; `start(app)` runs each in a background task of
the Socket.IO server (a greenlet under gevent) when `python app.py` serves. Each task must be
safe to run in several processes at once (their state changes are conditional updates), since
every server process runs them. Tests call the task functions directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.extensions import db, socketio

log = logging.getLogger(__name__)
_tasks: list[tuple[str, float, Callable[[], object]]] = []


def every(seconds: float):
    """Register a function (no arguments, run in an app context) to run every `seconds`."""

    def register(fn: Callable[[], object]):
        if all(name != fn.__qualname__ for name, _, _ in _tasks):
            _tasks.append((fn.__qualname__, seconds, fn))
        return fn

    return register


def start(app) -> None:
    """Start every registered task in the background of this server process."""
    for name, seconds, fn in _tasks:
        socketio.start_background_task(_loop, app, name, seconds, fn)


def _loop(app, name: str, seconds: float, fn: Callable[[], object]) -> None:
    while True:
        socketio.sleep(seconds)
        with app.app_context():
            try:
                fn()
            except Exception:  # keep going: the next round retries
                log.exception("periodic task %s failed", name)
                db.session.rollback()
            finally:
                db.session.remove()
