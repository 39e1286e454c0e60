"""The internet hospital: create_app() factory; `python app.py` serves it with Socket.IO."""

if __name__ == "__main__":  # gevent must patch the standard library before anything imports it
    from gevent import monkey

    monkey.patch_all()

import os

from flask import Flask, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

import chronic.audit_vocabulary  # noqa: F401
import chronic.models  # noqa: F401
import chronic.notices  # noqa: F401  (how chronic care's events read)
import core.events  # noqa: F401  (Socket.IO handlers register themselves on import)
import core.models  # noqa: F401  (every table in the metadata, for migrations)
import hospital.audit_vocabulary  # noqa: F401  (how the audit log names each domain's objects)
import hospital.events.calls  # noqa: F401
import hospital.events.consultations  # noqa: F401
import hospital.events.expert  # noqa: F401
import hospital.events.expert_media  # noqa: F401
import hospital.models.calls  # noqa: F401
import hospital.models.consultations  # noqa: F401
import hospital.models.expert  # noqa: F401
import hospital.models.formulary  # noqa: F401
import hospital.models.network  # noqa: F401
import hospital.models.patients  # noqa: F401
import hospital.models.prescriptions  # noqa: F401
import hospital.models.quick_replies  # noqa: F401
import hospital.models.rota  # noqa: F401
import hospital.notices  # noqa: F401  (how each domain's events read: core.notify's registry)
import insurance.audit_vocabulary  # noqa: F401
import insurance.models  # noqa: F401
import interchange.audit_vocabulary  # noqa: F401
import pharmacy.audit_vocabulary  # noqa: F401
import pharmacy.events  # noqa: F401
import pharmacy.models  # noqa: F401
import pharmacy.notices  # noqa: F401
import regulator.audit_vocabulary  # noqa: F401
import regulator.models  # noqa: F401
import regulator.outbox  # noqa: F401  (reports written with the changes they report)
from chronic import api as chronic_api
from chronic import pages as chronic_pages
from chronic import seed as chronic_seed
from core import accounts, clock, health, i18n, nav, socket_queue, tasks
from core import api as core_api
from core import pages as core_pages
from core.application import Application
from core.auth import SessionCookie, check_api_csrf, check_form_csrf, load_current_user
from core.cli import seed_demo_command
from core.config import Config
from core.errors import register_error_handlers
from core.extensions import api, babel, csrf, db, end_session, limit_only_where_needed, limiter, migrate, socketio
from core.fields import BoundedIntConverter
from core.inputs import check_json_body, reuse_argument_schemas
from core.json_provider import FastJSONProvider
from core.models import Role
from core.security import add_security_headers
from dashboard import api as dashboard_api
from dashboard import pages as dashboard_pages
from hospital import cli_consultations, cli_prescriptions, seed_clinical, seed_expert, seed_formulary, seed_rota
from hospital import seed as hospital_seed
from hospital.api import clinical as clinical_api
from hospital.api import consultations as consultations_api
from hospital.api import expert as expert_api
from hospital.api import expert_media as expert_media_api
from hospital.api import formulary as formulary_api
from hospital.api import network as network_api
from hospital.api import prescriptions as prescriptions_api
from hospital.api import quick_replies as quick_replies_api
from hospital.api import rota as rota_api
from hospital.api import shift as shift_api
from hospital.pages import clinical as clinical_pages
from hospital.pages import consultations as consultations_pages
from hospital.pages import expert as expert_pages
from hospital.pages import network as network_pages
from hospital.pages import prescriptions as prescriptions_pages
from hospital.pages import quick_replies as quick_replies_pages
from hospital.pages import rota as rota_pages
from hospital.pages import shift as shift_pages
from hospital.services import prescription_access
from insurance import api as insurance_api
from insurance import cli as insurance_cli
from insurance import pages as insurance_pages
from insurance import seed as insurance_seed
from insurance.mock_insurer import pages as mock_insurer_pages
from interchange import api as records_api
from interchange import fhir_api, retention_cli
from pharmacy import address_api, checkout_pages
from pharmacy import api as pharmacy_api
from pharmacy import cli as pharmacy_cli
from pharmacy import pages as pharmacy_pages
from pharmacy import seed as pharmacy_seed
from pharmacy import staff as pharmacy_staff
from regulator import api as regulator_api
from regulator import cli as regulator_cli
from regulator import pages as regulator_pages

