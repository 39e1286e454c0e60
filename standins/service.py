"""What a stand-in needs to run as a service of its own: its own SQLite file, and the admin
endpoints that tests and operators use to make it misbehave (/admin/faults) or check it (/health)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, jsonify, request

from standins.faults import FaultSwitch

SQLITE_FILE = "sqlite:///"


def sqlite_file_ready(url: str) -> None:
    """Make the folder of a SQLite database file (the first run of a fresh checkout has none)."""
    if url.startswith(SQLITE_FILE):
        Path(url[len(SQLITE_FILE) :]).parent.mkdir(parents=True, exist_ok=True)


def sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: WAL so the admin endpoints can read while a message writes; wait instead of failing when busy."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def admin_blueprint(switch: Callable[[], FaultSwitch]) -> Blueprint:
    """GET /admin/faults reads the faults, POST sets them (?replace=1 resets the others); GET /health."""
    admin = Blueprint("standin_admin", __name__)

    @admin.route("/admin/faults", methods=["GET", "POST"])
    def faults():
        if request.method == "POST":
            values = request.get_json(force=True) or {}
            return jsonify(switch().update(values, replace=request.args.get("replace") == "1"))
        return jsonify(switch().current())

    @admin.get("/health")
    def health():
        return jsonify({"ok": True, "pid": os.getpid()})

    return admin
