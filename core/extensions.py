"""Extension instances, created unbound and bound in create_app (so `python app.py` is safe)."""

import logging
from functools import partial, wraps

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every domain's models."""


# Pre-ping: a connection the database dropped (restart, outage) is replaced on checkout instead
# of failing the request, so service comes back by itself once the database does. A database
# server only: see engine_options().
db = SQLAlchemy(model_class=Base, engine_options={"pool_pre_ping": True})


def engine_options(app) -> None:
    """No pre-ping on SQLite: a connection to a file has no server to lose it, and the ping was
    a `SELECT 1` at every checkout (1.4 per REST read: the read audit's commit hands the
    connection back, and serialising the answer takes it again). PostgreSQL keeps it (the
    restart test in tests/hardening/test_outages.py)."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": False, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}


migrate = Migrate()
socketio = SocketIO()
api = Api()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# flask-limiter logs to a silent handler: let it say when its store (Redis) fails and it counts
# in memory instead, and when the store is back.
limiter.logger.addHandler(logging.StreamHandler())
limiter.logger.setLevel(logging.INFO)

# The only endpoints with limits (default_limits is empty). Every other request skips the
# limiter's per-request resolution of limits, about a tenth of a small API read's CPU. A new
# @limiter.limit elsewhere must add its endpoint here.
RATE_LIMITED_ENDPOINTS = frozenset({"auth.login", "core_pages.login"})


@limiter.request_filter
def _not_rate_limited() -> bool:
    return request.endpoint not in RATE_LIMITED_ENDPOINTS


def limit_only_where_needed(app) -> None:
    """Run the limiter's own request hooks (before, after, teardown) only for the rate-limited
    endpoints. Elsewhere they only built a per-request limiter context to find no limit (the
    filter above): about a tenth of a small API read's CPU. The decorated views count their
    limits themselves, in their wrapper; these hooks stay on for them as before."""
    hooks = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    for funcs in (hooks_by_blueprint.get(None, []) for hooks_by_blueprint in hooks):
        funcs[:] = [_for_limited_endpoints(f) if _is_limiters(f) else f for f in funcs]


def _is_limiters(hook) -> bool:
    """The limiter's hooks: its bound methods, and a functools.partial over it."""
    if isinstance(hook, partial):
        return bool(hook.args) and hook.args[0] is limiter
    return getattr(hook, "__self__", None) is limiter


def _for_limited_endpoints(hook):
    @wraps(hook)
    def gated(*args):
        if request.endpoint in RATE_LIMITED_ENDPOINTS:
            return hook(*args)
        return args[0] if args else None  # an after-request hook hands the response on

    return gated
