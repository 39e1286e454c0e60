"""How `python app.py` serves: gevent's WSGI server with Nagle's algorithm off on every accepted
socket, and a bare `/ping` beside the application.

gevent writes a response's headers and body in two sends. With Nagle on, the second send waits
for the client's delayed ACK of the first (~40 ms on Linux), so every request after the first on
a kept-alive connection (what browsers and nginx do) took ~50 ms instead of ~1 ms. TCP_NODELAY on
each accepted socket sends both at once.

`/ping` is a bare Flask application mounted in front of ours: no session, database, language or
security hooks. Load balancers use it as a liveness check, and the bench uses it as the baseline
that the application's own requests are compared with (same process, same server, same socket
options).

Behind nginx (PROXY_COUNT=1, scripts/run-cluster.sh) the client's address comes from
X-Forwarded-For; otherwise every request would seem to come from nginx and share one rate limit.
"""

from __future__ import annotations

import contextlib
import gc
import socket

from flask import Flask
from gevent import pywsgi
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix


class NoDelayHandler(pywsgi.WSGIHandler):
    """gevent's request handler, with TCP_NODELAY set on the connection before the first read."""

    def handle(self):
        with contextlib.suppress(OSError):  # a UNIX socket (behind a proxy) has no Nagle to turn off
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super().handle()


def bare_ping_app() -> Flask:
    """The smallest Flask application: `GET /ping` answers `pong`."""
    bare = Flask("ping")

    @bare.get("/", strict_slashes=False)
    def ping():
        return "pong", 200, {"Content-Type": "text/plain", "Cache-Control": "no-store"}

    return bare


def mount_ping(app: Flask) -> None:
    """Answer `/ping` with the bare application, before any of `app`'s hooks run."""
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/ping": bare_ping_app()})


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT proxies (nginx: 1), take the client's address and scheme from their
    X-Forwarded-* headers, so that rate limits and audit entries see the client, not nginx."""
    count = app.config.get("PROXY_COUNT", 0)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0)


def listen_to_queue(socketio) -> None:
    """Subscribe to the message queue now, not at the first socket's connection (python-socketio's
    default): a process serving only HTTP so far must still hear another process's word that a
    session was revoked (core.session_cache forgets it) or someone's access changed."""
    server = socketio.server
    if not server.manager_initialized:
        server.manager_initialized = True
        server.manager.initialize()


def settle_memory() -> None:
    """Keep what start-up built (modules, models, mappers, the app: some 300,000 objects) out of
    the garbage collector's full passes, which otherwise walk all of it every few seconds under
    load and stop every socket meanwhile (the chat bench on PostgreSQL: 200-600 ms each)."""
    gc.collect()
    gc.freeze()


def serve(app: Flask, socketio, host: str, port: int) -> None:
    """Serve `app` (Socket.IO included) with gevent, TCP_NODELAY on, `/ping` mounted."""
    trust_proxies(app)
    mount_ping(app)
    listen_to_queue(socketio)
    settle_memory()
    socketio.run(app, host=host, port=port, handler_class=NoDelayHandler)