# The composition root: every domain's pieces, named here and nowhere else (core names no domain).
# API blueprints are flask-smorest's, page blueprints Flask's, in registration order.
API_BLUEPRINTS = [
    core_api.blp,
    network_api.blp,
    rota_api.blp,
    consultations_api.blp,
    clinical_api.blp,
    formulary_api.blp,
    prescriptions_api.blp,
    expert_api.blp,
    expert_media_api.blp,
    insurance_api.blp,
    pharmacy_api.blp,
    dashboard_api.blp,
    chronic_api.blp,
    address_api.blp,
    quick_replies_api.blp,
    records_api.blp,
    shift_api.blp,
    regulator_api.blp,
]
PAGE_BLUEPRINTS = [
    health.bp,
    core_pages.bp,
    network_pages.bp,
    rota_pages.bp,
    consultations_pages.bp,
    clinical_pages.bp,
    prescriptions_pages.bp,
    expert_pages.bp,
    insurance_pages.bp,
    mock_insurer_pages.bp,
    pharmacy_pages.bp,
    dashboard_pages.bp,
    chronic_pages.bp,
    checkout_pages.bp,
    quick_replies_pages.bp,
    shift_pages.bp,
    regulator_pages.bp,
    fhir_api.bp,  # plain Flask: FHIR's own shapes, not the API's (see interchange/fhir_api.py)
]
CLI_GROUPS = [
    cli_consultations.cli,
    cli_prescriptions.cli,
    insurance_cli.cli,
    pharmacy_cli.cli,
    retention_cli.cli,
    regulator_cli.cli,
]
# Demo data in dependency order; each seeder takes the shared seed context (see core.cli).
DEMO_SEEDERS = [
    hospital_seed.seed_network,
    seed_rota.seed_rota,
    seed_formulary.seed_formulary,
    insurance_seed.seed_from_context,
    pharmacy_seed.seed_pharmacy,
    seed_clinical.seed_clinical,
    seed_expert.seed_expert,
    chronic_seed.seed_chronic,
]

# Where pharmacy staff work decides which prescriptions they see (hospital never imports pharmacy).
prescription_access.register_pharmacy_lookups(
    pharmacy_staff.workplace, pharmacy_staff.pharmacies_ordering, pharmacy_staff.hospital_pharmacists
)
accounts.register_workplace_provider(pharmacy_staff.workplace_description)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: WAL for concurrent readers, foreign keys on, wait instead of failing when busy."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit no longer waits for an fsync (the WAL is synced at checkpoints);
        # the database stays consistent after a crash, though a power cut may undo the last
        # commits. SQLITE_SYNCHRONOUS=FULL restores an fsync per commit. (Read per new connection,
        # not at import: a test's live server is a fork that takes its own environment.)
        full = os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").upper() == "FULL"
        cursor.execute(f"PRAGMA synchronous={'FULL' if full else 'NORMAL'}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def _fresh_request_globals() -> None:
    """Start every request with an empty `g`, as a real server does even when a test holds an
    app context open across requests (cached language, CSRF token, user). Flask's `g` keeps its
    names in its own __dict__; emptying it at once spares a proxied pop per name."""
    vars(g._get_current_object()).clear()


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    app.teardown_appcontext(end_session)  # runs before Flask-SQLAlchemy's (teardowns run last first)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.use_request_domain(babel, app)
    csrf.init_app(app)
    limiter.init_app(app)
    limit_only_where_needed(app)
    api.init_app(app)
    socketio.init_app(
        app,
        client_manager=socket_queue.manager_for(app.config["SOCKETIO_MESSAGE_QUEUE"]),
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        async_handlers=False,  # each socket's events run in order, one after the other
        cors_allowed_origins=[],  # same origin only
    )


def _register_domains(app: Flask) -> None:
    for blueprint in API_BLUEPRINTS:
        csrf.exempt(blueprint)  # API writes check CSRF themselves for cookie sessions
        api.register_blueprint(blueprint)
    for blueprint in PAGE_BLUEPRINTS:
        app.register_blueprint(blueprint)
    for group in CLI_GROUPS:
        app.cli.add_command(group)
    app.cli.add_command(seed_demo_command(DEMO_SEEDERS))


def _template_globals(app: Flask) -> None:
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
            # The offer of larger type is for patients (and whoever has not logged in yet); staff
            # keep the switch at the top but are not asked on every page until they answer.
            "elder_offered": request.cookies.get("elder_offered") == "1"
            or (user is not None and (user.elder_mode or user.role != Role.PATIENT)),
            "lang": str(i18n.select_locale()),
            "client_texts": i18n.client_texts,
        }


def create_app(config: type | dict | None = None) -> Flask:
    """Build the application; `config` is a Config class or a mapping of overrides."""
    app = Application(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.url_map.converters["int"] = BoundedIntConverter  # every <int:id> within 64 bits (else 404)
    clock.configure(app.config["TIMEZONE"])
    i18n.compile_catalogs()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(i18n.translation_dirs())
    app.json = FastJSONProvider(app)
    app.session_interface = SessionCookie()
    _init_extensions(app)
    app.before_request(check_form_csrf)
    app.before_request(_fresh_request_globals)
    app.before_request(check_json_body)
    app.before_request(load_current_user)
    app.before_request(check_api_csrf)
    app.after_request(add_security_headers)
    _register_domains(app)
    reuse_argument_schemas()
    register_error_handlers(app)
    _template_globals(app)
    return app


def serve_forever(config: type | dict | None = None) -> None:
    """What `python app.py` does: build the app, start the periodic tasks, serve on HOST:PORT.
    Only a process that gevent has patched may call it (tests' live servers are forked from one
    that imported this module once: tests/zygote.py)."""
    from core import serving  # gevent's server: imported only where the standard library is patched

    application = create_app(config)
    tasks.start(application)  # periodic work (shift ends, scheduled rooms), if RUN_TASKS is on here
    host, port = application.config["HOST"], application.config["PORT"]
    print(f"Serving the internet hospital on http://{host}:{port}", flush=True)
    serving.serve(application, socketio, host, port)  # TCP_NODELAY on every connection; bare /ping


if __name__ == "__main__":
    serve_forever()
