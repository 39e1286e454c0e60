"""Counting the SQL statements and commits a request issues, grouped by the project's code that
issued them (a SQLAlchemy event listener on the app's engine); the profiling scripts share it."""

from __future__ import annotations

import collections
import traceback
from pathlib import Path

from sqlalchemy import event

from core.extensions import db

ROOT = str(Path(__file__).resolve().parent.parent.parent)


def _origin() -> str:
    """The innermost frame of the project's own code (not the bench, not a library)."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if frame.filename.startswith(ROOT) and "/bench/" not in frame.filename and "/.venv/" not in frame.filename:
            return f"{frame.filename.removeprefix(ROOT + '/')}:{frame.lineno} {frame.name}"
    return "?"


class Counting:
    """Counts the statements and commits on the app's engine while entered, by origin (`traced`;
    off while profiling, where walking the stack would swamp the profile)."""

    def __init__(self, app, traced: bool = True):
        self.statements: collections.Counter[str] = collections.Counter()
        self.commits: collections.Counter[str] = collections.Counter()
        # Each BEGIN and ROLLBACK is a round trip of its own on PostgreSQL (psycopg sends them
        # as commands): a read left open after the last commit costs two.
        self.begins: collections.Counter[str] = collections.Counter()
        self.rollbacks: collections.Counter[str] = collections.Counter()
        self.on = False
        where = _origin if traced else lambda: "(not traced while profiling)"
        with app.app_context():
            engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _statement(conn, cursor, sql, params, context, executemany):
            if self.on:
                self.statements[f"{where()}  | {sql[:70]!r}"] += 1

        @event.listens_for(engine, "commit")
        def _commit(conn):
            if self.on:
                self.commits[where()] += 1

        @event.listens_for(engine, "begin")
        def _begin(conn):
            if self.on:
                self.begins[where()] += 1

        @event.listens_for(engine, "rollback")
        def _rollback(conn):
            if self.on:
                self.rollbacks[where()] += 1

    def __enter__(self):
        self.statements.clear()
        self.commits.clear()
        self.begins.clear()
        self.rollbacks.clear()
        self.on = True
        return self

    def __exit__(self, *exc):
        self.on = False

    def print(self, count: int, what: str) -> None:
        statements, commits = sum(self.statements.values()), sum(self.commits.values())
        print(f"per {what}: {statements / count:.1f} statements, {commits / count:.1f} commits")
        for where, n in self.statements.most_common():
            print(f"{n / count:5.1f}  {where}")
        print("commits:")
        for where, n in self.commits.most_common():
            print(f"{n / count:5.1f}  {where}")
        for name, counted in (("begins", self.begins), ("rollbacks", self.rollbacks)):
            print(f"{name}: {sum(counted.values()) / count:.1f}")
            for where, n in counted.most_common():
                print(f"{n / count:5.1f}  {where}")
