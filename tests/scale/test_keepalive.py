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


def _get(connection: http.client.HTTPConnection, path: str, headers: dict) -> float:
    """Milliseconds of one GET on `connection` (the response read whole)."""
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status == 200, body[:200]
    return elapsed


def _timings(server, path: str, headers: dict) -> tuple[list[float], list[float]]:
    """REQUESTS requests on one kept-alive connection, each followed by one on a new connection
    (interleaved, so both see the same load on a shared machine)."""
    kept_alive = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    kept, fresh = [], []
    try:
        for _ in range(REQUESTS):
            kept.append(_get(kept_alive, path, headers))
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            fresh.append(_get(connection, path, {**headers, "Connection": "close"}))
            connection.close()
    finally:
        kept_alive.close()
    return kept, fresh


@pytest.mark.parametrize("path", ["/ping", "/api/hospitals", "/api/consultations"])
def test_kept_alive_requests_are_no_slower_than_new_connections(live_server, path):
    headers = {"Authorization": "Bearer " + live_server.login("13800000001")}
    _timings(live_server, path, headers)  # warm up (first-request work, caches)
    kept, fresh = _timings(live_server, path, headers)
    # With Nagle on, each kept-alive request waited for the client's delayed ACK (~40 ms) while
    # a new connection took ~8 ms; now a kept-alive request costs what the work costs.
    kept_median, fresh_median = statistics.median(kept), statistics.median(fresh)
    assert kept_median <= fresh_median * 1.25 + 2, f"kept-alive {kept_median:.1f} ms, new {fresh_median:.1f} ms"
    assert sum(kept) <= sum(fresh) * 1.25 + 50, f"kept-alive {sum(kept):.0f} ms, new {sum(fresh):.0f} ms in all"


def test_ping_is_bare_and_answers_without_a_session(live_server):
    response = requests.get(f"{live_server.url}/ping", timeout=5)
    assert response.status_code == 200 and response.text == "pong"
    assert "Set-Cookie" not in response.headers  # no session, no language cookie: nothing of the app ran
