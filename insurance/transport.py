"""How an envelope reaches the insurer and its answer comes back: `InProcessTransport` hands it to
the mock insurer in this process (as JSON, like the wire), `HttpTransport` posts it to the
insurer's service path. The gateway (insurance.gateway) speaks the national platform's vocabulary
over either; the two differ only here."""

from __future__ import annotations

import abc
import select
import time
import weakref
from collections.abc import Callable
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from urllib.parse import urlsplit

import orjson

from insurance.mock_insurer.faults import SimulatedTimeout


class TransportError(Exception):
    """The message may or may not have arrived; no answer came back."""


class Transport(abc.ABC):
    @abc.abstractmethod
    def send(self, envelope: dict, timeout: float) -> dict:
        """One envelope out, its answer back, or TransportError."""


class InProcessTransport(Transport):
    """Hands the envelope (as JSON, like the wire) to the mock insurer in this process."""

    def __init__(self, insurer_for: Callable[[], object]):
        self.insurer_for = insurer_for

    def send(self, envelope: dict, timeout: float) -> dict:
        started = time.monotonic()
        try:
            answer = self.insurer_for().handle(orjson.loads(orjson.dumps(envelope)))
        except SimulatedTimeout:
            raise TransportError("timed out (the answer was lost)") from None
        if time.monotonic() - started > timeout:
            raise TransportError("timed out (the answer came too late)")
        return orjson.loads(orjson.dumps(answer))


class HttpTransport(Transport):
    """POSTs the envelope as JSON to the insurer's service path over connections kept alive
    between calls (the standard library's http.client, which sets TCP_NODELAY).

    Why not urllib3 (used here before): an insurer call is one POST of JSON to one fixed address,
    and urllib3's per-call work for it (parsing the URL, finding the pool by its key, header
    dicts, timeout and retry objects, its response wrapper) cost as much CPU as http.client's own
    request and response, about 0.3 ms of a call's 0.6 ms, three calls to a paid order. What it
    did beyond that, this class does too: one set of idle connections for the process (not a
    thread-local: under gevent that is request-local, and each payment opened new connections),
    a connection the insurer closed while idle is dropped before use, and no retries here
    (NhsaGateway.call retries with the same msgid)."""

    POOL_SIZE = 32  # idle connections kept; more concurrent calls open extra ones, closed after
    HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
    CONNECT_TIMEOUT = 2.0  # seconds at most to connect, whatever the call's own timeout

    def __init__(self, base_url: str, path: str = "/fsi/api/rsfComIfsService/callService"):
        url = urlsplit(base_url.rstrip("/") + path)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) address: {base_url!r}")
        self.url = url.geturl()
        self.path = url.path + (f"?{url.query}" if url.query else "")
        self.address = (url.hostname, url.port or (443 if url.scheme == "https" else 80))
        self.connection_class = HTTPSConnection if url.scheme == "https" else HTTPConnection
        self.idle: list[HTTPConnection] = []  # most recently used last (least likely closed)
        # Closed with the transport (an app's gateway lives as long as its app): the list, not
        # the transport, is what the finalizer holds.
        weakref.finalize(self, _close_all, self.idle)

    def send(self, envelope: dict, timeout: float) -> dict:
        body = orjson.dumps(envelope)  # UTF-8, as Python's encoder with ensure_ascii=False, 5-10x faster
        try:
            connection = self._take(timeout)
        except OSError as err:  # refused, unreachable, timed out connecting
            raise TransportError(type(err).__name__) from None
        try:
            connection.request("POST", self.path, body=body, headers=self.HEADERS)
            reply = connection.getresponse()
            data = reply.read()
        except (OSError, HTTPException) as err:  # reset, timed out, not HTTP
            connection.close()
            raise TransportError(type(err).__name__) from None
        self._give_back(connection, reply)
        if reply.status >= 500 or reply.status == 404:
            raise TransportError(f"HTTP {reply.status}")
        try:
            return orjson.loads(data)
        except ValueError:  # orjson.JSONDecodeError is one
            raise TransportError("not JSON") from None

    def _take(self, timeout: float) -> HTTPConnection:
        """An idle connection still open, else a new one."""
        while True:
            try:
                connection = self.idle.pop()  # not `while self.idle`: another thread may empty it between
            except IndexError:
                break
            if _still_open(connection.sock):
                connection.sock.settimeout(timeout)
                return connection
            connection.close()
        connection = self.connection_class(*self.address, timeout=min(timeout, self.CONNECT_TIMEOUT))
        connection.connect()
        connection.sock.settimeout(timeout)
        return connection

    def _give_back(self, connection: HTTPConnection, reply) -> None:
        if reply.will_close or len(self.idle) >= self.POOL_SIZE:
            connection.close()
        else:
            self.idle.append(connection)


def _close_all(connections: list[HTTPConnection]) -> None:
    while connections:
        connections.pop().close()


def _still_open(sock) -> bool:
    """An idle kept-alive connection is readable only when the insurer closed it (or sent what
    nobody asked for): either way it must not carry the next call. (Under gevent, `select` with
    a zero timeout asks the system once and returns.)"""
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):  # closed under us
        return False
    return not readable
