"""Extension instances, created unbound and bound in create_app (so `python app.py` is safe)."""

import logging

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
# of failing the request, so service comes back by itself once the database does.
db = SQLAlchemy(model_class=Base, engine_options={"pool_pre_ping": True})
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
