"""The mock supervision platform as a service of its own (`python -m regulator.mock_platform`).

POST /api/v1/reports      one report in an envelope {msgid, org_code, report_type, occurred_at, data};
                          200 with a receipt (a repeated msgid: the same receipt, nothing stored
                          again), 400 naming the field for an invalid report (nothing stored),
                          409 for a repeated msgid with a different body.
GET  /api/v1/counts       ?org_code=…&date=YYYY-MM-DD: the day's reports per type (reconciliation).
GET  /api/v1/reports      the latest reports (inspection).
GET/POST /admin/faults    read or set faults: {"down": true, "delay_ms": 500, "fail_next": 2,
                          "drop_next": 1}; ?replace=1 resets the others.
GET  /health

Settings (environment): REGULATOR_MOCK_DATABASE_URL (default instance/mock_regulator.db),
REGULATOR_MOCK_FAULTS (JSON), TIMEZONE.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import date
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify, request

from regulator.mock_platform import rules
from regulator.mock_platform.faults import FaultSwitch
from regulator.mock_platform.store import Store
from standins import service

http = Blueprint("mock_platform", __name__)
ROOT = Path(__file__).resolve().parents[2]


def _store() -> Store:
    return current_app.extensions["mock_platform_store"]


def _faults() -> FaultSwitch:
    return current_app.extensions["mock_platform_faults"]


def _error(status: int, message: str, field: str | None = None):
    return jsonify({"code": status, "message": message, "field": field}), status


def _drop_connection() -> None:
    """Lose the answer: close the client's socket after the report is stored."""
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        sock.shutdown(socket.SHUT_RDWR)


@http.post("/api/v1/reports")
def receive_report():
    """One report: validated, stored once per msgid, answered with its receipt."""
    refused = _faults().before()
    if refused:
        return _error(refused, "监管平台暂不可用 / platform unavailable (injected fault)")
    envelope = request.get_json(silent=True)
    try:
        rules.check(envelope)
    except rules.Invalid as invalid:
        return _error(400, invalid.message, invalid.field)
    receipt = _store().receive(envelope)
    if not receipt.same_body:
        return _error(409, "同一报文编号内容不同 / the same msgid with a different body", "msgid")
    if not receipt.repeated and _faults().drop_after():
        _drop_connection()
        return _error(504, "answer lost (injected fault)")
    return jsonify({**receipt.as_dict(), "repeated": receipt.repeated})


@http.get("/api/v1/counts")
def counts():
    """The day's counts per report type for one organisation."""
    refused = _faults().before()
    if refused:
        return _error(refused, "监管平台暂不可用 / platform unavailable (injected fault)")
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return _error(400, "date: YYYY-MM-DD", "date")
    org_code = request.args.get("org_code", "")
    if not org_code:
        return _error(400, "org_code: 必填 / required", "org_code")
    return jsonify({"org_code": org_code, "date": day.isoformat(), "counts": _store().counts(org_code, day)})


@http.get("/api/v1/reports")
def listing():
    return jsonify({"reports": _store().listing(min(request.args.get("limit", 200, type=int), 1000))})


def create_app(test_config: dict | None = None) -> Flask:
    """The platform's own application with its own store."""
    app = Flask(__name__)
    app.config.update(
        DATABASE_URL=os.environ.get(
            "REGULATOR_MOCK_DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'mock_regulator.db'}"
        ),
        FAULTS=json.loads(os.environ.get("REGULATOR_MOCK_FAULTS", "{}")),
        TIMEZONE=os.environ.get("TIMEZONE", "Asia/Shanghai"),
    )
    app.config.update(test_config or {})
    service.sqlite_file_ready(app.config["DATABASE_URL"])
    app.extensions["mock_platform_store"] = Store(app.config["DATABASE_URL"], app.config["TIMEZONE"])
    app.extensions["mock_platform_faults"] = FaultSwitch(app.config["FAULTS"])
    app.register_blueprint(http)
    app.register_blueprint(service.admin_blueprint(_faults))
    return app
