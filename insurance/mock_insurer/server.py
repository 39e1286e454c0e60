"""The mock insurer as a service of its own: `python -m insurance.mock_insurer.server --port 5001`
(gevent's WSGI server, connections kept alive as a real insurer's front end keeps them), or
`flask --app insurance.mock_insurer.server run -p 5001` (werkzeug's, which closes each one).

Run this way it keeps its ledger in its own SQLite file (MOCK_INSURER_DATABASE_URL, default
instance/mock_insurer.db), answers request envelopes at the national platform's path
(POST /fsi/api/rsfComIfsService/callService) and serves the patient's authorisation page
(/mock-insurer/authorize). In-process, the hospital calls the same `MockInsurer.handle` directly
(see insurance.gateway) and serves the same page.

Settings (environment): MOCK_INSURER_DATABASE_URL, MOCK_INSURER_SECRET (voucher signing key; the
hospital never needs it), MOCK_INSURER_FAULTS and MOCK_INSURER_POLICY (JSON), TIMEZONE.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify, request
from gevent import monkey, pywsgi
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import clock
from core.extensions import db
from core.serving import NoDelayHandler
from insurance.mock_insurer import pages
from insurance.mock_insurer.constants import DEFAULT_SECRET, SERVICE_PATH
from insurance.mock_insurer.faults import SimulatedTimeout
from insurance.mock_insurer.models import MI_TABLES
from insurance.mock_insurer.service import MockInsurer
from standins import service

http = Blueprint("mock_insurer_http", __name__)


def _insurer() -> MockInsurer:
    return current_app.extensions["mock_insurer"]


@http.post(SERVICE_PATH)
def call_service():
    """One envelope in, one envelope out; a lost answer is held until the caller gave up."""
    try:
        return jsonify(_insurer().handle(request.get_json(force=True, silent=True)))
    except SimulatedTimeout as lost:
        time.sleep(lost.hang_ms / 1000)
        return jsonify(lost.response), 504


def _faults():
    return _insurer().faults


def create_app(test_config: dict | None = None) -> Flask:
    """The mock insurer's own application, with its own database holding only mi_ tables."""
    app = Flask(__name__)
    root = Path(__file__).resolve().parents[2]
    default_db = f"sqlite:///{root / 'instance' / 'mock_insurer.db'}"
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get("MOCK_INSURER_DATABASE_URL", default_db),
        MOCK_INSURER_SECRET=os.environ.get("MOCK_INSURER_SECRET", DEFAULT_SECRET),
        MOCK_INSURER_FAULTS=json.loads(os.environ.get("MOCK_INSURER_FAULTS", "{}")),
        MOCK_INSURER_POLICY=json.loads(os.environ.get("MOCK_INSURER_POLICY", "{}")),
        TIMEZONE=os.environ.get("TIMEZONE", "Asia/Shanghai"),
    )
    app.config.update(test_config or {})
    service.sqlite_file_ready(app.config["SQLALCHEMY_DATABASE_URI"])
    clock.configure(app.config["TIMEZONE"])
    db.init_app(app)
    with app.app_context():
        event.listen(db.engine, "connect", service.sqlite_pragmas)
        db.metadata.create_all(db.engine, tables=MI_TABLES)
        engine = db.engine
    app.extensions["mock_insurer"] = MockInsurer(
        sessions=lambda: Session(engine, expire_on_commit=False),
        secret=app.config["MOCK_INSURER_SECRET"],
        policy=app.config["MOCK_INSURER_POLICY"],
        faults=app.config["MOCK_INSURER_FAULTS"],
    )
    app.register_blueprint(http)
    app.register_blueprint(service.admin_blueprint(_faults))
    app.register_blueprint(pages.bp)
    return app


def main(argv: list[str] | None = None) -> None:
    """Serve the mock insurer on host:port: gevent's server, HTTP/1.1 kept-alive connections,
    TCP_NODELAY (the hospital's gateway keeps a pool of connections to it)."""
    parser = argparse.ArgumentParser(description="The mock insurer as its own HTTP service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    args = parser.parse_args(argv)
    # Patched here, not before the imports (this module is imported by tests and by the hospital's
    # in-process pages too): what must yield (sockets, time.sleep of the faults, the locks and the
    # connection pool created by create_app below) is looked up or made after this line.
    monkey.patch_all(ssl=False)  # plain HTTP on loopback: ssl, imported already, is not needed
    server = pywsgi.WSGIServer((args.host, args.port), create_app(), handler_class=NoDelayHandler, log=None)
    server.serve_forever()


if __name__ == "__main__":
    main()
