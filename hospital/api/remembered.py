"""Answers of reference reads remembered per process: the departments, hospitals, doctors (and who
of them is on duty now) and the drug search change a few times a day but are read on every
page. A remembered answer is the bytes the view's own schema produced for the same path and
query, so its shape and its OpenAPI documentation are exactly the view's.

Why a remembered answer is still the right answer:
- **A committed change** of a table an answer depends on (any ORM insert, update or delete of
  its rows, bulk updates included) forgets that answer in this process at commit, and over the
  Socket.IO message queue in every other process (`core.notify.tell_every_process`): the next
  read is computed anew. A change is therefore seen at once.
- **Time**: who is on duty changes when a shift starts or ends, without any write. An answer
  that depends on the rota is remembered only until the next shift boundary (`until`).
- **A bound**: an entry lives at most TTL_SECONDS. If the message queue is away when another
  process commits a change (it is only needed with several processes), this process sees the
  change within that bound. A patient who picks a doctor from a list up to 10 s old is safe:
  starting the consultation checks the rota again in the database.
- Access checks run before the remembered answer is looked up (the decorator sits under
  `roles_required`), and only successful answers (status 200) are remembered.
- Changes outside the ORM (raw SQL, `core.rows.write` on a hot path, another program writing the
  database) are seen within the bound only: the hot paths write none of these tables (a test of
  the paid order checks it).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps

from flask import Response, current_app, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import clock, notify

TTL_SECONDS = 10.0
MAX_ENTRIES = 2_000  # per answer kind (drug searches vary); past this the memory starts again
_CHANGED = "remembered.changed_tables"
_WORD = "remembered-tables-changed"


@dataclass
class _Entry:
    body: bytes
    mimetype: str
    stored: float
    computed_at: datetime
    until: datetime | None


@dataclass
class _Kind:
    """One kind of remembered answer (one view), with the tables it is computed from."""

    tables: frozenset[str]
    until: Callable[[datetime], datetime | None] | None
    entries: dict[tuple[int, str], _Entry] = field(default_factory=dict)
    generation: int = 0

    def forget(self) -> None:
        self.generation += 1
        self.entries.clear()


_kinds: list[_Kind] = []
_watched: set[str] = set()  # every kind's tables: what each flush and bulk statement is checked against
_apps = itertools.count(1)


def _key() -> tuple[int, str]:
    """The application (each has its own database: tests build many in one process) and the
    path with its query string."""
    extensions = current_app.extensions
    if "remembered" not in extensions:
        extensions["remembered"] = next(_apps)
    return extensions["remembered"], request.full_path


def remembered(*models, until: Callable[[datetime], datetime | None] | None = None):
    """View decorator (under the access checks, above `blp.arguments`): remember the view's 200
    answer per path and query string until a row of `models` changes, `until(now)` passes (the
    next instant the answer may change by itself), or TTL_SECONDS elapse."""
    kind = _Kind(frozenset(model.__table__.name for model in models), until)
    _kinds.append(kind)
    _watched.update(kind.tables)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = _key()
            entry = kind.entries.get(key)
            if entry is not None and _fresh(entry):
                return Response(entry.body, status=200, mimetype=entry.mimetype)
            generation = kind.generation
            now = clock.now()
            response = view(*args, **kwargs)
            if isinstance(response, Response) and response.status_code == 200 and kind.generation == generation:
                if len(kind.entries) >= MAX_ENTRIES:
                    kind.entries.clear()
                boundary = kind.until(now) if kind.until else None
                body = response.get_data()
                kind.entries[key] = _Entry(body, response.mimetype, time.monotonic(), now, boundary)
            return response

        return wrapper

    return decorate


def _fresh(entry: _Entry) -> bool:
    if time.monotonic() - entry.stored > TTL_SECONDS:
        return False
    now = clock.now()  # tests move the clock both ways: the answer holds only in [computed, until)
    return entry.computed_at <= now and (entry.until is None or now < entry.until)


def forget_tables(tables) -> None:
    """Forget every answer computed from any of these tables (in this process)."""
    changed = set(tables)
    for kind in _kinds:
        if kind.tables & changed:
            kind.forget()


def _on_word(payload: dict) -> None:
    forget_tables(payload.get("tables") or ())


notify.on_word_from_any_process(_WORD, _on_word)


# --- a committed change of a table forgets what was computed from it, in every process -------


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context) -> None:
    changed = {
        getattr(obj, "__tablename__", None) for obj in (*session.new, *session.dirty, *session.deleted)
    } & _watched
    if changed:
        session.info.setdefault(_CHANGED, set()).update(changed)


@event.listens_for(Session, "do_orm_execute")
def _bulk(state) -> None:
    """ORM-enabled bulk UPDATE / DELETE / INSERT statements (they bypass the flush)."""
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        name = getattr(table, "name", None)
        if name in _watched:
            state.session.info.setdefault(_CHANGED, set()).add(name)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    tables = session.info.pop(_CHANGED, None)
    if tables:
        forget_tables(tables)
        notify.tell_every_process(_WORD, {"tables": sorted(tables)})


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)
