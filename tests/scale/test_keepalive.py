"""A request on a kept-alive connection is no slower than on a new one: the server turns Nagle's
algorithm off on every accepted socket (core.serving), so a response's header and body writes do
not wait for the client's delayed ACK (~40 ms each before)."""

from __future__ import annotations

import http.client
import statistics
import time

import pytest
import requests

pytestmark = [pytest.mark.live]

REQUESTS = 50


def _kept_alive(server, path: str, headers: dict) -> list[float]:
    """Milliseconds of each of REQUESTS requests on one HTTP/1.1 connection."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    timings = []
    try:
        for _ in range(REQUESTS):
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status == 200, body[:200]
            assert response.getheader("Connection", "").lower() != "close"
    finally:
        connection.close()
    return timings


def _new_connections(server, path: str, headers: dict) -> list[float]:
    timings = []
    for _ in range(REQUESTS):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        started = time.perf_counter()
        connection.request("GET", path, headers={**headers, "Connection": "close"})
        response = connection.getresponse()
        response.read()
        timings.append((time.perf_counter() - started) * 1000)
        connection.close()
        assert response.status == 200
    return timings


@pytest.mark.parametrize("path", ["/ping", "/api/hospitals", "/api/consultations"])
def test_kept_alive_requests_are_no_slower_than_new_connections(live_server, path):
    headers = {"Authorization": "Bearer " + live_server.login("13800000001")}
    _kept_alive(live_server, path, headers)  # warm up (first-request work, caches)
    kept = _kept_alive(live_server, path, headers)
    fresh = _new_connections(live_server, path, headers)
    # With Nagle on, each kept-alive request waited ~40 ms; now it costs what the work costs.
    assert statistics.median(kept) < 15, f"kept-alive median {statistics.median(kept):.1f} ms"
    assert sum(kept) <= sum(fresh) * 1.25 + 50, f"kept-alive {sum(kept):.0f} ms, new {sum(fresh):.0f} ms"


def test_ping_is_bare_and_answers_without_a_session(live_server):
    response = requests.get(f"{live_server.url}/ping", timeout=5)
    assert response.status_code == 200 and response.text == "pong"
    assert "Set-Cookie" not in response.headers  # no session, no language cookie: nothing of the app ran
