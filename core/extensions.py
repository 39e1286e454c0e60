"""Extension instances, created unbound and bound in create_app (so `python app.py` is safe)."""

import contextlib
import logging
import sqlite3
import threading
import time
from collections import deque
from functools import partial, wraps

from flask import g, has_app_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.pool import Pool, QueuePool

from core.json_provider import stored_text, stored_value
from core.openapi import Api


class Base(DeclarativeBase):
    """Declarative base shared by every domain's models."""


# Pre-ping, of idle connections only: a connection the database dropped (restart, outage) is
# replaced on checkout instead of failing the request, so service comes back by itself once the
# database does. A connection given back less than IDLE_PING_SECONDS ago is not pinged, nor is a
# SQLite one (a file has no server to lose it): SQLAlchemy's
# `pool_pre_ping` would cost a `SELECT 1` round trip on every checkout, as much as a chat message's
# one statement; a connection that fails in use anyway invalidates the pool (a disconnect error).
IDLE_PING_SECONDS = 5.0


class FairGate:
    """A counting gate that serves its waiters first come, first served: a slot given back goes
    straight to the longest waiter, never to a newcomer that happens to ask first."""

    def __init__(self, slots: int):
        self._free = slots
        self._lock = threading.Lock()
        self._waiters: deque[threading.Event] = deque()

    def acquire(self, timeout: float | None) -> bool:
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._lock:
            if turn.is_set():  # handed a slot just as the wait ran out
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()  # the slot passes on; it never becomes free
            else:
                self._free += 1


class FairQueuePool(QueuePool):
    """SQLAlchemy's QueuePool, with its waiters served in the order they came.

    When every connection is in use, QueuePool's waiters wait on a condition and re-check the
    queue when woken; a greenlet that asks just after a connection came back takes it before the
    woken one runs, which goes back to the end of the line. Under gevent, with hundreds of socket
    greenlets wanting a connection after any stall, some waited seconds while newcomers went first
    (the chat bench on PostgreSQL: pool waits up to 10 s while no statement took 1 s). Here a
    greenlet first takes a slot at a FairGate as big as the pool (pool_size + max_overflow), so it
    reaches QueuePool only when a connection is there for it."""

    def __init__(self, creator, pool_size: int = 5, max_overflow: int = 10, timeout: float = 30.0, **kw):
        super().__init__(creator, pool_size=pool_size, max_overflow=max_overflow, timeout=timeout, **kw)
        unbounded = pool_size == 0 or max_overflow < 0  # QueuePool then never makes anyone wait
        self._gate = None if unbounded else FairGate(pool_size + max_overflow)

    def _do_get(self):
        if self._gate is None:
            return super()._do_get()
        if not self._gate.acquire(self._timeout):
            raise PoolTimeout(
                f"QueuePool limit of size {self.size()} overflow {self._max_overflow} reached, "
                f"connection timed out, timeout {self._timeout:0.2f}",
                code="3o7r",
            )
        try:
            return super()._do_get()
        except BaseException:
            self._gate.release()
            raise

    def _do_return_conn(self, record) -> None:
        try:
            super()._do_return_conn(record)
        finally:
            if self._gate is not None:
                self._gate.release()


_WAITING = "_objects_waiting_for_db_session"


class ContextSession(FlaskSession):
    """The database session of one app context (a request, a socket event). Objects handed to
    `join_when_made` before it exists are attached as it is made (Flask-SQLAlchemy's documented
    way to customise `db.session` is a subclass passed as `class_`)."""

    def __init__(self, db, **kwargs) -> None:
        super().__init__(db, **kwargs)
        for obj in g.get(_WAITING, {}).values() if has_app_context() else ():
            self.add(obj)


def join_when_made(obj):
    """The instance of a detached, unchanged object that this app context's database session
    holds: the session's own if it exists (merged without a statement), else `obj` itself, which
    the session takes in when it is made (one instance per identity, however often it is asked).

    Why: the request's user is known before the database is used, and a request that never uses
    it (a remembered answer, /api/me) then makes no session at all, instead of making one only to
    attach him and close it again (about a sixth of such a request's CPU)."""
    if db.session.registry.has():
        return db.session.merge(obj, load=False)
    return g.setdefault(_WAITING, {}).setdefault(instance_state(obj).key, obj)


db = SQLAlchemy(
    model_class=Base,
    engine_options={"poolclass": FairQueuePool, "json_serializer": stored_text, "json_deserializer": stored_value},
    session_options={"class_": ContextSession},
)


@event.listens_for(Pool, "connect")
@event.listens_for(Pool, "checkin")
def _given_back(_dbapi_connection, record) -> None:
    """A connection just opened is as fresh as one just given back: no ping at its first checkout."""
    if record is not None:
        record.info["given_back_at"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        return
    if time.monotonic() - record.info.get("given_back_at", 0.0) < IDLE_PING_SECONDS:
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT 1")
        # The DBAPI opened a transaction for the SELECT: end it, or the connection is handed out
        # "in transaction", and a caller that asks for autocommit (the chat's store) is refused.
        dbapi_connection.rollback()
    except Exception as dropped:  # the pool discards it and checks out another (up to 3 times)
        raise DisconnectionError(str(dropped)) from dropped
    finally:
        with contextlib.suppress(Exception):
            cursor.close()


def end_transaction() -> None:
    """Roll back the session's transaction. If the database dropped its connection unseen (a
    restart between the last statement and now), the rollback cannot reach it: the connection is
    invalidated instead, and the pool replaces it on its next checkout."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session().invalidate()


def end_session(_error: BaseException | None = None) -> None:
    """teardown_appcontext, before Flask-SQLAlchemy's own: close the session. A request that never
    used the database has no session, and none is made here for it.

    Closed, not rolled back first: a rollback expires every object the request loaded, one by one,
    only for close() to drop them a moment later (about a fifteenth of an API read's CPU). close()
    ends the transaction on the connection and returns it to the pool all the same. If the database
    dropped the connection after the answer was made (a restart), close()'s rollback of it fails:
    SQLAlchemy invalidates a connection it sees is gone, the pool replaces it at its next checkout,
    and the answer already made (a login that committed, a read already serialised) must not
    become a 500."""
    if not db.session.registry.has():
        return
    try:
        db.session.close()
    except DBAPIError:
        logging.getLogger(__name__).warning("closing the request's session failed", exc_info=True)
    db.session.registry.clear()


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
