"""The internet hospital: create_app() factory; `python app.py` serves it with Socket.IO."""

if __name__ == "__main__":  # gevent must patch the standard library before anything imports it
    from gevent import monkey

    monkey.patch_all()

import importlib
import os

from flask import Flask, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from core import clock, i18n, tasks
from core.auth import check_api_csrf, load_current_user
from core.cli import seed_demo_command
from core.config import Config
from core.errors import register_error_handlers
from core.extensions import api, babel, csrf, db, limiter, migrate, socketio
from core.security import add_security_headers

# Blueprints in registration order: (module, attribute). API blueprints are flask-smorest's
# (`blp`), page blueprints are Flask's (`bp`). A module not built yet is skipped.
API_MODULES = [
    "core.api",
    "hospital.api.network",
    "hospital.api.rota",
    "hospital.api.consultations",
    "hospital.api.formulary",
    "hospital.api.prescriptions",
    "hospital.api.expert",
    "insurance.api",
    "pharmacy.api",
]
PAGE_MODULES = [
    "core.pages",
    "hospital.pages.network",
    "hospital.pages.rota",
    "hospital.pages.consultations",
    "hospital.pages.prescriptions",
    "hospital.pages.expert",
    "insurance.pages",
    "pharmacy.pages",
]
EVENT_MODULES = [
    "core.events",
    "hospital.events.consultations",
    "hospital.events.calls",
    "hospital.events.expert",
    "pharmacy.events",
]
CLI_GROUPS = [
    "hospital.cli_consultations",
    "hospital.cli_prescriptions",
    "hospital.cli_expert",
    "insurance.cli",
    "pharmacy.cli",
]
MODEL_MODULES = ["core.models", "hospital.models", "insurance.models", "pharmacy.models"]


def _optional_module(name: str):
    """Import a domain module; None when that module does not exist yet."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if name == err.name or name.startswith(f"{err.name}."):
            return None
        raise


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: WAL for concurrent readers, foreign keys on, wait instead of failing when busy."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def _fresh_request_globals() -> None:
    """Start every request with an empty `g`, as a real server does even when a test holds an
    app context open across requests (cached language, CSRF token, user)."""
    for name in list(g):
        g.pop(name)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    csrf.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    socketio.init_app(
        app,
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        cors_allowed_origins=[],  # same origin only
    )


def _register_domains(app: Flask) -> None:
    for name in MODEL_MODULES:  # every table in the metadata, for migrations
        _optional_module(name)
    for name in API_MODULES:
        module = _optional_module(name)
        if module is not None:
            csrf.exempt(module.blp)  # API writes check CSRF themselves for cookie sessions
            api.register_blueprint(module.blp)
    for name in PAGE_MODULES:
        module = _optional_module(name)
        if module is not None:
            app.register_blueprint(module.bp)
    for name in EVENT_MODULES:
        _optional_module(name)
    for name in CLI_GROUPS:
        module = _optional_module(name)
        if module is not None:
            app.cli.add_command(module.cli)
    app.cli.add_command(seed_demo_command)


def _template_globals(app: Flask) -> None:
    from core import nav

    @app.template_filter("localtime")
    def localtime(value):
        """A stored UTC time as local 'YYYY-MM-DD HH:MM'."""
        return clock.to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""

    @app.context_processor
    def inject():
        user = g.get("user")
        return {
            "current_user": user,
            "nav_items": nav.nav_for(user.role if user else None),
            "elder_mode": i18n.elder_mode(),
            "elder_offered": request.cookies.get("elder_offered") == "1" or (user is not None and user.elder_mode),
            "lang": str(i18n.select_locale()),
            "client_texts": i18n.client_texts,
        }


def create_app(config: type | dict | None = None) -> Flask:
    """Build the application; `config` is a Config class or a mapping of overrides."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    os.makedirs(app.instance_path, exist_ok=True)
    clock.configure(app.config["TIMEZONE"])
    i18n.compile_catalogs()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(i18n.translation_dirs())
    _init_extensions(app)
    app.before_request(_fresh_request_globals)
    app.before_request(load_current_user)
    app.before_request(lambda: check_api_csrf() if request.path.startswith("/api") else None)
    app.after_request(add_security_headers)
    _register_domains(app)
    register_error_handlers(app)
    _template_globals(app)
    return app


if __name__ == "__main__":
    application = create_app()
    tasks.start(application)  # periodic work (shift ends, scheduled expert rooms) of this process
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000"))
    print(f"Serving the internet hospital on http://{host}:{port}", flush=True)
    socketio.run(application, host=host, port=port)
