"""The HTTP transport to the insurer, against a small HTTP/1.1 server in a thread: connections kept
alive between calls, one the server closed while idle never carries a call, and every way a call
can fail is a TransportError (the gateway's retry with the same msgid handles it)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from insurance.transport import HttpTransport, TransportError

PATH = "/fsi/api/rsfComIfsService/callService"


class _Insurer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real insurer's front end

    def do_POST(self):  # noqa: N802 (the standard library's name)
        self.server.connections.add(self.client_address)
        envelope = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        behaviour = envelope.get("behaviour", "answer")
        if behaviour == "slow":
            time.sleep(1.5)
        status, body = {
            "answer": (200, json.dumps({"infcode": 0, "msgid": envelope["msgid"]}).encode()),
            "slow": (200, b"{}"),
            "broken": (500, b"oops"),
            "html": (200, b"<html>not json</html>"),
        }[behaviour]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if behaviour == "answer" and self.server.close_after_answer:
            # Closed while the client keeps it as idle (no `Connection: close` said), as a server
            # whose keep-alive timeout ran out does.
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    def log_message(self, *args):
        """Not logged: the standard library's server writes every request to stderr."""


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """Not printed: a client that timed out leaves the slow answer nowhere to go, as intended."""


@pytest.fixture
def insurer():
    server = _QuietServer(("127.0.0.1", 0), _Insurer)
    server.daemon_threads = True
    server.connections, server.close_after_answer = set(), False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _transport(server) -> HttpTransport:
    return HttpTransport(f"http://127.0.0.1:{server.server_address[1]}")


def test_calls_share_one_kept_alive_connection(insurer):
    transport = _transport(insurer)
    answers = [transport.send({"msgid": f"m{n}"}, timeout=5) for n in range(5)]
    assert [a["msgid"] for a in answers] == [f"m{n}" for n in range(5)]
    assert len(insurer.connections) == 1  # one client port: the connection was reused
    assert len(transport.idle) == 1


def test_threads_share_the_idle_connections(insurer):
    """Calls from several threads at once (the CLI's and the tests' threads; under gevent each
    request is a greenlet): every call gets its own answer, and no more connections stay idle
    than were open at once."""
    transport = _transport(insurer)
    answers, errors = [], []

    def calls(thread: int) -> None:
        try:
            for n in range(20):
                answers.append((f"t{thread}-{n}", transport.send({"msgid": f"t{thread}-{n}"}, timeout=5)["msgid"]))
        except Exception as err:  # noqa: BLE001 (reported below)
            errors.append(err)

    threads = [threading.Thread(target=calls, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(answers) == 160 and all(sent == got for sent, got in answers)
    assert 1 <= len(transport.idle) <= 8


def test_a_connection_the_insurer_closed_while_idle_is_not_used(insurer):
    insurer.close_after_answer = True
    transport = _transport(insurer)
    for n in range(3):
        time.sleep(0.05)  # the server's close reaches the client before the next call
        assert transport.send({"msgid": f"m{n}"}, timeout=5)["msgid"] == f"m{n}"
    assert len(insurer.connections) == 3  # each call on a fresh connection, none failed


@pytest.mark.parametrize(
    ("behaviour", "cause"), [("broken", "HTTP 500"), ("html", "not JSON"), ("slow", "TimeoutError")]
)
def test_what_is_not_an_answer_is_a_transport_error(insurer, behaviour, cause):
    transport = _transport(insurer)
    started = time.monotonic()
    with pytest.raises(TransportError, match=cause):
        transport.send({"msgid": "m1", "behaviour": behaviour}, timeout=0.5)
    assert time.monotonic() - started < 1.4  # the call's timeout, not the server's delay
    assert transport.send({"msgid": "m2"}, timeout=5)["msgid"] == "m2"  # and the next call works


def test_an_insurer_that_is_not_there_is_a_transport_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens on it once closed
    with pytest.raises(TransportError, match="ConnectionRefusedError"):
        HttpTransport(f"http://127.0.0.1:{port}").send({"msgid": "m1"}, timeout=1)


def test_an_address_that_is_not_http_is_refused_at_start():
    with pytest.raises(ValueError, match="not an http"):
        HttpTransport("ftp://insurer.example")
