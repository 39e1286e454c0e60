"""Periodic work of the server process (shift-end handover, opening scheduled expert rooms).

Domains register a task with `every(seconds)`; `start(app)` runs each in a background task of
the Socket.IO server (a greenlet under gevent) when `python app.py` serves and the RUN_TASKS
setting is on. A cluster turns it on in one process only (scripts/run-cluster.sh), so a sweep runs
once per period, not once per process. Each task stays safe to run twice at once all the same
(their state changes are conditional updates): during a restart two processes may overlap.
Tests call the task functions directly.
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


def start(app) -> bool:
    """Start every registered task in the background of this server process, if RUN_TASKS is on
    here; says whether it started them."""
    if not app.config.get("RUN_TASKS", True):
        log.info("periodic tasks run in another process (RUN_TASKS is off here)")
        return False
    for name, seconds, fn in _tasks:
        socketio.start_background_task(_loop, app, name, seconds, fn)
    return True


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
